// What a watch knows about one user's mailbox: the tracked folders, their watermarks (kept in
// the store's folder_state so a restart neither repeats nor misses alerts), and the folder list
// and alerts still to be told. It asks the server only what the numbers cannot answer.
//
// A class, not a closure factory: there is one per watched user, and under tsx (esbuild
// keepNames) every closure instance carries its own `name` property array (~250 bytes); methods
// on a prototype cost nothing per instance.
import type { ImapFlow } from 'imapflow';
import type { Logger } from '../../config/logger.ts';
import type { Folder } from '../../protocol/api.ts';
import type { AccountRow, FolderStateRow, Store } from '../../store/index.ts';
import { sortFolders, type MailboxEvents, type NewMail } from '../source.ts';
import { countFresh, fetchNewMessages, type FolderList } from './folder-sync.ts';
import {
  alertRange,
  applyStatus,
  knownFreshCount,
  toFolder,
  topUid,
  trackFolder,
  watermarksFor,
  type FolderStatus,
  type TrackedFolder,
} from './folder-track.ts';

export class MailboxState {
  private readonly folders = new Map<string, TrackedFolder>();
  /** Stored watermarks, read once; dropped after the first full list. */
  private stored: Map<string, FolderStateRow> | undefined;
  /** The folder list changed since it was last told. */
  private dirty = false;
  private readonly pendingAlerts: NewMail[] = [];
  /** folder → alerted uid to store once the alerts up to it are out. */
  private readonly pendingMarks = new Map<string, number>();

  constructor(
    private readonly account: AccountRow,
    private readonly store: Store,
    private readonly log: Logger,
  ) {
    this.stored = new Map(store.folderState.all(account.id).map((r) => [r.folder, r]));
  }

  get(path: string): TrackedFolder | undefined {
    return this.folders.get(path);
  }

  snapshot(): Folder[] {
    return sortFolders([...this.folders.values()].map(toFolder));
  }

  /** A full folder list: new folders are tracked, vanished ones forgotten. */
  applyList(list: FolderList): void {
    for (const s of list.folders) this.upsert(s);
    for (const path of [...this.folders.keys()]) if (!list.listed.has(path)) this.forget(path);
    if (this.stored) {
      // First full list: stored rows of folders that no longer exist are stale.
      for (const path of this.stored.keys()) if (!list.listed.has(path)) this.store.folderState.remove(this.account.id, path);
      this.stored = undefined;
    }
  }

  /** The status of one folder (undefined: it is gone). */
  applyOne(path: string, s: FolderStatus | undefined): void {
    if (s) this.upsert(s);
    else if (this.folders.has(path)) this.forget(path);
  }

  /** Advances the acknowledged watermark (never beyond the folder's top uid). */
  ack(t: TrackedFolder, uid: number | undefined): void {
    const target = Math.min(uid ?? topUid(t), topUid(t));
    if (target > t.ackedUid) {
      this.store.folderState.markAcked(this.account.id, t.path, target);
      t.ackedUid = target;
      t.stale = true;
    }
    this.dirty = true; // the user asked: tell the list again even if no count moved
  }

  /** Recounts stale folders and collects alerts; leaves whichever folder it needed selected. */
  async reconcile(client: ImapFlow): Promise<void> {
    for (const t of [...this.folders.values()]) {
      if (!t.stale && !alertRange(t)) continue;
      if (this.folders.get(t.path) !== t) continue;
      try {
        await this.reconcileFolder(client, t);
      } catch (e) {
        const err = e as Error & { responseStatus?: string };
        if (!client.usable || err.responseStatus !== 'NO') throw err;
        // Most likely deleted between LIST and SELECT; the next list settles it.
        this.log.debug({ user: this.account.address, folder: t.path, err: err.message }, 'folder not readable now');
      }
    }
  }

  /** Tells the folder list (when it changed), then the alerts, then stores the alert marks. */
  flush(events: MailboxEvents): void {
    if (this.dirty) {
      this.dirty = false;
      events.folders(this.snapshot());
    }
    for (const a of this.pendingAlerts.splice(0)) events.alert(a);
    for (const [path, uid] of this.pendingMarks) this.store.folderState.markAlerted(this.account.id, path, uid);
    this.pendingMarks.clear();
  }

  private baseline(s: FolderStatus): TrackedFolder {
    const row = this.stored ? this.stored.get(s.path) : this.store.folderState.get(this.account.id, s.path);
    const marks = watermarksFor(s, row);
    if (marks.baseline) {
      this.store.folderState.put(this.account.id, { folder: s.path, uidValidity: s.uidValidity, nextUid: s.uidNext, alertedUid: marks.alertedUid, ackedUid: 0 });
      if (row) this.log.info({ user: this.account.address, folder: s.path }, 'UIDVALIDITY changed: folder starts afresh');
    }
    return trackFolder(s, marks);
  }

  private upsert(s: FolderStatus): void {
    const t = this.folders.get(s.path);
    if (!t) {
      this.folders.set(s.path, this.baseline(s));
      this.dirty = true;
      return;
    }
    const { uidValidityChanged, shownChanged } = applyStatus(t, s);
    if (shownChanged) this.dirty = true;
    if (uidValidityChanged) {
      this.folders.set(s.path, this.baseline(s));
      this.pendingMarks.delete(s.path);
      this.dirty = true;
    }
  }

  private forget(path: string): void {
    this.folders.delete(path);
    this.pendingMarks.delete(path);
    // Deleted or renamed away: a folder of that name later starts afresh.
    this.store.folderState.remove(this.account.id, path);
    this.dirty = true;
  }

  /** Updates one folder's `new` count and collects alerts for its new messages. */
  private async reconcileFolder(client: ImapFlow, t: TrackedFolder): Promise<void> {
    if (t.stale) {
      const fresh = knownFreshCount(t) ?? (await countFresh(client, t));
      if (fresh !== t.fresh) this.dirty = true;
      t.fresh = fresh;
      t.stale = false;
    }
    const range = alertRange(t);
    if (!range) return;
    if (t.unseen > 0) {
      // A UID FETCH in the selected INBOX also sees messages the STATUS counted but the session
      // was not told of yet: the server announces them (EXISTS, RFC 3501 §5.2) before answering.
      const msgs = await fetchNewMessages(client, t, range.from, range.to);
      for (const m of msgs) if (m.alert) this.pendingAlerts.push(m.alert);
    }
    // Never alert a uid twice in this process, whatever happens before the marks are stored.
    t.alertedUid = range.to;
    this.pendingMarks.set(t.path, range.to);
  }
}
