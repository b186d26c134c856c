// Watches one user's mailbox over one IMAP connection: INBOX stays selected in IDLE (RFC 2177),
// so new mail there is pushed; every `sweepSeconds` one LIST-STATUS (RFC 5819) looks at all
// folders (new, renamed, deleted, changed). All work on the connection runs one step at a time.
// A lost or refused connection makes the watch unavailable and it reconnects with jittered
// exponential backoff; once back, a full sweep alerts the mail that came meanwhile, once.
//
// With mail push (settings.changes = 'push') the server tells us of every change (changed()),
// so nothing is swept on a timer without a connection: it is opened for the work at hand (the first
// sweep, a pushed change, ack, refresh, fetchRaw) and closed `lingerMs` after the last of it —
// a user nobody reads mail for holds no connection at rest. While a client of the user is online
// (setActive) the connection stays, so a push costs one LIST-STATUS and a FETCH, not a login.
//
// A class with module-level imapflow listeners (the watch rides along as `client.context`):
// 1,000 watches should cost 1,000 small objects, not 1,000 sets of closures (see mailbox-state.ts).
import type { ImapFlow } from 'imapflow';
import type { Logger } from '../../config/logger.ts';
import type { Folder, MailStatus } from '../../protocol/api.ts';
import { HeraldError } from '../../protocol/errors.ts';
import type { AccountRow, Store } from '../../store/index.ts';
import type { MailboxEvents, MailboxWatch, MailChange, RawMessage } from '../source.ts';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts';
import { examine, fetchRawMessage, folderStatus, listFolders } from './folder-sync.ts';
import { closeClient, createImapClient, describeImapError, describeLogin, serverLabel, type ImapSettings } from './imap-connection.ts';
import type { TrackedFolder } from './folder-track.ts';
import { MailboxState } from './mailbox-state.ts';

/** After a refused login, wait at least this long: retrying faster only feeds the server's penalty. */
const AUTH_FAILURE_MIN_DELAY_MS = 10_000;

export interface ImapWatchDeps {
  account: AccountRow;
  settings: ImapSettings;
  store: Store;
  log: Logger;
  events: MailboxEvents;
  backoff?: BackoffOptions;
  /** Called once when the watch is closed (the source forgets it). */
  onClose?: (w: ImapWatch) => void;
  /** Push mode: how long an unused connection stays open (changes arriving together share it). */
  lingerMs?: number;
}

const DEFAULT_LINGER_MS = 250;

// imapflow emits with the client as `this`; these are shared by every connection.
function onClientError(this: ImapFlow, err: Error) {
  (this.context as ImapWatch).clientError(err);
}
function onClientClose(this: ImapFlow) {
  (this.context as ImapWatch).clientClosed(this);
}
function onMailboxChange(this: ImapFlow, ev: { path?: string }) {
  if (ev.path === 'INBOX') (this.context as ImapWatch).inboxChanged(this);
}

export class ImapWatch implements MailboxWatch {
  readonly ready: Promise<void>;
  private settleReady!: () => void;
  private readonly state: MailboxState;
  private client: ImapFlow | undefined;
  private connecting: ImapFlow | undefined;
  private closed = false;
  private initializing = true;
  private current: MailStatus = { state: 'ok' };
  /** Why folders() cannot answer; undefined once the mailbox is known and the server reachable. */
  private unavailable: string | undefined = 'not connected yet';
  private lastError: string | undefined;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private nextSweepAt = Infinity;
  private readonly want = { sweep: false, inbox: false, reconcile: false };
  private pumping: Promise<void> | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  /** Mail push: connect for work, close when it is done (see the top of the file). */
  private readonly push: boolean;
  /** Work in progress that needs the connection (push mode closes it only at 0). */
  private leases = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  private connectingP: Promise<void> | undefined;
  private active = false;
  /** Folders a push named (messages added, flagged or expunged): read with a synced STATUS. */
  private readonly pushed = new Set<string>();

  constructor(private readonly deps: ImapWatchDeps) {
    this.push = deps.settings.changes === 'push';
    this.state = new MailboxState(deps.account, deps.store, deps.log);
    this.ready = new Promise<void>((resolve) => (this.settleReady = resolve));
    void this.connect();
  }

