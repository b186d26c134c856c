// The XMPP benchmark's load-generator client: as little as a client can be, so the load
// generator's own cost stays small beside the server's. Raw sockets (net + tls), a stanza
// splitter instead of a full XML parser (it only finds where top-level elements start and end:
// enough for what Herald and Prosody send — no CDATA, comments, or a literal ">" in attribute
// values, which both escape), and regular expressions on the few stanzas a login needs.
// Logins: STARTTLS (optional), SASL PLAIN or SCRAM-SHA-1 (RFC 5802; the salted password is
// cached per salt and iteration count, as RFC 5802 §5.1 allows clients to), resource binding,
// roster get and initial presence (optional).
import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto';
import net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import tls from 'node:tls';

/** Splits a stream into its header, top-level elements (as text) and its end. */
export class StanzaSplitter {
  private buf = '';
  private pos = 0;
  private depth = 0;
  private start = 0;

  constructor(
    private readonly onHeader: (text: string) => void,
    private readonly onStanza: (text: string) => void,
    private readonly onEnd: () => void,
  ) {}

  reset(): void {
    this.buf = '';
    this.pos = 0;
    this.depth = 0;
    this.start = 0;
  }

  push(text: string): void {
    const buf = (this.buf += text);
    for (;;) {
      const lt = buf.indexOf('<', this.pos);
      if (lt === -1) {
        this.pos = buf.length;
        break;
      }
      const gt = buf.indexOf('>', lt);
      if (gt === -1) {
        this.pos = lt;
        break;
      }
      this.pos = gt + 1;
      const c = buf.charCodeAt(lt + 1);
      if (c === 63 /* ? */ || c === 33 /* ! */) continue;
      if (c === 47 /* / */) {
        this.depth--;
        if (this.depth === 1) this.onStanza(buf.slice(this.start, gt + 1));
        else if (this.depth <= 0) {
          this.depth = 0;
          this.onEnd();
        }
        continue;
      }
      const selfClosing = buf.charCodeAt(gt - 1) === 47;
      if (this.depth === 0) {
        this.depth = 1;
        this.onHeader(buf.slice(lt, gt + 1));
        continue;
      }
      if (this.depth === 1) this.start = lt;
      if (selfClosing) {
        if (this.depth === 1) this.onStanza(buf.slice(lt, gt + 1));
      } else this.depth++;
    }
    // Keep only what is still needed: the stanza in progress, or the unfinished tag.
    const keep = this.depth > 1 ? this.start : this.pos;
    if (keep > 0) {
      this.buf = buf.slice(keep);
      this.pos -= keep;
      this.start = this.depth > 1 ? 0 : this.start - keep;
    }
  }
}

export const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const streamOpen = (domain: string) =>
  `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${domain}' version='1.0'>`;

/** Text content of the first <name> element in a stanza (no entities beyond base64 expected). */
export const childText = (stanza: string, name: string): string | undefined => {
  const m = new RegExp(`<${name}(?:\\s[^>]*)?>([^<]*)</${name}>`).exec(stanza);
  return m?.[1];
};
export const attr = (stanza: string, name: string): string | undefined => {
  const end = stanza.indexOf('>');
  const m = new RegExp(`\\s${name}=(?:'([^']*)'|"([^"]*)")`).exec(stanza.slice(0, end));
  return m ? (m[1] ?? m[2]) : undefined;
};

export type Mechanism = 'PLAIN' | 'SCRAM-SHA-1';

export interface LoginSpec {
  port: number;
  /** The stream's `to` and the TLS server name. */
  domain: string;
  /** SASL user name: the local part (both servers add the stream's domain). */
  user: string;
  /** Password, or a Herald device token (PLAIN only). */
  secret: string;
  mechanism: Mechanism;
  starttls: boolean;
  resource: string;
  roster: boolean;
  presence: boolean;
  timeoutMs?: number;
}

