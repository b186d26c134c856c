// XEP-0198: Stream Management (urn:xmpp:sm:3), the per-session state machine: the count of
// stanzas handled from the client ('h', §4), the numbered queue of stanzas sent to it and kept
// until it acknowledges them, the server's own ack requests (every few stanzas, and shortly after
// the stream goes quiet) with a deadline for the answer, and the hibernation timer of a resumable
// session whose connection dropped (§5). The session (session.ts) owns the connection and the
// protocol elements; this file knows nothing of sockets. SmRegistry finds resumable sessions by
// SM-ID and remembers, for a while, the last 'h' of ended ones (§5: <failed h='…'/>).
// Counters are 32-bit and wrap to zero (§4).
import { randomBytes } from 'node:crypto';
import { Element } from 'ltx';

export const NS_SM = 'urn:xmpp:sm:3';
const NS_DELAY = 'urn:xmpp:delay';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const MAX_SEQ = 2 ** 32;

/** What the server's settings say about stream management. */
export interface SmSettings {
  /** How long a resumable session waits for its client after the connection dropped; 0 = no resumption. */
  resumeSeconds: number;
  /** Unacknowledged stanzas a hibernating session may hold (a connected one 10×); beyond it the session ends. */
  maxUnacked: number;
}

/** Timing of the server's ack requests (tests shorten them). */
export interface SmTiming {
  /** Ask for an ack after this many unacknowledged stanzas... */
  requestEvery: number;
  /** ...or this long after the last stanza went out (the stream went quiet). */
  requestDelayMs: number;
  /** An ack request unanswered this long means the connection is dead. */
  ackTimeoutMs: number;
}

export const DEFAULT_TIMING: SmTiming = { requestEvery: 10, requestDelayMs: 500, ackTimeoutMs: 60_000 };

/** What the state machine needs of its session. */
export interface SmLink {
  /** Writes to the client's current connection; nothing while hibernating. */
  write(xml: Element | string): void;
  /** An ack request went unanswered: the connection is presumably dead. */
  ackTimedOut(): void;
  /** More unacknowledged stanzas than allowed: the session has to end (called once, asynchronously). */
  overflow(): void;
}

/** A stanza sent to the client and not yet acknowledged; `at` is when it was sent (ms). */
export interface Unacked {
  stanza: Element;
  at: number;
}

interface Entry {
  el: Element;
  /** `to` when it was sent: some senders re-address the same element for the next recipient. */
  to: string | undefined;
  at: number;
}

export type SmFailure = 'bad-request' | 'feature-not-implemented' | 'item-not-found' | 'unexpected-request' | 'undefined-condition';

/** A counter value ('h') as sent by a peer: a decimal xs:unsignedInt, else undefined. */
export function parseCount(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d{1,10}$/.test(v)) return undefined;
  const n = Number(v);
  return n < MAX_SEQ ? n : undefined;
}

/** The <failed/> answer to <enable/> or <resume/> (§3, §5, §6), with a stanza error condition. */
export function failedElement(condition: SmFailure, text?: string, h?: number, extra = ''): string {
  const hAttr = h === undefined ? '' : ` h='${h}'`;
  const t = text ? `<text xmlns='${NS_STANZAS}' xml:lang='en'>${escape(text)}</text>` : '';
  return `<failed xmlns='${NS_SM}'${hAttr}><${condition} xmlns='${NS_STANZAS}'/>${extra}${t}</failed>`;
}

/** §6: the child of the stream error (or <failed/>) for an 'h' above what was sent. */
export function handledCountTooHigh(h: number, sent: number): string {
  return `<handled-count-too-high xmlns='${NS_SM}' h='${h}' send-count='${sent}'/>`;
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;');
}

function isoStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The element as it was sent: a shallow copy when its `to` was changed afterwards. */
function asSent(e: Entry): Element {
  if (e.el.attrs.to === e.to) return e.el;
  const copy = new Element(e.el.name, { ...e.el.attrs, to: e.to });
  copy.children = e.el.children;
  return copy;
}

export class StreamManagement {
  /** Stanzas handled from the client ('h'), mod 2^32. */
  handled = 0;
  /** Stanzas sent to the client, mod 2^32. */
  private sent = 0;
  private queue: Entry[] = [];
  private sinceRequest = 0;
  private awaitingAck = false;
  private connected = true;
  private overflowing = false;
  private requestTimer: NodeJS.Timeout | undefined;
  private ackTimer: NodeJS.Timeout | undefined;
  private hibernateTimer: NodeJS.Timeout | undefined;

  constructor(
    /** The SM-ID when the session may be resumed, else undefined. */
    readonly id: string | undefined,
    /** Seconds the session waits for its client after the connection dropped ('max' of <enabled/>). */
    readonly maxSeconds: number,
    /** The server's domain, for the XEP-0203 stamps on resent messages. */
    private readonly domain: string,
    private readonly maxUnacked: number,
    private readonly link: SmLink,
    private readonly timing: SmTiming = DEFAULT_TIMING,
  ) {}

  get resumable(): boolean {
    return this.id !== undefined;
  }

  get unacked(): number {
    return this.queue.length;
  }

  get sendCount(): number {
    return this.sent;
  }

  /** A stanza from the client was handled. */
  countInbound(): void {
    this.handled = (this.handled + 1) % MAX_SEQ;
  }

  /** Numbers, keeps and (when connected) writes a stanza to the client. */
  send(el: Element): void {
    this.sent = (this.sent + 1) % MAX_SEQ;
    this.queue.push({ el, to: el.attrs.to, at: Date.now() });
    this.checkLimit();
    if (!this.connected) return;
    this.link.write(el);
    if (++this.sinceRequest >= this.timing.requestEvery) this.requestAck();
    else this.requestSoon();
  }

