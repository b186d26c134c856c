// The chat part of the desktop core (issue 5, item 5): createXmppChat wires the connection, the
// roster, own presence, messages, rooms, the archive, uploads and the history folder into one
// ChatService. A new session runs, in this order: roster, carbons (XEP-0280), the MAM catch-up
// since the last archive id seen (before the initial presence, so the offline messages that
// presence releases cannot move that id past what the catch-up still has to fetch), initial
// presence, rooms joined again, and the outbox sent. A resumed session (XEP-0198) only sends the
// outbox: the server kept everything else.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Element } from 'ltx';
import { HistoryQuerySchema, JidSchema, OwnPresenceSchema, type ChatEvent, type ChatMessage, type HistoryQuery } from '../../shared/chat.ts';
import type { BackoffOptions } from '../gateway/backoff.ts';
import { isLoopbackHostname, plainRefusal } from '../gateway/plain-url.ts';
import { coreStrings } from '../i18n/core-strings.ts';
import { systemClock, type Clock } from '../ports/clock.ts';
import type { IdleSource } from '../ports/idle-source.ts';
import type { Storage } from '../ports/storage.ts';
import { ChatError } from './chat-errors.ts';
import { createChatPreferences } from './chat-preferences.ts';
import type { ChatConnectionState, ChatConnectOptions, ChatService } from './chat-service.ts';
import { createSessionState } from './chat-session-state.ts';
import { createServiceFinder } from './disco.ts';
import { exportConversation } from './history-export.ts';
import type { HistoryEntry } from './history-format.ts';
import { conversationFolder, createHistoryStore, type HistoryStore } from './history-store.ts';
import { createUploader } from './http-upload.ts';
import { bareJid, localOf } from './jid.ts';
import { createArchive, type ArchiveQuery } from './mam.ts';
import { buildMessage } from './message-stanza.ts';
import { createMessaging, toChatMessage } from './messages.ts';
import { createMuc } from './muc.ts';
import { NS } from './ns.ts';
import { createOutbox, OUTBOX_FILE } from './outbox.ts';
import { createOwnPresence } from './own-presence.ts';
import { createRoster } from './roster.ts';
import { versionQuery, type SoftwareInfo } from './software-version.ts';
import { createXmppConnection, iq, type ConnectionTarget } from './xmpp-connection.ts';

const CATCH_UP_PAGE = 100;
const CATCH_UP_MAX_PAGES = 50;
const FIRST_PAGE = 50;
const RECENT_MS = 5 * 60_000;
const BACKFILL_PAGES = 5;

export interface XmppChatDeps {
  storage: Storage;
  /** The local history folder (one sub-folder per account). */
  historyDir: string;
  clock?: Clock;
  idle?: IdleSource;
  /** The OS locale, as for createHeraldCore: the words of the connection detail the user chose ("offline by choice"). */
  locale?: string;
  /** What XEP-0092 answers tell (the admin console's Sessions page shows it): the app's version and OS family. */
  software?: SoftwareInfo;
  tuning?: {
    backoff?: BackoffOptions;
    random?: () => number;
    idleCheckMs?: number;
    /** How many of the latest archived messages a first connection of an account fetches (50). */
    firstPage?: number;
  };
}

export type XmppChat = ChatService & {
  /** Resolves when what was written to the outbox and state files is on disk (tests, shutdown). */
  flushed(): Promise<void>;
};

function validJid(jid: string, what: string): string {
  if (!JidSchema.safeParse(jid).success) throw new ChatError('bad_request', `${what}: not an address: ${JSON.stringify(jid)}`);
  return bareJid(jid);
}

/** Why a file could not be written, in the user's words (the raw error goes to the log). */
function writeFailure(e: Error, locale: string | undefined): string {
  const code = (e as NodeJS.ErrnoException).code;
  const s = coreStrings(locale);
  if (code === 'ENOSPC' || code === 'EDQUOT') return s.t('writeFailedFull');
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return s.t('writeFailedDenied');
  return s.t('writeFailedOther', { code: code ?? e.message });
}

