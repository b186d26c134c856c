// Invitations end to end: an iMIP mail delivered into the recipient's Maildir (as an MTA does) →
// the gateway's mail watch reports it → its raw source is read (mail service fetchRaw) → the
// calendar part summarised → an IM at the recipient's XMPP client, with "Conflicts with ..." from
// their calendar in a real CalDAV server (Radicale). Users are watched without a client running
// (im.calendar.invitations = all); mail in Sent, plain mail and broken invitations send nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { deliverToMaildir } from '../../gateway/src/mail/maildir/deliver.ts';
import { startRadicale, type Radicale } from '../fixtures/radicale.ts';
import { sleep } from '../fixtures/peer-utils.ts';
import type { RawClient } from '../fixtures/xmpp-raw.ts';
import { alertLines, bodyOf, BERLIN_VTIMEZONE, got, hhmm, ics, local, online, startCalendarGateway, waitFor, type CalendarGateway } from './calendar-helpers.ts';

const H = 3_600_000;
const TZ = 'Europe/Berlin';
let radicale: Radicale;
let gw: CalendarGateway;
let alice: RawClient & { jid: string };
let maildir: string;
/** Tomorrow (or so), 14:30 Berlin time: the invited meeting. */
let meeting: number;

const settings = (r: Radicale) => ({
  'im.calendar.url': `${r.url}/{local}/`,
  'im.calendar.username': r.service.name,
  'im.calendar.password': r.service.password,
  'im.calendar.pollSeconds': 3600,
  'im.calendar.invitations': 'all',
  'im.timeZone': TZ,
});

function outlookInvite(o: { method: string; uid: string; summary: string; start: number; minutes: number; extra?: string; attendee?: string }): string {
  const cal = `BEGIN:VCALENDAR\r\nMETHOD:${o.method}\r\nPRODID:Microsoft Exchange Server 2010\r\nVERSION:2.0\r\n${BERLIN_VTIMEZONE.replace(/\n/g, '\r\n')}\r\nBEGIN:VEVENT\r\nORGANIZER;CN=Bob Builder:mailto:bob@example.com\r\n${o.attendee ?? 'ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Alice Liddell:mailto:alice@example.com'}\r\n${o.extra ?? ''}UID:${o.uid}\r\nSUMMARY;LANGUAGE=en-US:${o.summary}\r\nDTSTART;TZID=Europe/Berlin:${local(o.start, TZ)}\r\nDTEND;TZID=Europe/Berlin:${local(o.start + o.minutes * 60_000, TZ)}\r\nDTSTAMP:20261127T093000Z\r\nSEQUENCE:0\r\nLOCATION;LANGUAGE=en-US:Room 4.01\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
  const b64 = Buffer.from(cal).toString('base64').replace(/.{76}/g, '$&\r\n');
  return [
    'From: Bob Builder <bob@example.com>',
    'To: Alice Liddell <alice@example.com>',
    `Subject: ${o.summary}`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="_000_B_"',
    '',
    '--_000_B_',
    'Content-Type: text/plain; charset="us-ascii"',
    '',
    'See the calendar part.',
    '',
    '--_000_B_',
    `Content-Type: text/calendar; charset="utf-8"; method=${o.method}`,
    'Content-Transfer-Encoding: base64',
    '',
    b64,
    '--_000_B_--',
    '',
  ].join('\r\n');
}

before(async () => {
  radicale = await startRadicale({ users: { alice: 'alice-secret' } });
  await radicale.mkcalendar('alice', 'work', 'Work');
  const day = new Date(Date.now() + 72 * H);
  // 14:30 in Berlin three UTC days ahead: never "today" or "tomorrow" in Berlin, whatever the hour.
  meeting = Date.parse(`${day.toISOString().slice(0, 10)}T14:30:00+01:00`);
  if (new Intl.DateTimeFormat('en', { timeZone: TZ, timeZoneName: 'short' }).format(meeting).includes('+2')) meeting -= H;
  // alice's calendar: a dentist appointment that overlaps, one that does not, a cancelled one that
  // would, and the invited meeting itself (servers file invitations on their own).
  await radicale.put('alice', 'work', 'dentist.ics', ics({ uid: 'dentist', summary: 'Dentist', start: meeting - 30 * 60_000, minutes: 60 }));
  await radicale.put('alice', 'work', 'lunch.ics', ics({ uid: 'lunch', summary: 'Lunch', start: meeting - 3 * H, minutes: 60 }));
  await radicale.put('alice', 'work', 'off.ics', ics({ uid: 'off', summary: 'Called off', start: meeting, minutes: 60, extra: 'STATUS:CANCELLED' }));
  await radicale.put('alice', 'work', 'self.ics', ics({ uid: 'design-review@example.com', summary: 'Design review', start: meeting, minutes: 60 }));

  // The users exist before the gateway starts, as in production: `all` watches them from the start.
  const first = await startCalendarGateway(settings(radicale));
  await first.user('alice@example.com');
  await first.destroy({ keepData: true });
  gw = await startCalendarGateway(settings(radicale), { dataDir: first.dataDir });
  maildir = path.join(gw.dataDir, 'mail', 'example.com', 'alice');
  alice = await online(gw.xmppPort!, 'alice@example.com');
  await waitFor(() => gw.mail.watched().pinned >= 1, 5000, "alice's mailbox watched without a client of hers");
  await sleep(300);
});
after(async () => {
  alice?.close();
  await gw?.destroy();
  await radicale?.stop();
});

const dayOf = (ms: number) => new Intl.DateTimeFormat('en-GB', { timeZone: TZ, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }).format(ms).replace(',', '');

test('an Outlook invitation dropped into the Maildir → alice gets an IM summary with the conflict from her calendar', async () => {
  const t0 = Date.now();
  await deliverToMaildir(maildir, outlookInvite({ method: 'REQUEST', uid: 'design-review@example.com', summary: 'Design review', start: meeting, minutes: 60 }));
  const m = await alice.next((e) => e.name === 'message' && bodyOf(e).startsWith('Invitation: Design review'), 10_000);
  console.log(`# mail delivered → invitation IM at the client: ${Date.now() - t0} ms`);
  assert.equal(m.attrs.from, 'herald@example.com');
  assert.equal(
    bodyOf(m),
    [
      'Invitation: Design review',
      `When: ${dayOf(meeting)}, 14:30–15:30 (Europe/Berlin)`,
      'Where: Room 4.01',
      'Organizer: Bob Builder <bob@example.com>',
      'Attendees: Alice Liddell <alice@example.com> (you)',
      `Conflicts with: Dentist (${dayOf(meeting)}, ${hhmm(meeting - 30 * 60_000, TZ)}–${hhmm(meeting + 30 * 60_000, TZ)})`,
    ].join('\n'),
  );
  assert.equal(alertLines(gw.dataDir).filter((l) => l.body === bodyOf(m)).length, 1, 'logged centrally');
});

