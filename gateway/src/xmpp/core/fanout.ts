// One stanza, many recipients (presence broadcast, RFC 6121 §4.2.2 and §4.4.2; the answers to an
// initial presence, §4.2.3): every copy differs from the others only in its `to` — the server
// stamps each recipient's full JID there, as RFC 6121 §4.2.2 and §4.4.2 have it ("the user's server
// MUST ... stamp the 'to' address as the full JID of the contact's resource" in practice; clients
// rely on it) — so the stanza is serialized once, in two halves around the `to` value, and each
// recipient's copy is a light Element that shares the original's children and renders as
// head + escaped `to` + tail. With N users whose roster is everyone, a morning sign-in is N²
// copies: the deep clone and full serialization per copy were most of the server's CPU.
import { Element, escapeXML } from 'ltx';

/** The stanza without its `to`, serialized once: `<name to="` + … and `"` + the rest. */
interface Rendered {
  readonly head: string;
  readonly tail: string;
  /** The attributes the halves were rendered with (`to` excluded): a copy whose own differ renders in full. */
  readonly attrs: Readonly<Record<string, string>>;
  readonly keys: number;
}

const rendered = new WeakMap<Element, Rendered>();

const SPECIAL = /["&'<>]/;
/** escapeXML, skipped for the usual JID that has nothing to escape. */
const escapeAttr = (v: string): string => (SPECIAL.test(v) ? escapeXML(v) : v);

function render(template: Element): Rendered {
  let r = rendered.get(template);
  if (r) return r;
  const attrs: Record<string, string> = {};
  for (const k in template.attrs) if (k !== 'to' && template.attrs[k] != null) attrs[k] = template.attrs[k];
  const bare = new Element(template.name, attrs);
  bare.children = template.children;
  const s = bare.toString();
  const cut = template.name.length + 1; // after "<name"
  r = { head: `${s.slice(0, cut)} to="`, tail: `"${s.slice(cut)}`, attrs, keys: Object.keys(attrs).length };
  rendered.set(template, r);
  return r;
}

/**
 * A copy of a fanned-out stanza addressed to one recipient. It shares its template's children
 * (nobody changes a stanza on its way out: stream management, CSI and filters read it, and the
 * ones that add to it — XEP-0198's delay on resent messages, RFC 7395's xmlns — copy or restore),
 * and serializes from the template's pre-rendered halves unless its own attributes were changed.
 */
class Addressed extends Element {
  constructor(
    name: string,
    private readonly r: Rendered,
    attrs: Record<string, string>,
    children: Element['children'],
  ) {
    super(name);
    this.attrs = attrs;
    this.children = children;
  }

  override toString(): string {
    const own = this.attrs;
    const r = this.r;
    let same = 0;
    let extra = '';
    for (const k in own) {
      const v = own[k];
      if (k === 'to' || v == null) continue;
      const was = r.attrs[k];
      if (was === undefined) extra += ` ${k}="${escapeXML(v)}"`; // added on the way out (RFC 7395's xmlns)
      else if (v !== was) return super.toString();
      else same++;
    }
    if (same !== r.keys || typeof own.to !== 'string') return super.toString();
    if (!extra) return r.head + escapeAttr(own.to) + r.tail;
    const cut = this.name.length + 1;
    return r.head.slice(0, cut) + extra + r.head.slice(cut) + escapeAttr(own.to) + r.tail;
  }
}

/** `template` addressed to `to` (a full JID): cheap, and serialized from the template's one rendering. */
export function addressed(template: Element, to: string): Element {
  const r = render(template);
  // Object.assign, not a spread: V8's spread of a small object is several times slower, per copy.
  const attrs: Record<string, string> = Object.assign({}, r.attrs);
  attrs.to = to;
  return new Addressed(template.name, r, attrs, template.children);
}
