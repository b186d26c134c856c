// The core's sanitiser writes a small, regular HTML: <tag attr="escaped"> ... </tag>, <br>, escaped
// text. It is tokenised here rather than handed to an HTML parser: no DOM is built from it (and no
// inline style attribute ever reaches the page, which the CSP would refuse), only allowed elements
// are kept, and anything that does not fit is kept as text. Pure: unit-tested in Node.
export const TAGS = new Set(['p', 'span', 'br', 'em', 'strong', 'cite', 'blockquote', 'q', 'ul', 'ol', 'li', 'a']);

export interface SafeNode {
  tag: string;
  attrs: Record<string, string>;
  children: (SafeNode | string)[];
}

const ENTITY = /&(#x[0-9a-f]{1,6}|#\d{1,7}|amp|lt|gt|quot|apos|#39);/gi;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function decode(s: string): string {
  return s.replace(ENTITY, (m, e: string) => {
    const lower = e.toLowerCase();
    if (lower in NAMED) return NAMED[lower]!;
    const code = lower.startsWith('#x') ? parseInt(lower.slice(2), 16) : parseInt(lower.slice(1), 10);
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : m;
  });
}

const TOKEN = /<(\/?)([a-z]{1,12})((?:\s+[a-z-]{1,20}="[^"<>]*")*)\s*\/?>|[^<]+|</gi;
const ATTR = /([a-z-]+)="([^"]*)"/gi;
const MAX_DEPTH = 24;

export function parseSafeHtml(html: string): (SafeNode | string)[] {
  const root: SafeNode = { tag: '', attrs: {}, children: [] };
  const stack = [root];
  for (const m of html.matchAll(TOKEN)) {
    const top = stack.at(-1)!;
    if (m[2] === undefined) {
      top.children.push(decode(m[0]));
      continue;
    }
    const tag = m[2].toLowerCase();
    if (!TAGS.has(tag)) continue;
    if (m[1]) {
      const at = stack.map((n) => n.tag).lastIndexOf(tag);
      if (at > 0) stack.length = at;
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of (m[3] ?? '').matchAll(ATTR)) attrs[a[1]!.toLowerCase()] = decode(a[2]!);
    const node: SafeNode = { tag, attrs, children: [] };
    top.children.push(node);
    if (tag !== 'br' && stack.length < MAX_DEPTH) stack.push(node);
  }
  return root.children;
}

