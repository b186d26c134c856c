// Parses an RFC 5322 §3.4 address list (To, Cc, From) into {name, address} pairs: quoted names
// with escapes, comments (nested), angle-bracket addresses, groups ("Team: a@x, b@y;" — the group
// name is dropped), RFC 2047 encoded words in names. Never throws: a piece it cannot make sense
// of becomes its text as the name with an empty address. Bounded: at most MAX_ADDRESSES pieces.
import { createRequire } from 'node:module';
import type Libmime from 'libmime';
import type { MailAddress } from './source.ts';

// libmime, and the charset tables it brings (iconv-lite, encoding-japanese), on first use: not
// resident in a gateway that has not read an address yet (issue 12: RSS at rest). Its CommonJS build, so
// the functions here stay synchronous (libmime keeps no state: either build gives the same answers).
const requireHere = createRequire(import.meta.url);
let loaded: typeof Libmime | undefined;
const libmime = () => (loaded ??= requireHere('libmime') as typeof Libmime);

export const MAX_ADDRESSES = 200;

const decode = (s: string): string => {
  const t = s.replace(/\s+/g, ' ').trim();
  try {
    return libmime().decodeWords(t).replace(/\s+/g, ' ').trim();
  } catch {
    return t;
  }
};

/** Splits at top-level `,` (and group `:` / `;`), keeping quotes, comments and <...> intact. */
function split(raw: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let depth = 0; // comment nesting
  let angle = false;
  for (let i = 0; i < raw.length && out.length < MAX_ADDRESSES; i++) {
    const c = raw[i]!;
    if (c === '\\' && (quoted || depth > 0) && i + 1 < raw.length) {
      cur += c + raw[++i];
      continue;
    }
    if (quoted) {
      if (c === '"') quoted = false;
      cur += c;
    } else if (depth > 0) {
      if (c === '(') depth++;
      else if (c === ')') depth--;
      cur += c;
    } else if (c === '"') {
      quoted = true;
      cur += c;
    } else if (c === '(') {
      depth = 1;
      cur += c;
    } else if (angle) {
      if (c === '>') angle = false;
      cur += c;
    } else if (c === '<') {
      angle = true;
      cur += c;
    } else if (c === ',' || c === ';') {
      out.push(cur);
      cur = '';
    } else if (c === ':') {
      cur = ''; // "Group name:" — the members follow
    } else cur += c;
  }
  if (out.length < MAX_ADDRESSES) out.push(cur);
  return out.map((s) => s.trim()).filter(Boolean);
}

const unquote = (s: string) => s.replace(/^"(.*)"$/s, '$1').replace(/\\(.)/g, '$1');

function parseOne(piece: string): MailAddress {
  const lt = piece.lastIndexOf('<');
  if (lt !== -1) {
    // "Name <address>" (an unclosed "<" or quote is read as if it were closed)
    const gt = piece.indexOf('>', lt);
    const address = piece.slice(lt + 1, gt === -1 ? undefined : gt).trim();
    const name = decode(unquote(piece.slice(0, lt).trim()).replace(/^"/, ''));
    return { name, address };
  }
  // addr@example.com (Comment Name)
  const comments: string[] = [];
  const bare = piece.replace(/\(((?:[^()\\]|\\.)*)\)/g, (_m, c: string) => {
    comments.push(c);
    return ' ';
  });
  const text = unquote(bare.trim());
  if (/^[^\s@]+@[^\s@]+$/.test(text)) return { name: decode(comments.join(' ')), address: text };
  return { name: decode(text || comments.join(' ')), address: '' };
}

/** The addresses of a header value; [] for undefined or empty. */
export function parseAddressList(raw: string | undefined): MailAddress[] {
  if (!raw) return [];
  return split(raw).map(parseOne);
}

/** "Name <address>", the address alone, or the name alone. */
export function formatAddress(a: MailAddress): string {
  if (a.name && a.address && a.name !== a.address) return `${a.name} <${a.address}>`;
  return a.address || a.name;
}