test('a reply and a cancellation are summarised too', async () => {
  await deliverToMaildir(
    maildir,
    outlookInvite({ method: 'REPLY', uid: 'design-review@example.com', summary: 'Design review', start: meeting, minutes: 60, attendee: 'ATTENDEE;PARTSTAT=TENTATIVE;CN=Carol:mailto:carol@example.org' }),
  );
  const reply = await alice.next((e) => e.name === 'message' && bodyOf(e).startsWith('Reply: Design review'), 10_000);
  assert.match(bodyOf(reply), /^Reply: Design review\nCarol <carol@example\.org> tentatively accepted\nWhen: /);
  await deliverToMaildir(maildir, outlookInvite({ method: 'CANCEL', uid: 'design-review@example.com', summary: 'Design review', start: meeting, minutes: 60, extra: 'STATUS:CANCELLED\r\n' }));
  const cancel = await alice.next((e) => e.name === 'message' && bodyOf(e).startsWith('Cancelled: Design review'), 10_000);
  assert.doesNotMatch(bodyOf(cancel), /Conflicts/);
});

test('nothing for plain mail, for an invitation in Sent, or for a broken one (logged); the next good one still comes', async () => {
  await deliverToMaildir(maildir, 'From: x@example.com\r\nTo: alice@example.com\r\nSubject: plain\r\n\r\nhello\r\n');
  await deliverToMaildir(maildir, outlookInvite({ method: 'REQUEST', uid: 'sent-1', summary: 'My own invitation', start: meeting, minutes: 60 }), { folder: 'Sent' });
  const broken = outlookInvite({ method: 'REQUEST', uid: 'b', summary: 'Broken', start: meeting, minutes: 60 }).replace(/(Content-Transfer-Encoding: base64\r\n\r\n)[\s\S]*?(\r\n--_000_B_--)/, `$1${Buffer.from('BEGIN:VCALENDAR\r\nnot really\r\n').toString('base64')}$2`);
  await deliverToMaildir(maildir, broken);
  await deliverToMaildir(maildir, outlookInvite({ method: 'REQUEST', uid: 'next-1', summary: 'Next one', start: meeting + 24 * H, minutes: 30 }));
  const m = await alice.next((e) => e.name === 'message' && bodyOf(e).startsWith('Invitation: Next one'), 10_000);
  assert.doesNotMatch(bodyOf(m), /Conflicts/, 'nothing in her calendar then');
  await sleep(500);
  assert.equal(got(alice, 'Invitation: My own invitation').length, 0, 'Sent is not looked at');
  assert.equal(got(alice, 'Invitation: Broken').length, 0);
  assert.ok(gw.logs.some((l) => l.level === 40 && /invitation not summarised: the invitation's calendar data cannot be read/.test(l.msg)), 'the broken one is logged');
  assert.equal(alice.received.filter((e) => e.name === 'message').length, 4, 'four IMs in all: invitation, reply, cancellation, next one');
});