export function createXmppChat(d: XmppChatDeps): XmppChat {
  const clock = d.clock ?? systemClock;
  const listeners = new Set<(e: ChatEvent) => void>();
  const emit = (e: ChatEvent) => {
    for (const l of listeners) {
      try {
        l(e);
      } catch {
        // A listener's bug must not stop the chat.
      }
    }
  };
  const conn = createXmppConnection({ clock, ...(d.tuning?.backoff ? { backoff: d.tuning.backoff } : {}), ...(d.tuning?.random ? { random: d.tuning.random } : {}) });
  const prefs = createChatPreferences(d.storage);
  const session = createSessionState(d.storage);
  const outbox = createOutbox(d.storage, {
    onSaveProblem: (e) =>
      emit({ type: 'storage-problem', file: OUTBOX_FILE, ...(e ? { detail: coreStrings(d.locale).t('chatOutboxNotSaved', { reason: writeFailure(e, d.locale) }), error: e.message } : {}) }),
  });
  const services = createServiceFinder(conn, () => domain);
  const archive = createArchive(conn);
  const roster = createRoster({ conn, emit });
  const muc = createMuc({ conn, emit, services, defaultNick: () => localOf(conn.bare) || 'me' });
  let domain = '';
  let options: ChatConnectOptions | undefined;
  let history: HistoryStore | undefined;
  let caughtUp = false;
  /** Conversations with the server itself (scripts, alerts, reminders) the history folder holds. */
  const serverConversations = new Set<string>();
  const historyProxy: HistoryStore = {
    get dir() {
      return store().dir;
    },
    add: async (c, e) => {
      const added = await store().add(c, e);
      if (added && e.server && e.dir === 'in') serverConversations.add(c);
      return added;
    },
    has: (c, e) => store().has(c, e),
    read: (c, o) => store().read(c, o),
    conversations: () => store().conversations(),
  };
  const store = (): HistoryStore => {
    if (!history) throw new ChatError('not_connected', 'chat has not been connected yet');
    return history;
  };
  const messaging = createMessaging({
    conn,
    clock,
    history: historyProxy,
    outbox,
    muc,
    emit,
    emoticons: () => prefs.get().emoticons,
    archiveSeen(id, stamp, live) {
      if (live && !caughtUp) return; // the catch-up decides until it is done
      session.archiveSeen(id, stamp);
    },
  });
  const presence = createOwnPresence({
    conn,
    clock,
    ...(d.idle ? { idle: d.idle } : {}),
    prefs: () => prefs.get(),
    rooms: () => muc.rooms().map((r) => `${r.jid}/${muc.nickIn(r.jid)}`),
    onChange: (s) => emit({ type: 'own-presence', ...s }),
    ...(d.tuning?.idleCheckMs ? { checkMs: d.tuning.idleCheckMs } : {}),
  });
  const uploader = createUploader({ conn, services, trusted: () => options?.trustedCertificates ?? [] });
  const report = (what: string) => (e: unknown) => emit({ type: 'connection', state: shownState.state, detail: `${what}: ${(e as Error).message ?? String(e)}` });

  // `online` is announced when the session is set up (roster, catch-up, presence, rooms), not
  // when the stream is: only then do messages flow both ways.
  let shownState: ChatConnectionState = { state: 'offline' };
  const showState = (s: ChatConnectionState) => {
    shownState = s;
    emit({ type: 'connection', state: s.state, ...(s.detail ? { detail: s.detail } : {}), ...(s.wait ? { wait: s.wait } : {}) });
  };
  let setup: Promise<void> = Promise.resolve();
  conn.on('state', (s) => {
    if (s.state !== 'online') showState(s);
  });
  conn.on('stanza', (el) => {
    if (el.name === 'message') {
      if (archive.handleMessage(el)) return;
      void messaging.handleMessage(el).catch(report('a received message could not be stored'));
    } else if (el.name === 'presence') {
      if (!muc.handlePresence(el)) roster.handlePresence(el);
    }
  });
  conn.on('acked', (el) => void messaging.acked(el));
  conn.on('failed', (el) => messaging.failed(el));
  conn.on('session', (resumed) => {
    setup = (resumed ? resumedSession() : newSession()).catch(report('starting the chat session')).finally(() => {
      if (conn.state.state === 'online') showState({ state: 'online' });
    });
  });
  // XEP-0030 §3.1: say what this client understands (senders look before using receipts, XHTML-IM...).
  conn.handleIq('get', NS.discoInfo, 'query', () => {
    const q = new Element('query', { xmlns: NS.discoInfo });
    q.c('identity', { category: 'client', type: 'pc', name: 'Herald' });
    for (const f of [NS.discoInfo, NS.receipts, NS.chatStates, NS.xhtmlIm, NS.oob, NS.muc, NS.conference, NS.carbons, NS.ping, NS.version]) q.c('feature', { var: f });
    return q;
  });
  // XEP-0092 §2: name and version (the gateway asks once per session, after the initial presence).
  conn.handleIq('get', NS.version, 'query', () => versionQuery(d.software));

  async function catchUp(): Promise<void> {
    const last = session.get()?.archive;
    if (!last) {
      // First run for this account: the latest page, as history — not news, except what came in
      // the last minutes (it may be what the sender wrote while this session was starting).
      const page = await archive.query({ before: '', max: d.tuning?.firstPage ?? FIRST_PAGE });
      const recent = new Date(clock.now() - RECENT_MS).toISOString();
      for (const m of page.messages) await messaging.ingestArchived(m.message, { kind: 'archive', archiveId: m.archiveId, stamp: m.stamp, catchUp: true, quiet: m.stamp < recent });
      return;
    }
    let q: ArchiveQuery = { after: last.lastId, max: CATCH_UP_PAGE };
    for (let pages = 0; pages < CATCH_UP_MAX_PAGES; pages++) {
      let page;
      try {
        page = await archive.query(q);
      } catch (e) {
        // The id is no longer in the archive (expired, or another server): go by time instead.
        if (q.after && e instanceof ChatError && e.condition === 'item-not-found') {
          q = { start: last.lastStamp, max: CATCH_UP_PAGE };
          continue;
        }
        throw e;
      }
      for (const m of page.messages) await messaging.ingestArchived(m.message, { kind: 'archive', archiveId: m.archiveId, stamp: m.stamp, catchUp: true });
      if (page.complete || !page.last || !page.messages.length) return;
      q = { after: page.last, max: CATCH_UP_PAGE };
    }
  }

  async function newSession(): Promise<void> {
    caughtUp = false;
    services.reset();
    outbox.unwriteAll();
    await roster.load().catch(report('roster'));
    const server = await services.server().catch(() => undefined);
    if (server?.features.has(NS.carbons)) await conn.request(iq('set', undefined, new Element('enable', { xmlns: NS.carbons })), 'carbons').catch(() => undefined);
    // Failed: the last id stays where it was (live messages do not move it), so the next session tries again.
    caughtUp = await catchUp().then(
      () => true,
      (e: unknown) => {
        report('message archive catch-up')(e);
        return false;
      },
    );
    roster.resetPresence();
    await presence.announce();
    await muc.rejoinAll();
    await messaging.flush();
  }

  async function resumedSession(): Promise<void> {
    presence.resume();
    await messaging.flush();
  }

  /** The user chose `offline`: connect() only remembers the options until another show is chosen. */
  const userOffline = () => presence.state().chosen.show === 'offline';

  /**
   * Moves on at each disconnect(): a connect() that was still loading (settings, the session, the
   * outbox) when the chat was stopped must not open a connection afterwards — quitting right after
   * signing in left a socket to the gateway open and the app running.
   */
  let epoch = 0;

  async function connect(o: ChatConnectOptions): Promise<void> {
    const mine = epoch;
    const jid = validJid(o.jid, 'jid');
    const secret = o.deviceToken ? { token: o.deviceToken } : o.password ? { password: o.password } : undefined;
    if (!secret) throw new ChatError('bad_request', 'a device token or a password is needed');
    const useWs = (o.transport ?? (o.websocketUrl ? 'websocket' : 'tcp')) === 'websocket';
    if (useWs && !/^wss?:\/\//i.test(o.websocketUrl)) throw new ChatError('bad_request', `not a WebSocket URL: ${JSON.stringify(o.websocketUrl)}`);
    if (useWs && /^ws:/i.test(o.websocketUrl) && !isLoopbackHostname(new URL(o.websocketUrl).hostname)) throw new ChatError('bad_request', plainRefusal(new URL(o.websocketUrl).host, 'wss'));
    if (!useWs && (!o.tcp.host || !(o.tcp.port > 0 && o.tcp.port < 65536))) throw new ChatError('bad_request', 'no TCP host and port to connect to');
    if (options && bareJid(options.jid) !== jid) muc.reset();
    options = o;
    if (userOffline()) return;
    domain = o.domain.toLowerCase();
    await prefs.load();
    const state = await session.load(jid);
    await outbox.load(jid);
    history = createHistoryStore({ dir: path.join(d.historyDir, conversationFolder(jid)) });
    serverConversations.clear();
    // Not awaited: a long history must not hold up the connection (History asks again when online).
    void findServerConversations(history);
    const target: ConnectionTarget = {
      service: useWs ? o.websocketUrl : `xmpp://${o.tcp.host.includes(':') ? `[${o.tcp.host}]` : o.tcp.host}:${o.tcp.port}`,
      domain,
      jid,
      secret,
      resource: state.resource,
      trusted: o.trustedCertificates ?? [],
    };
    if (mine !== epoch) return;
    await conn.start(target);
    await setup;
  }

  /** The history folder's conversations whose recent messages the server sent (History lists them). */
  async function findServerConversations(h: HistoryStore): Promise<void> {
    const all = await h.conversations().catch(() => [] as string[]);
    for (const c of all) {
      if (c.includes('/')) continue; // a room occupant's private conversation
      const last = await h.read(c, { max: 5 }).catch(() => [] as HistoryEntry[]);
      if (last.some((e) => e.server)) serverConversations.add(c);
    }
  }

  async function historyOf(q: HistoryQuery): Promise<ChatMessage[]> {
    const r = HistoryQuerySchema.safeParse(q);
    if (!r.success) throw new ChatError('bad_request', `history: ${r.error.issues[0]?.message ?? 'invalid query'}`);
    const query = r.data;
    const conversation = bareJid(query.with);
    const read = () => store().read(conversation, { max: query.max, ...(query.before ? { before: query.before } : {}), ...(query.text ? { text: query.text } : {}) });
    let local = await read();
    // Fewer than asked for: the server's archive may have older ones (not for a text search:
    // archives search by address and time only).
    if (local.length < query.max && !query.text && conn.state.state === 'online' && (await backfill(conversation, local, query.max - local.length))) local = await read();
    return local.map((e) => toChatMessage(e, conversation, prefs.get().emoticons));
  }

  /**
   * Reads older archive pages (XEP-0313 + RSM, backwards) into the history folder until `want`
   * messages with content came, the archive ends, or BACKFILL_PAGES pages were read (archives also
   * hold receipts and the like). Starts before the oldest local message: by its archive id when it
   * has one, else by its time. True when something was added.
   */
  async function backfill(conversation: string, local: HistoryEntry[], want: number): Promise<boolean> {
    const oldest = local[0];
    const room = muc.isRoom(conversation) || local.some((e) => e.kind === 'groupchat');
    let q: ArchiveQuery = { ...(room ? { archive: conversation } : { with: conversation }), max: Math.max(want, 20), before: oldest?.sid ?? '', ...(oldest && !oldest.sid ? { end: oldest.at } : {}) };
    let added = 0;
    for (let pages = 0; pages < BACKFILL_PAGES && added < want; pages++) {
      const page = await archive.query(q).catch(() => undefined);
      if (!page) break;
      for (const m of page.messages) {
        if (await messaging.ingestArchived(m.message, { kind: 'archive', archiveId: m.archiveId, stamp: m.stamp, quiet: true })) added++;
      }
      if (page.complete || !page.first) break;
      q = { ...q, before: page.first };
    }
    return added > 0;
  }

  return {
    connect,
    async disconnect() {
      epoch++;
      presence.stop();
      await conn.stop();
      await Promise.all([outbox.flushed(), session.flushed()]);
    },
    connection: () => shownState,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    contacts: () => roster.contacts(),
    serverConversations: () => [...serverConversations].sort(),
    addContact: async (jid, name) => roster.add(validJid(jid, 'contact'), name),
    answerSubscription: async (jid, approve) => roster.answer(validJid(jid, 'contact'), approve),
    updateContact: async (jid, patch) => roster.update(validJid(jid, 'contact'), patch),
    removeContact: async (jid) => roster.remove(validJid(jid, 'contact')),
    historyFolder: () => store().dir,
    historyConversations: async () => (await store().conversations()).sort(),
    async exportConversation(jid, format) {
      const conversation = validJid(jid, 'conversation');
      const entries = await store().read(conversation, { max: Number.MAX_SAFE_INTEGER });
      return exportConversation(conversation, entries, format, new Date(clock.now()));
    },
    async setPresence(p) {
      const r = OwnPresenceSchema.safeParse(p);
      if (!r.success) throw new ChatError('bad_request', `presence: ${r.error.issues[0]?.message ?? 'invalid'}`);
      const wasOffline = userOffline();
      await presence.set(r.data);
      if (r.data.show === 'offline') {
        await conn.stop();
        showState({ state: 'offline', detail: coreStrings(d.locale).t('chatOfflineByChoice') });
        return;
      }
      if (wasOffline && options) await connect(options);
    },
    ownPresence: () => presence.state(),
    send: async (m) => messaging.send(m),
    setChatState(to, state) {
      void messaging.setChatState(validJid(to, 'chat state'), state).catch(() => {});
    },
    history: historyOf,
    rooms: () => muc.rooms(),
    createRoom: async (name, invite) => muc.create(name, invite.map((j) => validJid(j, 'invite'))),
    joinRoom: async (room, nick) => muc.join(validJid(room, 'room'), nick),
    leaveRoom: async (room) => muc.leave(validJid(room, 'room')),
    invite: async (room, jid, reason) => muc.invite(validJid(room, 'room'), validJid(jid, 'invite'), reason),
    setRoomSubject: async (room, subject) => muc.setSubject(validJid(room, 'room'), subject),
    async sendFile(to, kind, file) {
      const jid = validJid(to, 'file recipient');
      const nick = muc.nickIn(jid);
      if (kind === 'groupchat' && !nick) throw new ChatError('bad_request', `not in room ${jid}`);
      if (conn.state.state !== 'online') throw new ChatError('not_connected', 'not connected');
      const id = `herald-${randomUUID()}`;
      const up = await uploader.upload(file, (sent, total) => emit({ type: 'upload-progress', id, sent, total }));
      const attachments = [{ url: up.url, name: up.name }];
      const stanza = buildMessage({ to: jid, type: kind, id, body: up.url, attachments });
      const entry: HistoryEntry = { at: new Date(clock.now()).toISOString(), from: kind === 'groupchat' ? `${jid}/${nick}` : conn.bare, body: up.url, id, dir: 'out', kind, attachments };
      return messaging.sendEntry(jid, entry, stanza);
    },
    preferences: () => prefs.get(),
    setPreferences: async (patch) => prefs.update(patch),
    flushed: async () => {
      await Promise.all([outbox.flushed(), session.flushed()]);
    },
  };
}
