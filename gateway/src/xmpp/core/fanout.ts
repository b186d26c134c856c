// One stanza, many recipients: every copy differs from the others only in its `to`, the full JID
// of the client it goes to (RFC 6120 §8.1.1.1). This is the one place that serializes such a
// stanza once, in two halves around the `to` value, and gives each recipient a light Element that
// renders as head + escaped `to` + tail. Used by
// - presence broadcast (RFC 6121 §4.2.2 and §4.4.2; the answers to an initial presence, §4.2.3)
//   and its sliced delivery (outbox.ts): with N users whose roster is everyone, a morning sign-in
//   is N² copies, and the deep clone and full serialization per copy were most of the CPU;
// - a room's fan-out (XEP-0045 §7.2.3 occupant presence, §7.4 groupchat; muc/broadcast.ts): one
//   serialization for a room of n clients instead of n (issue 12: room fan-out CPU per copy).
//
// Each client gets its own copy (a client may hold a stanza back, XEP-0352, or keep it for
// resending, XEP-0198: one element re-addressed for the next client would reach it with someone
// else's `to`). A copy still is an Element for everyone on the way out (delivery filters, CSI
// queues, XEP-0198's unacknowledged queue and resends): whoever changes a value of its attributes
// or its own list of children gets a full serialization of what it is now, never the halves.
// An attribute only added on the way (RFC 7395 §3.3.3: the WebSocket framing's xmlns) is put
// into the head, so WebSocket clients keep the single serialization.
import { Element, escapeXML } from 'ltx';

/** A stanza without its `to`, serialized once: `<name to="` and `"` + the rest. */
export interface Rendered {
  readonly name: string;
  readonly head: string;
  readonly tail: string;
  /** The attributes the halves were rendered with (`to` excluded). */
  readonly attrs: Readonly<Record<string, string>>;
  readonly keys: number;
  /** The children the halves were rendered with: a copy whose own list differs renders in full. */
  readonly children: Element['children'];
}

const SPECIAL = /["&'<>]/;
/** escapeXML, skipped for the usual JID that has nothing to escape. */
const escapeAttr = (v: string): string => (SPECIAL.test(v) ? escapeXML(v) : v);

/** Serializes `template` (its `to`, if any, left out) once for many recipients. */
export function prerender(template: Element): Rendered {
  const attrs: Record<string, string> = {};
  let keys = 0;
  for (const k in template.attrs) {
    const v = template.attrs[k];
    if (k === 'to' || v == null) continue;
    attrs[k] = v;
    keys++;
  }
  const bare = new Element(template.name, attrs);
  bare.children = template.children;
  const s = bare.toString();
  const cut = template.name.length + 1; // after "<name"
  return { name: template.name, head: `${s.slice(0, cut)} to="`, tail: `"${s.slice(cut)}`, attrs, keys, children: template.children.slice() };
}

/**
 * Templates sent many times (a session's stored presence, the outbox's queued broadcasts) are
 * rendered once. Nobody changes a stanza once it has been sent (see the top of this file): a
 * presence update is a new element.
 */
const rendered = new WeakMap<Element, Rendered>();

function cached(template: Element): Rendered {
  let r = rendered.get(template);
  if (!r) {
    r = prerender(template);
    rendered.set(template, r);
  }
  return r;
}

/** One recipient's copy of a pre-rendered stanza (see the top of this file). */
class Addressed extends Element {
  constructor(
    private readonly r: Rendered,
    to: string,
  ) {
    super(r.name);
    // Object.assign and slice(), not spreads: V8's spread of a small object is several times slower, per copy.
    const attrs: Record<string, string> = Object.assign({}, r.attrs);
    attrs.to = to;
    this.attrs = attrs;
    this.children = r.children.slice();
  }

  override toString(): string {
    const r = this.r;
    const own = this.attrs;
    const c = this.children;
    if (c.length !== r.children.length || typeof own.to !== 'string') return this.plain();
    for (let i = 0; i < c.length; i++) if (c[i] !== r.children[i]) return this.plain();
    let same = 0;
    let extra = '';
    for (const k in own) {
      const v = own[k];
      if (k === 'to' || v == null) continue;
      const was = r.attrs[k];
      if (was === undefined) extra += ` ${k}="${escapeXML(v)}"`; // added on the way out (RFC 7395's xmlns)
      else if (v !== was) return this.plain();
      else same++;
    }
    if (same !== r.keys) return this.plain();
    if (!extra) return r.head + escapeAttr(own.to) + r.tail;
    const cut = this.name.length + 1;
    return r.head.slice(0, cut) + extra + r.head.slice(cut) + escapeAttr(own.to) + r.tail;
  }

  /** Changed on the way: a plain element of what it is now (not super.toString(), which comes back through write()). */
  private plain(): string {
    const el = new Element(this.name, this.attrs);
    el.children = this.children;
    return el.toString();
  }

  /** ltx serializes children through write(): a copy inside another element renders the same way. */
  write(writer: (s: string) => void): void {
    writer(this.toString());
  }
}

/**
 * `template` addressed to `to` (a full JID): cheap, and serialized from one rendering — `template`'s
 * own (rendered on first use and kept while the template lives) or one made by prerender().
 */
export function addressed(template: Element | Rendered, to: string): Element {
  return new Addressed(template instanceof Element ? cached(template) : template, to);
}
