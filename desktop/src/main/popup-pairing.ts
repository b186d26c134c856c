// One pop-up per mail (issue 14, gap 9). A user whose alert rule sends mail-to-IM alerts to
// themselves gets, for one new mail, the app's own new-mail pop-up and the alert IM from the
// server (herald@<domain>) a moment later — or the other way round. The two are paired when they
// come within `windowMs` of each other and the IM's text names the mail's subject (alert
// templates carry $SUBJECT$; the default one does): a server IM after the mail pop-up takes that
// pop-up's place (same id: the OS, and the preview, replace it; the alert's words are the ones
// the user chose), and a mail pop-up after such an IM is not raised. Anything else stays apart:
// a reminder and an unrelated mail in the same minute are two pop-ups.
import type { Clock } from '../core/ports/clock.ts';

export interface PopupPairing {
  /** A new-mail pop-up (its subject) is about to be raised: the id to raise it with, or undefined to skip it. */
  mail(id: string, subject: string): string | undefined;
  /** A pop-up for a message the server sent (its text): the id to raise it with. */
  server(id: string, text: string): string;
}

const KEEP = 20;

export function createPopupPairing(d: { clock: Clock; windowMs?: number }): PopupPairing {
  const windowMs = d.windowMs ?? 15_000;
  const mails: { id: string; subject: string; at: number }[] = [];
  const texts: { text: string; at: number }[] = [];
  /** A chat pop-up that took a mail pop-up's place: later messages of its burst (same id) update that one. */
  const aliases = new Map<string, string>();
  const fresh = <T extends { at: number }>(list: T[]) => {
    const now = d.clock.now();
    while (list.length && (now - list[0]!.at > windowMs || list.length > KEEP)) list.shift();
  };
  const names = (text: string, subject: string) => subject.trim().length >= 3 && text.toLowerCase().includes(subject.trim().toLowerCase());
  return {
    mail(id, subject) {
      fresh(texts);
      const i = texts.findIndex((t) => names(t.text, subject));
      if (i >= 0) {
        texts.splice(i, 1);
        return undefined;
      }
      mails.push({ id, subject, at: d.clock.now() });
      return id;
    },
    server(id, text) {
      const alias = aliases.get(id);
      if (alias) return alias;
      fresh(mails);
      const i = mails.findIndex((m) => names(text, m.subject));
      if (i >= 0) {
        const mailId = mails.splice(i, 1)[0]!.id;
        aliases.set(id, mailId);
        if (aliases.size > KEEP) aliases.delete(aliases.keys().next().value as string);
        return mailId;
      }
      texts.push({ text, at: d.clock.now() });
      return id;
    },
  };
}