  folders(): Folder[] {
    if (this.unavailable) throw this.unavailableError();
    return this.state.snapshot();
  }

  status(): MailStatus {
    return this.current;
  }

  /** An IMAP connection is open now. */
  get connected(): boolean {
    return this.client !== undefined;
  }

  changed(changes: readonly MailChange[]): void {
    if (this.closed || changes.length === 0) return;
    // Folder events (and folders we do not know yet) need the folder list: one LIST-STATUS.
    // Message events name their folder, which is read after SELECT/NOOP: Dovecot pushes inside
    // the delivery's commit, and a LIST-STATUS then may still answer from its list index (the
    // new message missing, measured) — a synced session sees it.
    for (const ch of changes) {
      if (ch.kind === 'mailbox' || !this.state.get(ch.folder)) this.want.sweep = true;
      else this.pushed.add(ch.folder);
    }
    void this.withConnection(() => this.pump());
  }

  setActive(active: boolean): void {
    if (!this.push || this.closed || active === this.active) return;
    this.active = active;
    if (!active) return this.unlease();
    this.leases++; // held while active: the connection stays
    clearTimeout(this.lingerTimer);
    if (!this.client) void this.connect();
  }

  async ack(path: string, uid?: number): Promise<void> {
    if (this.unavailable || (!this.client && !this.push)) throw this.unavailableError();
    const known = this.state.get(path);
    if (!known) throw new HeraldError('not_found', `no folder "${path}"`);
    await this.withConnection(() => this.ackNow(path, known, uid));
  }

  private async ackNow(path: string, known: TrackedFolder, uid: number | undefined): Promise<void> {
    if (!this.client) throw this.unavailableError();
    await this.serial(async () => {
      const c = this.client;
      if (!c) throw this.unavailableError();
      try {
        // Acknowledge what is in the folder now, not what the last sweep saw.
        this.state.applyOne(path, await folderStatus(c, known));
      } catch (err) {
        if (c !== this.client || !c.usable) throw this.unavailableError();
        this.log('warn', { folder: path, err: (err as Error).message }, 'STATUS before ack failed; using the last known one');
      }
      const t = this.state.get(path);
      if (!t) throw new HeraldError('not_found', `no folder "${path}"`);
      this.state.ack(t, uid);
    });
    await this.request('reconcile');
    if (this.unavailable) throw this.unavailableError();
  }

  async refresh(): Promise<void> {
    if (this.unavailable || (!this.client && !this.push)) throw this.unavailableError();
    await this.withConnection(() => this.request('sweep'));
    if (this.unavailable) throw this.unavailableError();
  }

