// XEP-0363: HTTP File Upload (urn:xmpp:http:upload:0) — the component upload.<domain> for every
// served domain. A user asks it for a slot (iq get <request filename size content-type/>) and gets
// a PUT URL and a GET URL on the gateway's own HTTP side (http/routes/upload-routes.ts), which
// takes exactly the announced bytes once, before the slot expires, and serves them afterwards.
// The URLs' only secret is the slot id (144 random bits, store/uploads.ts): no header is needed.
//
// Discovery (§3): listed in the server's disco#items; its disco#info has identity store/file,
// the feature and the XEP-0128 form with max-file-size. Errors (§4): a file over the limit is
// <not-acceptable/> with <file-too-large><max-file-size/>; a full quota or too many open slots
// is <resource-constraint/> (type wait; for open slots with <retry stamp/> = when the oldest
// expires); a missing or unusable filename, size or content type is <bad-request/>. Only users
// of the component's own domain may use it (like conference.<domain>); others get <forbidden/>.
// Filenames are sanitised (path separators, control and bidi characters → "_", at most 200
// bytes, the extension kept): they only ever appear in URLs and Content-Disposition, never in
// a path on disk. Retention: files older than `xmpp.upload.retentionDays` and slots that expired
// unused are purged at start and hourly; at start, temp files of interrupted uploads and files
// no slot owns are swept.
// Not implemented: the legacy namespaces (urn:xmpp:http:upload, eu.siacs.conversations.http.upload)
// and the service on the server's own JID (clients find it by disco#items, as §3 describes).
import { Element } from 'ltx';
import type { Settings } from '../../config/schema.ts';
import { normalizeContentType, type UploadStore } from '../../store/uploads.ts';
import type { Component, ServerContext, XmppModule } from '../core/host.ts';
import type { Jid } from '../core/jid.ts';
import type { Session } from '../core/session.ts';
import { errorReply, iqResult, NS, payloadOf, type ErrorType, type StanzaErrorCondition } from '../core/stanza.ts';

export const NS_UPLOAD = 'urn:xmpp:http:upload:0';
const NS_DATA = 'jabber:x:data';
/** The upload component of user domain d is `upload.d`. */
export const UPLOAD_PREFIX = 'upload.';
const PURGE_EVERY_MS = 3600_000;
/** Longest filename kept, in UTF-8 bytes (file systems of those who download allow 255). */
const MAX_NAME_BYTES = 200;

export interface UploadDeps {
  store: UploadStore;
  settings: Settings['xmpp']['upload'];
  /** The gateway's public base URL (no trailing slash): slot URLs are `<publicUrl>/upload/<id>/<name>`. */
  publicUrl: string;
}

class SlotError extends Error {
  constructor(
    readonly type: ErrorType,
    readonly condition: StanzaErrorCondition,
    message: string,
    /** The XEP-0363 child of <error/> (file-too-large, retry). */
    readonly extra?: Element,
  ) {
    super(message);
  }
}

// Path separators, C0/C1 controls, and bidi/invisible format characters (a name that shows as
// "photo.jpg" but ends in ".exe" is spoofing).
const UNSAFE_NAME = /[/\\\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** The filename as it will appear in the URL and Content-Disposition; undefined when nothing usable is left. */
export function sanitizeFilename(raw: string): string | undefined {
  let name = raw.normalize('NFC').trim().replace(UNSAFE_NAME, '_').trim();
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
    let base = name.slice(0, name.length - ext.length);
    while (Buffer.byteLength(base + ext) > MAX_NAME_BYTES) base = [...base].slice(0, -1).join('');
    name = base + ext;
  }
  if (!name || /^\.+$/.test(name)) return undefined;
  return name;
}

export function createUploadModule(deps: UploadDeps): XmppModule {
  return {
    name: 'upload',
    setup(host, ctx) {
      const upload = new UploadService(ctx, deps);
      host.components.push(upload);
      const swept = deps.store.sweep();
      if (swept) ctx.log.info({ count: swept }, 'upload: leftovers of interrupted uploads removed');
      const purge = () => {
        try {
          const now = Date.now();
          const keepMs = deps.settings.retentionDays * 86_400_000;
          // An upload that started before its slot expired may still be streaming: an hour's grace.
          const n = deps.store.purge({ slotsExpiredBefore: now - PURGE_EVERY_MS, uploadedBefore: keepMs ? now - keepMs : undefined });
          if (n.files) ctx.log.info({ count: n.files, days: deps.settings.retentionDays }, 'uploaded files past retention purged');
        } catch (e) {
          ctx.log.error({ err: (e as Error).message }, 'upload purge failed');
        }
      };
      purge();
      const purger = setInterval(purge, PURGE_EVERY_MS).unref();
      host.stopping.push(() => clearInterval(purger));
    },
  };
}

class UploadService implements Component {
  readonly name = 'upload';

  constructor(
    private readonly ctx: ServerContext,
    private readonly deps: UploadDeps,
  ) {}

  serves(domain: string): boolean {
    return domain.startsWith(UPLOAD_PREFIX) && this.ctx.isLocalDomain(domain.slice(UPLOAD_PREFIX.length));
  }

  discoItem(domain: string) {
    return { jid: `${UPLOAD_PREFIX}${domain}`, name: 'HTTP File Upload' };
  }