/** Salted passwords by password, salt and iteration count (RFC 5802 §5.1: clients may cache them). */
const saltedCache = new Map<string, Promise<Buffer>>();
function saltedPassword(password: string, salt: string, iterations: number): Promise<Buffer> {
  const key = `${iterations}:${salt}:${password}`;
  let p = saltedCache.get(key);
  if (!p) {
    p = new Promise<Buffer>((resolve, reject) =>
      pbkdf2(password.normalize('NFKC'), Buffer.from(salt, 'base64'), iterations, 20, 'sha1', (e, k) => (e ? reject(e) : resolve(k))),
    );
    saltedCache.set(key, p);
  }
  return p;
}

export class LoginError extends Error {
  override name = 'LoginError';
}

/** One client connection. Before login() resolves stanzas are read in order with next(); afterwards they go to onStanza. */
export class Conn {
  socket: net.Socket;
  /** Set after login: every stanza received from then on. */
  onStanza: ((text: string) => void) | undefined;
  readonly closed: Promise<void>;
  jid = '';
  private decoder = new StringDecoder('utf8');
  private readonly splitter: StanzaSplitter;
  private readonly queue: string[] = [];
  private waiter: ((s: string | undefined) => void) | undefined;
  private ended = false;
  private markClosed!: () => void;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.closed = new Promise((r) => (this.markClosed = r));
    this.splitter = new StanzaSplitter(
      (header) => this.deliver(header),
      (stanza) => this.deliver(stanza),
      () => this.finish(),
    );
    this.attach(socket);
  }

  /** `localAddress`: the source address (any 127.x.y.z on Linux), to look like another client. */
  static connect(port: number, localAddress?: string): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
      s.setNoDelay(true);
      s.once('connect', () => {
        s.removeListener('error', reject);
        resolve(new Conn(s));
      });
      s.once('error', reject);
    });
  }

  private attach(s: net.Socket) {
    s.on('data', (chunk: Buffer) => {
      if (s !== this.socket) return;
      this.splitter.push(this.decoder.write(chunk));
    });
    s.on('error', () => this.finish());
    s.on('close', () => this.finish());
  }

  private deliver(stanza: string) {
    if (this.onStanza) return this.onStanza(stanza);
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w(stanza);
    } else this.queue.push(stanza);
  }

  private finish() {
    if (this.ended) return;
    this.ended = true;
    this.waiter?.(undefined);
    this.waiter = undefined;
    this.markClosed();
  }

  get isClosed(): boolean {
    return this.ended;
  }

  send(xml: string): void {
    if (!this.ended) this.socket.write(xml);
  }

  /** The next stanza (or stream header) received; rejects on close or timeout. */
  next(timeoutMs: number, what: string): Promise<string> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.ended) return Promise.reject(new LoginError(`connection closed while waiting for ${what}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new LoginError(`timeout waiting for ${what}`));
      }, timeoutMs);
      this.waiter = (s) => {
        clearTimeout(timer);
        if (s === undefined) reject(new LoginError(`connection closed while waiting for ${what}`));
        else resolve(s);
      };
    });
  }

  /** The next stanza that is not a stream header and passes `pred` (others are skipped). */
  async expect(pred: (s: string) => boolean, timeoutMs: number, what: string): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.next(Math.max(1, deadline - Date.now()), what);
      if (s.startsWith('<stream:error')) throw new LoginError(`stream error while waiting for ${what}: ${s.slice(0, 300)}`);
      if (!s.startsWith('<stream:stream') && !s.startsWith('<?xml') && pred(s)) return s;
    }
  }

  private restart(domain: string) {
    this.splitter.reset();
    this.queue.length = 0;
    this.send(streamOpen(domain));
  }

  private startTls(servername: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const plain = this.socket;
      plain.removeAllListeners('data');
      this.splitter.reset();
      this.decoder = new StringDecoder('utf8');
      const secure = tls.connect({ socket: plain, servername, rejectUnauthorized: false }, () => resolve());
      secure.once('error', reject);
      this.socket = secure;
      this.attach(secure);
    });
  }

  /** Logs in as far as the spec says; throws LoginError naming the step that failed. */
  async login(o: LoginSpec): Promise<void> {
    const t = o.timeoutMs ?? 30_000;
    this.restart(o.domain);
    let features = await this.expect((s) => s.startsWith('<stream:features'), t, 'stream features');
    if (o.starttls) {
      if (!features.includes('<starttls')) throw new LoginError('server does not offer STARTTLS');
      this.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
      const proceed = await this.expect(() => true, t, 'STARTTLS proceed');
      if (!proceed.startsWith('<proceed')) throw new LoginError(`STARTTLS refused: ${proceed.slice(0, 200)}`);
      await this.startTls(o.domain);
      this.restart(o.domain);
      features = await this.expect((s) => s.startsWith('<stream:features'), t, 'stream features after STARTTLS');
    }
    if (!features.includes(`>${o.mechanism}<`)) throw new LoginError(`server does not offer SASL ${o.mechanism}: ${features.slice(0, 400)}`);
    let success: string;
    if (o.mechanism === 'PLAIN') {
      this.send(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${Buffer.from(`\0${o.user}\0${o.secret}`).toString('base64')}</auth>`);
      success = await this.expect(() => true, t, 'SASL result');
    } else {
      const cnonce = randomBytes(12).toString('base64');
      const clientFirstBare = `n=${o.user},r=${cnonce}`;
      this.send(`<auth xmlns='${NS_SASL}' mechanism='SCRAM-SHA-1'>${Buffer.from(`n,,${clientFirstBare}`).toString('base64')}</auth>`);
      const challenge = await this.expect(() => true, t, 'SCRAM challenge');
      if (!challenge.startsWith('<challenge')) throw new LoginError(`SCRAM refused: ${challenge.slice(0, 200)}`);
      const serverFirst = Buffer.from(childText(challenge, 'challenge') ?? '', 'base64').toString('utf8');
      const a = new Map(serverFirst.split(',').map((p) => [p[0], p.slice(2)] as const));
      const nonce = a.get('r') ?? '';
      if (!nonce.startsWith(cnonce)) throw new LoginError(`bad SCRAM challenge ${serverFirst}`);
      const salted = await saltedPassword(o.secret, a.get('s') ?? '', Number(a.get('i')));
      const withoutProof = `c=biws,r=${nonce}`;
      const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
      const clientKey = createHmac('sha1', salted).update('Client Key').digest();
      const storedKey = createHash('sha1').update(clientKey).digest();
      const signature = createHmac('sha1', storedKey).update(authMessage).digest();
      for (let i = 0; i < clientKey.length; i++) clientKey[i]! ^= signature[i]!;
      this.send(`<response xmlns='${NS_SASL}'>${Buffer.from(`${withoutProof},p=${clientKey.toString('base64')}`).toString('base64')}</response>`);
      success = await this.expect(() => true, t, 'SASL result');
    }
    if (!success.startsWith('<success')) throw new LoginError(`SASL ${o.mechanism} failed: ${success.slice(0, 300)}`);
    this.restart(o.domain);
    await this.expect((s) => s.startsWith('<stream:features'), t, 'stream features after SASL');
    this.send(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${o.resource}</resource></bind></iq>`);
    const bound = await this.expect((s) => s.startsWith('<iq') && attr(s, 'id') === 'bind1', t, 'bind result');
    this.jid = childText(bound, 'jid') ?? '';
    if (attr(bound, 'type') !== 'result' || !this.jid) throw new LoginError(`bind failed: ${bound.slice(0, 300)}`);
    if (o.roster) {
      this.send(`<iq type='get' id='roster1'><query xmlns='jabber:iq:roster'/></iq>`);
      const r = await this.expect((s) => s.startsWith('<iq') && attr(s, 'id') === 'roster1', t, 'roster result');
      if (attr(r, 'type') !== 'result') throw new LoginError(`roster get failed: ${r.slice(0, 300)}`);
    }
    if (o.presence) this.send('<presence/>');
    // From here on stanzas go to onStanza (presence from colleagues is dropped until it is set).
    this.queue.length = 0;
    this.onStanza = () => {};
  }

  /** Ends the stream politely and drops the connection shortly after. */
  close(): void {
    if (this.ended) return;
    this.socket.end('</stream:stream>');
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  kill(): void {
    this.socket.destroy();
  }
}