  async fetchRaw(path: string, uid: number, maxBytes: number): Promise<RawMessage> {
    if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes must be a positive integer, not ${maxBytes}`);
    if (this.unavailable || (!this.client && !this.push)) throw this.unavailableError();
    if (!this.state.get(path)) throw new HeraldError('not_found', `no folder "${path}"`);
    return this.withConnection(() => this.fetchRawNow(path, uid, maxBytes));
  }

  private async fetchRawNow(path: string, uid: number, maxBytes: number): Promise<RawMessage> {
    if (!this.client) throw this.unavailableError();
    const raw = await this.serial(async () => {
      const c = this.client;
      if (!c) throw this.unavailableError();
      try {
        return await fetchRawMessage(c, path, uid, maxBytes);
      } catch (err) {
        if (c !== this.client || !c.usable) throw this.unavailableError();
        throw err;
      } finally {
        // IDLE belongs on INBOX: go back, and look again at what came there meanwhile.
        if (!this.push && c === this.client && c.usable && c.mailbox && c.mailbox.path !== 'INBOX') {
          await examine(c, 'INBOX').catch(() => undefined);
          this.want.inbox = true;
        }
      }
    });
    if (this.want.inbox) void this.pump();
    if (!raw) throw new HeraldError('not_found', `no message ${uid} in "${path}"`);
    return raw;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unavailable = 'the watch is closed';
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.lingerTimer);
    this.settleReady();
    const open = [this.client, this.connecting].filter((c): c is ImapFlow => !!c);
    this.client = this.connecting = undefined;
    this.deps.onClose?.(this);
    await Promise.all(open.map((c) => closeClient(c)));
  }

  /** Driven by the source's shared ticker: starts the periodic sweep when it is due. */
  tick(now: number): void {
    if (!this.client || this.closed || now < this.nextSweepAt) return;
    this.nextSweepAt = now + this.sweepMs();
    void this.request('sweep');
  }

  // --- imapflow events (see the listeners above) ---

  clientError(err: Error): void {
    // imapflow reports socket trouble as 'error' and then 'close'; neither may crash the gateway.
    this.lastError = this.describe(err);
    this.log('debug', { err: err.message }, 'IMAP connection error');
  }

  clientClosed(c: ImapFlow): void {
    this.lost(c, this.lastError ?? 'connection closed by the server');
  }

  inboxChanged(c: ImapFlow): void {
    if (c === this.client) void this.request('inbox');
  }

  // --- internals ---

  private get server(): string {
    return serverLabel(this.deps.settings);
  }

  private sweepMs(): number {
    return this.deps.settings.sweepSeconds * 1000 * (0.9 + Math.random() * 0.2);
  }

  private log(level: 'debug' | 'info' | 'warn', obj: object, msg: string): void {
    this.deps.log[level]({ user: this.deps.account.address, ...obj }, msg);
  }

  private describe(err: unknown): string {
    const { settings, account } = this.deps;
    return describeImapError(err, { login: describeLogin(settings.login, account.address), timeoutSeconds: settings.connectTimeoutSeconds });
  }

  private unavailableError(): HeraldError {
    return new HeraldError('mail_unavailable', `IMAP server ${this.server} is unavailable: ${this.unavailable ?? 'connection lost'}`);
  }

  /** Runs IMAP work strictly one after the other on this watch's connection. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private setUnavailable(reason: string): void {
    this.unavailable = reason;
    const message = `IMAP server ${this.server}: ${reason}`;
    const was = this.current.state;
    this.current = { state: 'unavailable', message };
    if (was === 'unavailable' || this.closed) return; // told once per outage
    this.log('warn', {}, `mail server unavailable: ${message}`);
    this.deps.events.status(this.current);
  }

  private setAvailable(): void {
    this.unavailable = undefined;
    this.attempt = 0;
    if (this.current.state === 'ok') return;
    this.current = { state: 'ok' };
    this.log('info', {}, `mail server ${this.server} available again`);
    if (!this.closed) this.deps.events.status(this.current);
  }

  private flush(): void {
    if (this.closed || this.initializing || this.unavailable) return;
    this.state.flush(this.deps.events);
  }

  private scheduleReconnect(authFailed: boolean): void {
    if (this.closed || this.reconnectTimer) return;
    let delay = backoffDelay(this.attempt++, this.deps.backoff ?? DEFAULT_BACKOFF);
    if (authFailed) delay = Math.max(delay, AUTH_FAILURE_MIN_DELAY_MS);
    this.log('debug', { delay }, 'reconnecting later');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  /** The live connection went away (server closed it, network, or a failed step). */
  private lost(c: ImapFlow, reason: string): void {
    if (c !== this.client) return;
    this.client = undefined;
    c.close();
    this.setUnavailable(reason);
    this.scheduleReconnect(false);
  }

  /** Runs `fn` with the connection open (push mode opens it first, and closes it after the last user). */
  private async withConnection<T>(fn: () => Promise<T>): Promise<T> {
    this.leases++;
    clearTimeout(this.lingerTimer);
    try {
      if (this.push && !this.client && !this.closed) await this.connect();
      return await fn();
    } finally {
      this.unlease();
    }
  }

  private unlease(): void {
    if (--this.leases > 0 || !this.push || this.closed || !this.client) return;
    clearTimeout(this.lingerTimer);
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      if (this.leases === 0 && !this.pumping) this.release();
    }, this.deps.lingerMs ?? DEFAULT_LINGER_MS);
    this.lingerTimer.unref();
  }

  /** Push mode, nothing to do: log out. Not a loss (the close event finds client unset). */
  private release(): void {
    const c = this.client;
    if (!c) return;
    this.client = undefined;
    void closeClient(c);
  }

  private request(what: 'sweep' | 'inbox' | 'reconcile'): Promise<void> {
    this.want[what] = true;
    return this.pump();
  }

  /** Works through what was asked (sweep, INBOX check, recount) until nothing is left. Never rejects. */
  private pump(): Promise<void> {
    if (this.pumping) return this.pumping;
    this.pumping = this.serial(() => this.drain()).finally(() => {
      this.pumping = undefined;
    });
    return this.pumping;
  }

  private async drain(): Promise<void> {
    const want = this.want;
    while (!this.closed && this.client && (want.sweep || want.inbox || want.reconcile || this.pushed.size > 0)) {
      const c = this.client;
      try {
        if (want.sweep) {
          want.sweep = want.inbox = false;
          this.state.applyList(await listFolders(c));
        } else if (want.inbox) {
          want.inbox = false;
          // STATUS of the selected INBOX (RFC 3501 §6.3.10 discourages it as a new-mail check
          // because the session may lag; Dovecot answers correctly, tagged [CLIENTBUG]). The
          // UID FETCH/SEARCH that follow bring the session up to date anyway.
          const inbox = this.state.get('INBOX') ?? { path: 'INBOX', name: 'INBOX', specialUse: '\\Inbox' };
          this.state.applyOne('INBOX', await folderStatus(c, inbox));
        }
        for (const path of [...this.pushed]) {
          const t = this.state.get(path); // undefined: gone meanwhile (the sweep forgot it)
          if (t) {
            if (c.mailbox && c.mailbox.path === path) await c.noop();
            else await examine(c, path);
            this.state.applyOne(path, await folderStatus(c, t));
          }
          // Only once read: a step that fails leaves it for the reconnect's pass.
          this.pushed.delete(path);
        }
        want.reconcile = false;
        await this.state.reconcile(c);
        if (!this.push && (!c.mailbox || c.mailbox.path !== 'INBOX')) {
          // Back to IDLE on INBOX; what arrived there while another folder was open is looked at again.
          await examine(c, 'INBOX');
          want.inbox = true;
        }
        this.flush();
      } catch (err) {
        if (c === this.client && !this.closed) {
          this.log('warn', { err: (err as Error).message }, 'IMAP step failed; reconnecting');
          this.lost(c, this.describe(err));
        }
      }
    }
  }

  /** Connects (or joins the connect under way); settles when connected or failed. */
  private connect(): Promise<void> {
    if (this.closed || this.client) return Promise.resolve();
    this.connectingP ??= this.openConnection().finally(() => (this.connectingP = undefined));
    return this.connectingP;
  }

  private async openConnection(): Promise<void> {
    this.leases++;
    clearTimeout(this.lingerTimer);
    const c = createImapClient(this.deps.settings, this.deps.account.address, this);
    this.connecting = c;
    this.lastError = undefined;
    c.on('error', onClientError);
    c.on('close', onClientClose);
    c.on('exists', onMailboxChange);
    c.on('expunge', onMailboxChange);
    c.on('flags', onMailboxChange);
    try {
      await c.connect();
      if (!this.push) await c.mailboxOpen('INBOX', { readOnly: true });
      if (this.closed) throw new Error('closed');
      this.client = c;
      this.connecting = undefined;
      await this.request('sweep');
      if (this.client !== c) return; // lost during the sweep: already unavailable, reconnect scheduled
      // Push mode sweeps too, but only while a connection is held (a client is online): a push
      // Dovecot could not deliver (gateway busy, timeout) is then caught up within sweepSeconds.
      this.nextSweepAt = Date.now() + this.sweepMs();
      this.setAvailable();
      if (this.initializing) {
        this.initializing = false;
        queueMicrotask(() => this.flush()); // after whoever awaits `ready` has read the folders
      } else this.flush();
    } catch (err) {
      if (this.connecting === c) this.connecting = undefined;
      c.close();
      if (this.closed) return;
      this.log('debug', { err: (err as Error).message }, 'IMAP connect failed');
      this.setUnavailable(this.describe(err));
      this.scheduleReconnect((err as { authenticationFailed?: boolean }).authenticationFailed === true);
    } finally {
      this.settleReady();
      this.unlease();
    }
  }
}
