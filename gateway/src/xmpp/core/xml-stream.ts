// RFC 6120 §4 XML streams, parsed incrementally with ltx's SAX parser, with the limits a
// server needs: restricted XML (§11.1: no comments, processing instructions, DTDs or
// non-predefined entities → <restricted-xml/>), a maximum stanza size and nesting depth
// (→ <policy-violation/>), UTF-8 decoded across chunk boundaries, and malformed XML reported
// as <not-well-formed/>. Errors are thrown from write(); the caller closes only that stream.
import { StringDecoder } from 'node:string_decoder';
import { Element } from 'ltx';
import SaxLtx from 'ltx/src/parsers/ltx.js';

export const NS_STREAM = 'http://etherx.jabber.org/streams';

export type StreamErrorCondition =
  | 'bad-format'
  | 'conflict'
  | 'connection-timeout'
  | 'host-unknown'
  | 'invalid-from'
  | 'invalid-namespace'
  | 'invalid-xml'
  | 'not-authorized'
  | 'not-well-formed'
  | 'policy-violation'
  | 'reset'
  | 'resource-constraint'
  | 'restricted-xml'
  | 'system-shutdown'
  | 'undefined-condition'
  | 'unsupported-stanza-type'
  | 'unsupported-version'
  | 'internal-server-error';

/** A condition that ends the stream (RFC 6120 §4.9.3). */
export class StreamError extends Error {
  override name = 'StreamError';
  constructor(
    readonly condition: StreamErrorCondition,
    text?: string,
  ) {
    super(text ?? condition);
  }
}

export interface XmlStreamLimits {
  /** Largest stanza accepted, in characters (about bytes for ASCII-heavy XML). */
  maxStanzaChars: number;
  /** Deepest element nesting inside a stanza (the stream root is depth 1, a stanza depth 2). */
  maxDepth: number;
}

export interface XmlStreamHandlers {
  streamStart(attrs: Record<string, string>): void;
  stanza(el: Element): void;
  streamEnd(): void;
}

const CDATA_OPEN = '<![CDATA[';

export class XmlStream {
  private decoder = new StringDecoder('utf8');
  private parser!: SaxLtx;
  private root: Element | undefined;
  private cursor: Element | undefined;
  private depth = 0;
  private stanzaChars = 0;
  /** Characters held back because a "<!" or "<?" at the end of a chunk cannot be judged yet. */
  private held = '';
  private inCdata = false;
  private seenMarkup = false;
  private failed: StreamError | undefined;

  constructor(
    private readonly limits: XmlStreamLimits,
    private readonly handlers: XmlStreamHandlers,
  ) {
    this.restart();
  }

  /** A new stream on the same connection (after STARTTLS or SASL success, RFC 6120 §5.4.3.3, §6.4.6). */
  restart(): void {
    this.parser = new SaxLtx();
    this.parser.on('startElement', (name: string, attrs: Record<string, string>) => this.onStart(name, attrs));
    this.parser.on('endElement', (name: string) => this.onEnd(name));
    this.parser.on('text', (text: string) => this.onText(text));
    this.root = this.cursor = undefined;
    this.depth = 0;
    this.stanzaChars = 0;
    this.held = '';
    this.inCdata = false;
    this.seenMarkup = false;
  }

  write(chunk: Buffer | string): void {
    if (this.failed) throw this.failed;
    let text = this.held + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    if (!this.seenMarkup) {
      // The XML declaration may only open the stream; ltx cannot skip one split across chunks,
      // so it is taken off here.
      const start = text.replace(/^[\s\uFEFF]+/, '');
      if (start.length < 5 && '<?xml'.startsWith(start)) {
        this.held = text;
        return;
      }
      if (start.startsWith('<?xml')) {
        const end = start.indexOf('?>');
        if (end === -1) {
          if (start.length > 1000) this.fail(new StreamError('not-well-formed', 'endless XML declaration'));
          this.held = text;
          return;
        }
        text = start.slice(end + 2);
      }
      if (text.trim()) this.seenMarkup = true;
    }
    const cut = this.screen(text);
    this.held = text.slice(cut);
    const feed = text.slice(0, cut);
    this.stanzaChars += feed.length;
    if (this.stanzaChars > this.limits.maxStanzaChars) this.fail(new StreamError('policy-violation', `stanza larger than ${this.limits.maxStanzaChars} characters`));
    try {
      this.parser.write(feed);
    } catch (e) {
      if (e instanceof StreamError) this.fail(e);
      const message = (e as Error).message;
      // ltx throws on entities it does not know (DTD-declared ones) and on illegal characters.
      this.fail(new StreamError(/entity/i.test(message) ? 'restricted-xml' : 'not-well-formed', message));
    }
    if (this.depth <= 1) this.stanzaChars = 0;
  }

  /**
   * Finds restricted markup outside CDATA sections and returns how much of `text` can be fed
   * now (the rest — a "<" whose kind is not decided yet — waits for the next chunk).
   */
  private screen(text: string): number {
    let i = 0;
    while (i < text.length) {
      if (this.inCdata) {
        const end = text.indexOf(']]>', i);
        if (end === -1) return Math.max(i, text.length - 2);
        this.inCdata = false;
        i = end + 3;
        continue;
      }
      const lt = text.indexOf('<', i);
      if (lt === -1) return text.length;
      const next = text[lt + 1];
      if (next === undefined) return lt;
      if (next === '!') {
        const head = text.slice(lt, lt + CDATA_OPEN.length);
        if (head.length < CDATA_OPEN.length && CDATA_OPEN.startsWith(head)) return lt;
        if (head !== CDATA_OPEN) this.fail(new StreamError('restricted-xml', 'comments and DTDs are not allowed in XMPP (RFC 6120 §11.1)'));
        this.inCdata = true;
        i = lt + CDATA_OPEN.length;
        continue;
      }
      if (next === '?') this.fail(new StreamError('restricted-xml', 'processing instructions are not allowed in XMPP (RFC 6120 §11.1)'));
      i = lt + 1;
    }
    return text.length;
  }

  private fail(e: StreamError): never {
    this.failed = e;
    throw e;
  }

  private onStart(name: string, attrs: Record<string, string>): void {
    this.depth++;
    if (!this.root) {
      if (name !== 'stream:stream' || attrs['xmlns:stream'] !== NS_STREAM) {
        throw new StreamError('invalid-namespace', 'expected <stream:stream xmlns:stream="http://etherx.jabber.org/streams">');
      }
      this.root = this.cursor = new Element(name, attrs);
      this.handlers.streamStart(attrs);
      return;
    }
    if (this.depth > this.limits.maxDepth) throw new StreamError('policy-violation', `elements nested deeper than ${this.limits.maxDepth}`);
    const el = new Element(name, attrs);
    if (this.cursor !== this.root) this.cursor!.cnode(el);
    this.cursor = el;
  }

  private onEnd(name: string): void {
    const cursor = this.cursor;
    if (!cursor || name !== cursor.name) throw new StreamError('not-well-formed', `</${name}> does not close <${cursor?.name ?? 'nothing'}>`);
    this.depth--;
    if (cursor === this.root) {
      this.handlers.streamEnd();
      return;
    }
    if (this.depth === 1) {
      this.cursor = this.root;
      cursor.parent = null;
      this.stanzaChars = 0;
      this.handlers.stanza(cursor);
      return;
    }
    this.cursor = cursor.parent ?? this.root;
  }

  private onText(text: string): void {
    // Whitespace between stanzas is a keepalive (RFC 6120 §4.6.1); other text there is ignored.
    if (this.depth >= 2 && this.cursor) this.cursor.t(text);
  }
}
