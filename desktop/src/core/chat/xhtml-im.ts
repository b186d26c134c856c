// XEP-0071: XHTML-IM — text colour when sending (§4: a <span style='color: …'> in the XHTML body)
// and, for what arrives, a sanitiser that never trusts the sender (§7 "Security Considerations",
// §8 recommended profile): the result is an HTML string the renderer may insert as it is. Only
// the profile's text elements (no <img>: a remote image would tell the sender when and from where
// the message was read), only colour and font style in `style` with values of a fixed shape, only
// http(s)/mailto/xmpp links; everything else is dropped — elements keep their text, except
// script-like ones whose text is not content. Text and attribute values are escaped here, so no
// markup of the sender's survives. Depth and size are bounded.
import { Element } from 'ltx';
import { NS } from './ns.ts';

/** Element → allowed attributes. b/i/u/code/pre are not in the profile but common: mapped below. */
const ELEMENTS: Record<string, readonly string[]> = {
  p: ['style'], span: ['style'], br: [], em: [], strong: [], cite: ['style'], blockquote: ['style'],
  q: ['style'], ul: ['style'], ol: ['style'], li: ['style'], a: ['href', 'style'],
};
const ALIASES: Record<string, string> = { b: 'strong', i: 'em', u: 'span', code: 'span', pre: 'p', div: 'p', font: 'span' };
const DROP = new Set(['script', 'style', 'head', 'title', 'iframe', 'object', 'embed', 'img', 'video', 'audio', 'svg', 'math', 'form', 'input', 'button', 'textarea', 'select', 'template']);
const MAX_DEPTH = 24;
const MAX_HTML = 64 * 1024;

const COLOR = /^(#[0-9a-f]{3}|#[0-9a-f]{6}|rgb\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\)|[a-z]{3,20})$/i;
const CSS: Record<string, RegExp> = {
  color: COLOR,
  'background-color': COLOR,
  'font-weight': /^(normal|bold|bolder|lighter|[1-9]00)$/i,
  'font-style': /^(normal|italic|oblique)$/i,
  'text-decoration': /^(none|underline|line-through|overline)$/i,
};
const SAFE_URL = /^(https?:\/\/|mailto:|xmpp:)/i;

export const escapeText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (s: string): string => escapeText(s).replace(/"/g, '&quot;');

/** The declarations of a style attribute that are on the list, with values of the expected shape. */
export function cleanStyle(style: string): string | undefined {
  const kept: string[] = [];
  for (const decl of style.split(';')) {
    const i = decl.indexOf(':');
    if (i === -1) continue;
    const prop = decl.slice(0, i).trim().toLowerCase();
    const value = decl.slice(i + 1).trim();
    if (CSS[prop]?.test(value)) kept.push(`${prop}: ${value}`);
  }
  return kept.length ? kept.join('; ') : undefined;
}

interface Out {
  html: string;
  text: number;
  tooBig: boolean;
}

function walk(el: Element, depth: number, out: Out): void {
  for (const child of el.children) {
    if (out.html.length > MAX_HTML) {
      out.tooBig = true;
      return;
    }
    if (typeof child === 'string') {
      out.html += escapeText(child);
      out.text += child.trim().length;
      continue;
    }
    const local = child.getName().toLowerCase();
    if (DROP.has(local)) continue;
    const name = ELEMENTS[local] ? local : ALIASES[local];
    if (!name || depth >= MAX_DEPTH) {
      walk(child, depth + 1, out); // unknown (or too deep): its text only
      continue;
    }
    let attrs = '';
    for (const a of ELEMENTS[name]!) {
      const v = child.attrs[a];
      if (v === undefined) continue;
      if (a === 'style') {
        const s = cleanStyle(v);
        if (s) attrs += ` style="${escapeAttr(s)}"`;
      } else if (a === 'href' && SAFE_URL.test(v.trim())) attrs += ` href="${escapeAttr(v.trim())}"`;
    }
    if (name === 'br') {
      out.html += '<br>';
      continue;
    }
    out.html += `<${name}${attrs}>`;
    walk(child, depth + 1, out);
    out.html += `</${name}>`;
  }
}

/**
 * The safe HTML of a message's <html xmlns='…xhtml-im'> (its first XHTML <body>), or undefined when
 * there is none, nothing readable is left, or it is too large (the plain body is shown instead).
 */
export function sanitizeXhtmlIm(message: Element): string | undefined {
  const html = message.getChild('html', NS.xhtmlIm);
  const body = html?.getChildren('body').find((b) => !b.attrs.xmlns || b.attrs.xmlns === NS.xhtml);
  if (!body) return undefined;
  const out: Out = { html: '', text: 0, tooBig: false };
  walk(body, 0, out);
  if (out.tooBig || out.html.length > MAX_HTML || out.text === 0) return undefined;
  const style = body.attrs.style ? cleanStyle(body.attrs.style) : undefined;
  return style ? `<span style="${escapeAttr(style)}">${out.html}</span>` : out.html;
}

/** The XHTML-IM payload for a plain text in one colour (#rrggbb): lines become <br/>. */
export function colouredXhtml(body: string, color: string): Element {
  if (!/^#[0-9a-f]{6}$/i.test(color)) throw new TypeError(`not a #rrggbb colour: ${color}`);
  const span = new Element('span', { style: `color: ${color.toLowerCase()}` });
  body.split(/\r?\n/).forEach((line, i) => {
    if (i > 0) span.c('br').up();
    if (line) span.t(line);
  });
  const html = new Element('html', { xmlns: NS.xhtmlIm });
  html.c('body', { xmlns: NS.xhtml }).c('p').cnode(span);
  return html;
}
