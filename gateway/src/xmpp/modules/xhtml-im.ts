// XEP-0071: XHTML-IM — the formatted body (text colour, bold, links) is sanitised on the way in
// (§7, "Security Considerations"; §8 recommended profile): only the XHTML-IM elements and
// attributes, only harmless CSS properties, only http(s)/mailto/xmpp links; scripts, event
// handlers, unknown elements and their attributes are removed, their text kept.
import { Element } from 'ltx';
import type { XmppModule } from '../core/host.ts';

export const NS_XHTML_IM = 'http://jabber.org/protocol/xhtml-im';
const NS_XHTML = 'http://www.w3.org/1999/xhtml';

const ELEMENTS: Record<string, string[]> = {
  body: ['style'], p: ['style'], span: ['style'], br: [], em: [], strong: [], cite: ['style'], blockquote: ['style'],
  q: ['style'], ul: ['style'], ol: ['style'], li: ['style'], a: ['href', 'style', 'type'], img: ['alt', 'height', 'src', 'width'],
};
/** Elements dropped with everything inside (their text is not content). */
const DROP = new Set(['script', 'style', 'head', 'title', 'iframe', 'object', 'embed']);
const CSS = new Set(['color', 'background-color', 'font-family', 'font-size', 'font-style', 'font-weight', 'margin-left', 'margin-right', 'text-align', 'text-decoration']);
const SAFE_URL = /^(https?:|mailto:|xmpp:)/i;

function cleanStyle(style: string): string | undefined {
  const kept = style
    .split(';')
    .map((d) => d.trim())
    .filter((d) => {
      const [prop, ...rest] = d.split(':');
      const value = rest.join(':').trim();
      return prop && CSS.has(prop.trim().toLowerCase()) && value && !/url\s*\(|expression\s*\(|[<>\\]/i.test(value);
    });
  return kept.length ? kept.join('; ') : undefined;
}

function append(parent: Element, nodes: (Element | string)[]): void {
  for (const n of nodes) {
    if (typeof n === 'string') parent.t(n);
    else parent.cnode(n);
  }
}

/** Returns the cleaned copy of an XHTML node's children. */
function cleanChildren(el: Element): (Element | string)[] {
  const out: (Element | string)[] = [];
  for (const child of el.children) {
    if (typeof child === 'string') {
      out.push(child);
      continue;
    }
    const name = child.name.toLowerCase();
    if (DROP.has(name)) continue;
    const allowed = ELEMENTS[name];
    if (!allowed) {
      out.push(...cleanChildren(child)); // unknown element: keep its text and allowed children
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of allowed) {
      const v = child.attrs[a];
      if (v === undefined) continue;
      if (a === 'style') {
        const s = cleanStyle(v);
        if (s) attrs.style = s;
      } else if (a === 'href' || a === 'src') {
        if (SAFE_URL.test(v.trim())) attrs[a] = v.trim();
      } else attrs[a] = v;
    }
    const copy = new Element(name, attrs);
    append(copy, cleanChildren(child));
    out.push(copy);
  }
  return out;
}

/** Sanitises the message's <html/> in place; drops it when nothing usable is left. */
export function sanitizeXhtmlIm(message: Element): void {
  const html = message.getChild('html', NS_XHTML_IM);
  if (!html) return;
  const bodies = html.getChildren('body', NS_XHTML).concat(html.getChildren('body').filter((b) => !b.attrs.xmlns));
  message.remove(html);
  if (!bodies.length) return;
  const clean = new Element('html', { xmlns: NS_XHTML_IM });
  for (const b of bodies) {
    const body = new Element('body', { xmlns: NS_XHTML, 'xml:lang': b.attrs['xml:lang'] });
    const style = b.attrs.style && cleanStyle(b.attrs.style);
    if (style) body.attrs.style = style;
    append(body, cleanChildren(b));
    clean.cnode(body);
  }
  message.cnode(clean);
}

export const xhtmlImModule: XmppModule = {
  name: 'xhtml-im',
  setup(host) {
    host.features.add(NS_XHTML_IM);
    host.inbound.push((stanza) => {
      if (stanza.name === 'message') sanitizeXhtmlIm(stanza);
    });
  },
};