  /** Whether `h` acknowledges more than was sent (§6); then the stream or resumption fails. */
  tooHigh(h: number): boolean {
    const acked = (this.sent - this.queue.length + MAX_SEQ) % MAX_SEQ;
    return (h - acked + MAX_SEQ) % MAX_SEQ > this.queue.length;
  }

  /** The client's <a h='…'/>: drops what it acknowledged. Check tooHigh() first. */
  ack(h: number): void {
    const acked = (this.sent - this.queue.length + MAX_SEQ) % MAX_SEQ;
    const n = (h - acked + MAX_SEQ) % MAX_SEQ;
    if (n > this.queue.length) throw new RangeError(`h=${h} acknowledges more than was sent (${this.sent})`);
    this.queue.splice(0, n);
    this.awaitingAck = false;
    this.stop('ack');
    // Ask again for what is still open — unless the client just said it handled nothing new and
    // nothing went out since: then the next stanza asks.
    if (this.queue.length && this.connected && (n > 0 || this.sinceRequest > 0)) this.requestSoon();
  }

  /** Asks the client for an ack now (unless one is outstanding), and starts the deadline for it. */
  requestAck(): void {
    this.stop('request');
    this.sinceRequest = 0;
    if (this.awaitingAck || !this.connected) return;
    this.awaitingAck = true;
    this.link.write(`<r xmlns='${NS_SM}'/>`);
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      this.link.ackTimedOut();
    }, this.timing.ackTimeoutMs).unref();
  }

  /** The connection dropped: keep everything for `maxSeconds`, then `expired` (§5). */
  hibernate(expired: () => void): void {
    this.connected = false;
    this.awaitingAck = false;
    this.sinceRequest = 0;
    this.stop('request');
    this.stop('ack');
    this.stop('hibernate');
    this.hibernateTimer = setTimeout(() => {
      this.hibernateTimer = undefined;
      expired();
    }, this.maxSeconds * 1000).unref();
    this.checkLimit();
  }

  /**
   * A new connection took the session over with <resume h='…'/> (§5): what the client handled is
   * dropped, the rest is sent again (messages with an XEP-0203 stamp of when they were first
   * sent), and counting goes on. Check tooHigh(h) first.
   */
  resume(h: number): void {
    this.stop('hibernate');
    this.connected = true;
    this.awaitingAck = false;
    this.ack(h);
    for (const e of this.queue) this.link.write(this.resent(e));
    if (this.queue.length) this.requestSoon();
  }

  /** The session ended: what the client never acknowledged, oldest first (§4: the server then takes alternative action). */
  drain(): Unacked[] {
    this.dispose();
    const out = this.queue.map((e) => ({ stanza: asSent(e), at: e.at }));
    this.queue = [];
    return out;
  }

  /** Stops every timer. */
  dispose(): void {
    this.connected = false;
    this.stop('request');
    this.stop('ack');
    this.stop('hibernate');
  }

  private resent(e: Entry): Element {
    const el = asSent(e);
    if (el.name !== 'message' || el.getChild('delay', NS_DELAY)) return el;
    const copy = new Element(el.name, { ...el.attrs });
    copy.children = [...el.children, new Element('delay', { xmlns: NS_DELAY, from: this.domain, stamp: isoStamp(e.at) })];
    return copy;
  }

  /** An ack request once the stream has been quiet for a moment (the timer restarts with each stanza). */
  private requestSoon(): void {
    if (this.awaitingAck) return;
    if (this.requestTimer) {
      this.requestTimer.refresh();
      return;
    }
    this.requestTimer = setTimeout(() => {
      this.requestTimer = undefined;
      if (this.queue.length) this.requestAck();
    }, this.timing.requestDelayMs).unref();
  }

  private checkLimit(): void {
    const limit = this.connected ? this.maxUnacked * 10 : this.maxUnacked;
    if (this.overflowing || this.queue.length <= limit) return;
    this.overflowing = true;
    // Not from inside send(): the caller may be looping over sessions.
    setImmediate(() => this.link.overflow());
  }

  private stop(which: 'request' | 'ack' | 'hibernate'): void {
    const key = `${which}Timer` as const;
    if (this[key]) clearTimeout(this[key]);
    this[key] = undefined;
  }
}

/**
 * Resumable sessions by SM-ID, and the last 'h' of recently ended ones (kept `keepMs`, at most
 * `keep` of them) so that a late <resume/> learns what the server had handled (§5).
 */
export class SmRegistry<S> {
  private readonly live = new Map<string, S>();
  private readonly ended = new Map<string, { account: number; h: number; until: number }>();

  constructor(
    private readonly keepMs = 3600_000,
    private readonly keep = 10_000,
  ) {}

  /** A fresh SM-ID: random, never reused while the server runs (§5). */
  add(session: S): string {
    let id: string;
    do id = randomBytes(18).toString('base64url');
    while (this.live.has(id) || this.ended.has(id));
    this.live.set(id, session);
    return id;
  }

  get(id: string): S | undefined {
    return this.live.get(id);
  }

  /** The session behind `id` ended for good after handling `h` stanzas. */
  end(id: string, account: number, h: number): void {
    if (!this.live.delete(id)) return;
    this.ended.set(id, { account, h, until: Date.now() + this.keepMs });
    if (this.ended.size > this.keep) this.ended.delete(this.ended.keys().next().value!);
  }

  /** The 'h' an ended session of `account` had reached, if it is still remembered. */
  lastHandled(id: string, account: number): number | undefined {
    const e = this.ended.get(id);
    if (!e) return undefined;
    if (e.until < Date.now()) {
      this.ended.delete(id);
      return undefined;
    }
    return e.account === account ? e.h : undefined;
  }

  get size(): number {
    return this.live.size;
  }
}
