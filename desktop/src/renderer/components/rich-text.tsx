// A message's text as Preact nodes. XHTML-IM (already sanitised by the core) is read again here
// and rebuilt from an allow-list — elements, links (http/https/mailto/xmpp), and a few style
// properties set through the DOM, not as style attributes (the CSP forbids inline styles). Plain
// text gets its http(s) links made clickable. Nothing a sender writes becomes markup by itself.
import type { ComponentChild, JSX } from 'preact';
import { parseSafeHtml, type SafeNode } from './safe-html.ts';

const CSS_PROPS: Record<string, string> = { color: 'color', 'background-color': 'backgroundColor', 'font-weight': 'fontWeight', 'font-style': 'fontStyle', 'text-decoration': 'textDecoration' };
const SAFE_VALUE = /^[#a-z0-9(),.\s%-]{1,40}$/i;
const SAFE_URL = /^(https?:\/\/|mailto:|xmpp:)/i;
const URL_RE = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

function link(href: string, children: ComponentChild, key?: number | string): JSX.Element {
  return (
    <a key={key} href={href} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  );
}

/** Plain text with http(s) URLs as links, line breaks kept. */
export function linkify(text: string): ComponentChild[] {
  const out: ComponentChild[] = [];
  let last = 0;
  let k = 0;
  for (const m of text.matchAll(URL_RE)) {
    if (m.index! > last) out.push(text.slice(last, m.index));
    out.push(link(m[0], m[0], k++));
    last = m.index! + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function styleOf(raw: string | undefined): Record<string, string> | undefined {
  if (!raw) return undefined;
  const style: Record<string, string> = {};
  for (const decl of raw.split(';')) {
    const i = decl.indexOf(':');
    if (i < 0) continue;
    const prop = CSS_PROPS[decl.slice(0, i).trim().toLowerCase()];
    const value = decl.slice(i + 1).trim();
    if (prop && SAFE_VALUE.test(value) && !/url|expression|var\(/i.test(value)) style[prop] = value;
  }
  return Object.keys(style).length ? style : undefined;
}

function render(n: SafeNode | string, key: number): ComponentChild {
  if (typeof n === 'string') return n;
  const children = n.children.map(render);
  if (n.tag === 'br') return <br key={key} />;
  if (n.tag === 'a') {
    const href = n.attrs.href?.trim() ?? '';
    return SAFE_URL.test(href) ? link(href, children, key) : <>{children}</>;
  }
  const Tag = n.tag as 'span';
  return (
    <Tag key={key} style={styleOf(n.attrs.style)}>
      {children}
    </Tag>
  );
}

export function RichText({ html, body }: { html?: string; body: string }): JSX.Element {
  if (html) return <>{parseSafeHtml(html).map(render)}</>;
  return <>{linkify(body)}</>;
}
