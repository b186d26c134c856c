// Emoticons: text shortcuts such as :-) shown as emoji (a display choice of the user, the chat
// preference `emoticons`): what goes over the wire and into the history folder is the text as typed,
// so any other client shows it its own way and switching the preference changes past messages too.
// A shortcut counts only as a word of its own — after the start or a space, before the end, a
// space or punctuation — so URLs (http://x/:P), times (10:30) and code are left alone.

/** Shortcut → emoji. Longer shortcuts win over their prefixes (":-((" is not ":-(" + "("). */
export const EMOTICONS: Readonly<Record<string, string>> = {
  ':-)': '🙂', ':)': '🙂', '=)': '🙂',
  ':-(': '🙁', ':(': '🙁',
  ';-)': '😉', ';)': '😉',
  ':-D': '😀', ':D': '😀', 'xD': '😆', 'XD': '😆',
  ':-P': '😛', ':P': '😛', ':-p': '😛', ':p': '😛',
  ':-O': '😮', ':O': '😮', ':-o': '😮', ':o': '😮',
  ":'(": '😢', ":'-(": '😢',
  ':-*': '😘', ':*': '😘',
  ':-/': '😕', ':/': '😕',
  ':-|': '😐', ':|': '😐',
  '8-)': '😎', 'B-)': '😎',
  '>:(': '😠', '>:-(': '😠',
  ':-$': '😳',
  'O:-)': '😇', 'O:)': '😇',
  '<3': '❤️', '</3': '💔',
  '(y)': '👍', '(n)': '👎',
};

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const ALTERNATIVES = Object.keys(EMOTICONS)
  .sort((a, b) => b.length - a.length)
  .map(escapeRe)
  .join('|');
// (start or whitespace)(shortcut) followed by the end, whitespace or sentence punctuation.
const PATTERN = new RegExp(`(^|\\s)(${ALTERNATIVES})(?=$|\\s|[.,!?;:)\\]])`, 'g');

/** Plain text with shortcuts replaced by emoji. */
export function withEmoji(text: string): string {
  // The look-ahead does not consume the space after a shortcut, so ":) :)" gives two.
  return text.replace(PATTERN, (_m, lead: string, s: string) => lead + (EMOTICONS[s] ?? s));
}

/**
 * The same for an HTML string made by sanitizeXhtmlIm (xhtml-im.ts): only text between tags is
 * touched (never a tag or an attribute). That text is escaped, so &lt; and &gt; are read as the
 * characters they stand for ("<3" is a shortcut) and escaped again afterwards.
 */
export function withEmojiInHtml(html: string): string {
  return html.replace(/(^|>)([^<]+)/g, (_m, lead: string, text: string) => lead + withEmoji(text.replace(/&lt;/g, '<').replace(/&gt;/g, '>')).replace(/</g, '&lt;').replace(/>/g, '&gt;'));
}