  handle(stanza: Element, to: Jid, session: Session): void {
    const type = stanza.attrs.type;
    // The component asks nothing and has no presence: responses and presence are dropped.
    if (stanza.name === 'presence' || type === 'error' || (stanza.name === 'iq' && type === 'result')) return;
    if (stanza.name === 'message') return session.send(errorReply(stanza, 'cancel', 'service-unavailable', 'the upload service takes no messages'));
    try {
      session.send(this.iq(stanza, to, session));
    } catch (e) {
      if (!(e instanceof SlotError)) throw e;
      const reply = errorReply(stanza, e.type, e.condition, e.message);
      if (e.extra) reply.getChild('error')!.cnode(e.extra);
      session.send(reply);
    }
  }

  private iq(iq: Element, to: Jid, session: Session): Element {
    const type = iq.attrs.type;
    if (!iq.attrs.id || (type !== 'get' && type !== 'set')) throw new SlotError('modify', 'bad-request', 'an iq needs an id and type get or set');
    if (to.local || to.resource) throw new SlotError('cancel', 'service-unavailable', `there is nothing at ${to.full}`);
    const domain = to.domain.slice(UPLOAD_PREFIX.length);
    if (session.account!.domain !== domain) throw new SlotError('auth', 'forbidden', `only users of ${domain} can use ${to.domain}`);
    const payload = payloadOf(iq);
    const ns = payload?.attrs.xmlns;
    if (type === 'get' && ns === NS.discoInfo && payload?.name === 'query') return iqResult(iq, this.info());
    if (type === 'get' && ns === NS.discoItems && payload?.name === 'query') return iqResult(iq, new Element('query', { xmlns: NS.discoItems }));
    if (type === 'get' && ns === NS.ping) return iqResult(iq);
    if (ns === NS_UPLOAD && payload?.name === 'request') {
      if (type !== 'get') throw new SlotError('modify', 'bad-request', 'a slot is requested with an iq of type get');
      return iqResult(iq, this.slot(payload, session));
    }
    throw new SlotError('cancel', 'service-unavailable', `${ns ?? 'this request'} is not supported by the upload service`);
  }

  private info(): Element {
    const q = new Element('query', { xmlns: NS.discoInfo });
    q.c('identity', { category: 'store', type: 'file', name: 'HTTP File Upload' });
    for (const f of [NS_UPLOAD, NS.discoInfo, NS.discoItems, NS.ping]) q.c('feature', { var: f });
    // XEP-0363 §3 / XEP-0128: the size limit, so clients refuse big files before asking.
    const form = q.c('x', { xmlns: NS_DATA, type: 'result' });
    form.c('field', { var: 'FORM_TYPE', type: 'hidden' }).c('value').t(NS_UPLOAD);
    form.c('field', { var: 'max-file-size' }).c('value').t(String(this.deps.settings.maxFileBytes));
    return q;
  }

  private slot(req: Element, session: Session): Element {
    const { settings, store } = this.deps;
    const filename = sanitizeFilename(req.attrs.filename ?? '');
    if (!filename) throw new SlotError('modify', 'bad-request', 'the request needs a filename');
    const sizeText = req.attrs.size ?? '';
    if (!/^\d{1,15}$/.test(sizeText)) throw new SlotError('modify', 'bad-request', 'the request needs a size in bytes (a non-negative integer)');
    const size = Number(sizeText);
    const rawType = req.attrs['content-type']?.trim();
    const contentType = rawType ? normalizeContentType(rawType) : '';
    if (contentType === undefined) throw new SlotError('modify', 'bad-request', `"${rawType!.slice(0, 80)}" is not a content type (type/subtype)`);
    if (size > settings.maxFileBytes) {
      const tooLarge = new Element('file-too-large', { xmlns: NS_UPLOAD });
      tooLarge.c('max-file-size').t(String(settings.maxFileBytes));
      throw new SlotError('modify', 'not-acceptable', `File too large. The maximum file size is ${settings.maxFileBytes} bytes`, tooLarge);
    }
    const owner = session.jid!.bare;
    const now = Date.now();
    // The slot remembers the session's credential: when it ends, the slot takes no upload (credentials.ts).
    const credential = session.credential!;
    const made = store.create(
      { owner, filename, size, contentType, createdAt: now, expiresAt: now + settings.slotTtlSeconds * 1000, accountId: credential.accountId, deviceId: credential.deviceId ?? null },
      { quotaBytes: settings.quotaBytes, maxPendingSlots: settings.maxPendingSlots },
    );
    if ('reason' in made) {
      if (made.reason === 'pending') {
        const retry = new Element('retry', { xmlns: NS_UPLOAD, stamp: new Date(made.retryAt).toISOString().replace(/\.\d+Z$/, 'Z') });
        throw new SlotError('wait', 'resource-constraint', `you have ${settings.maxPendingSlots} upload slots open; use or let one expire first`, retry);
      }
      throw new SlotError('wait', 'resource-constraint', `Quota reached: ${made.usedBytes} of ${settings.quotaBytes} bytes used, this file needs ${size}`);
    }
    this.ctx.log.info({ user: owner, slot: made.id, size, contentType: contentType || undefined }, 'upload slot given');
    const url = `${this.deps.publicUrl}/upload/${made.id}/${encodeURIComponent(filename)}`;
    const slot = new Element('slot', { xmlns: NS_UPLOAD });
    slot.c('put', { url });
    slot.c('get', { url });
    return slot;
  }
}
