// iMIP mails as Outlook, Google Calendar, Thunderbird and Apple Mail send them (base64,
// quoted-printable, 7bit, ISO-8859-1; Windows and IANA TZIDs with VTIMEZONE; all-day; series;
// REQUEST, CANCEL, REPLY) → the summary IM text; mails without a calendar part; broken ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findCalendarPart } from './mime-calendar.ts';
import { InvitationError, readInvitation } from './invitation.ts';
import { invitationText } from './invitation-text.ts';

const NOW = Date.UTC(2026, 10, 27, 10, 0); // Fri 27 Nov 2026
const TZ = 'Europe/Berlin';
const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');
const b64 = (s: string) => Buffer.from(crlf(s), 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
const mail = (s: string) => Buffer.from(crlf(s), 'latin1');
const summary = (raw: Buffer, o: { recipient?: string; conflicts?: Parameters<typeof invitationText>[1]['conflicts'] } = {}) => {
  const inv = readInvitation(raw, { now: NOW, timeZone: TZ });
  assert.ok(inv, 'an invitation was found');
  return invitationText(inv, { recipient: o.recipient ?? 'alice@example.com', timeZone: TZ, now: NOW, conflicts: o.conflicts });
};

const OUTLOOK_ICS = `BEGIN:VCALENDAR
METHOD:REQUEST
PRODID:Microsoft Exchange Server 2010
VERSION:2.0
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
ORGANIZER;CN=Bob Builder:mailto:bob@example.com
ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Alice Liddell
 :mailto:alice@example.com
ATTENDEE;ROLE=OPT-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=carol@exampl
 e.org:mailto:carol@example.org
DESCRIPTION;LANGUAGE=en-US:Let's go through the mock-ups.\\n
UID:040000008200E00074C5B7101A82E00800000000D0A1F5D3B2C4DA01000000000000000
 010000000B1F8F2A3C0D6B44E8F4C2F6C1E2A9B3D
SUMMARY;LANGUAGE=en-US:Design review
DTSTART;TZID=W. Europe Standard Time:20261201T143000
DTEND;TZID=W. Europe Standard Time:20261201T153000
CLASS:PUBLIC
PRIORITY:5
DTSTAMP:20261127T093000Z
TRANSP:OPAQUE
STATUS:CONFIRMED
SEQUENCE:0
LOCATION;LANGUAGE=en-US:Room 4.01
X-MICROSOFT-CDO-APPT-SEQUENCE:0
X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE
X-MICROSOFT-CDO-IMPORTANCE:1
BEGIN:VALARM
DESCRIPTION:REMINDER
TRIGGER;RELATED=START:-PT15M
ACTION:DISPLAY
END:VALARM
END:VEVENT
END:VCALENDAR
`;

const OUTLOOK = mail(`Received: from mail.example.com (192.0.2.1) by mx.example.com
From: Bob Builder <bob@example.com>
To: Alice Liddell <alice@example.com>
CC: "carol@example.org" <carol@example.org>
Subject: Design review
Thread-Topic: Design review
Date: Fri, 27 Nov 2026 09:30:00 +0000
Message-ID: <AM0PR01MB1234@AM0PR01MB1234.eurprd01.prod.exchangelabs.com>
Accept-Language: en-US
Content-Language: en-US
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
Content-Type: multipart/alternative;
\tboundary="_000_AM0PR01MB1234_"
MIME-Version: 1.0

--_000_AM0PR01MB1234_
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

Let's go through the mock-ups.

--_000_AM0PR01MB1234_
Content-Type: text/html; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

<html><body><p>Let's go through the mock-ups.</p></body></html>

--_000_AM0PR01MB1234_
Content-Type: text/calendar; charset="utf-8"; method=REQUEST
Content-Transfer-Encoding: base64

${b64(OUTLOOK_ICS)}
--_000_AM0PR01MB1234_--
`);

test('Outlook: base64 text/calendar in multipart/alternative, Windows TZID defined by its VTIMEZONE', () => {
  const part = findCalendarPart(OUTLOOK).part!;
  assert.equal(part.method, 'REQUEST');
  assert.equal(part.contentType, 'text/calendar');
  assert.equal(
    summary(OUTLOOK),
    [
      'Invitation: Design review',
      'When: Tue 1 Dec 2026, 14:30–15:30 (Europe/Berlin)',
      'Where: Room 4.01',
      'Organizer: Bob Builder <bob@example.com>',
      'Attendees: Alice Liddell <alice@example.com> (you), carol@example.org',
    ].join('\n'),
  );
  // The same meeting for someone in New York, with a conflict from their calendar.
  const inv = readInvitation(OUTLOOK, { now: NOW, timeZone: 'America/New_York' })!;
  assert.equal(
    invitationText(inv, { recipient: 'carol@example.org', timeZone: 'America/New_York', now: NOW, conflicts: [{ summary: 'Dentist', start: Date.UTC(2026, 11, 1, 13, 0), end: Date.UTC(2026, 11, 1, 14, 0), allDay: false }] }),
    [
      'Invitation: Design review',
      'When: Tue 1 Dec 2026, 08:30–09:30 (America/New_York)',
      'Where: Room 4.01',
      'Organizer: Bob Builder <bob@example.com>',
      'Attendees: Alice Liddell <alice@example.com>, carol@example.org (you)',
      'Conflicts with: Dentist (Tue 1 Dec 2026, 08:00–09:00)',
    ].join('\n'),
  );
});

const GOOGLE_ICS = `BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:REQUEST
BEGIN:VEVENT
DTSTART:20261203T080000Z
DTEND:20261203T083000Z
RRULE:FREQ=WEEKLY;WKST=MO;COUNT=5;BYDAY=TH
DTSTAMP:20261127T093512Z
ORGANIZER;CN=Dave:mailto:dave@example.net
UID:7kukuqrfedlm2f9t0vafmcfeh0@google.com
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=TRUE
 ;CN=Dave;X-NUM-GUESTS=0:mailto:dave@example.net
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=
 TRUE;CN=alice@example.com;X-NUM-GUESTS=0:mailto:alice@example.com
X-GOOGLE-CONFERENCE:https://meet.google.com/abc-defg-hij
CREATED:20261127T093511Z
DESCRIPTION:Weekly sync
LAST-MODIFIED:20261127T093511Z
LOCATION:https://meet.google.com/abc-defg-hij
SEQUENCE:0
STATUS:CONFIRMED
SUMMARY:Weekly sync
TRANSP:OPAQUE
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:This is an event reminder
TRIGGER:-P0DT0H10M0S
END:VALARM
END:VEVENT
END:VCALENDAR
`;

const GOOGLE = mail(`MIME-Version: 1.0
Date: Fri, 27 Nov 2026 09:35:12 +0000
Reply-To: Dave <dave@example.net>
Sender: Google Calendar <calendar-notification@google.com>
Message-ID: <calendar-5e6f7a8b@google.com>
Subject: Invitation: Weekly sync @ Weekly from 09:00 to 09:30 on Thursday (CET) (alice@example.com)
From: Dave <dave@example.net>
To: alice@example.com
Content-Type: multipart/mixed; boundary="000000000000a1b2c3"

--000000000000a1b2c3
Content-Type: multipart/alternative; boundary="000000000000a1b2c2"

--000000000000a1b2c2
Content-Type: text/plain; charset="UTF-8"; format=flowed; delsp=yes
Content-Transfer-Encoding: base64

${b64('You have been invited to the following event.\n\nWeekly sync\n')}
--000000000000a1b2c2
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<span itemscope itemtype=3D"http://schema.org/InformAction">Weekly sync</span>

--000000000000a1b2c2
Content-Type: text/calendar; charset="UTF-8"; method=REQUEST
Content-Transfer-Encoding: 7bit

${GOOGLE_ICS}
--000000000000a1b2c2--

--000000000000a1b2c3
Content-Type: application/ics; name="invite.ics"
Content-Disposition: attachment; filename="invite.ics"
Content-Transfer-Encoding: base64

${b64(GOOGLE_ICS.replace('SUMMARY:Weekly sync', 'SUMMARY:from the attachment'))}
--000000000000a1b2c3--
`);

test('Google Calendar: 7bit text/calendar nested in multipart/mixed (the application/ics copy is not used); a UTC series', () => {
  assert.equal(
    summary(GOOGLE),
    [
      'Invitation: Weekly sync',
      'When: Thu 3 Dec 2026, 09:00–09:30 (Europe/Berlin), repeats weekly on Thursday, 5 times',
      'Where: https://meet.google.com/abc-defg-hij',
      'Organizer: Dave <dave@example.net>',
      'Attendees: Dave <dave@example.net>, alice@example.com (you)',
    ].join('\n'),
  );
  const inv = readInvitation(GOOGLE, { now: NOW, timeZone: TZ })!;
  assert.equal(inv.occurrences.length, 5, 'the occurrences a conflict check looks at');
  // Only the attachment (a forwarding client dropped the inline part): it is used then.
  const onlyAttachment = mail(
    crlf(GOOGLE.toString('latin1')).replace(/--000000000000a1b2c2\r\nContent-Type: text\/calendar[\s\S]*?(?=--000000000000a1b2c2--)/, ''),
  );
  assert.match(summary(onlyAttachment), /^Invitation: from the attachment\n/);
});

const THUNDERBIRD = mail(`From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.de>
To: alice@example.com
Subject: =?UTF-8?Q?Einladung:_Besprechung_=C3=BCber_Budget?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="------------Q1w2e3r4t5"
User-Agent: Mozilla Thunderbird

This is a multi-part message in MIME format.
--------------Q1w2e3r4t5
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 8bit

Einladung zur Besprechung

--------------Q1w2e3r4t5
Content-Type: text/calendar; method=REQUEST; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

BEGIN:VCALENDAR
PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN
VERSION:2.0
METHOD:REQUEST
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=3DYEARLY;BYDAY=3D-1SU;BYMONTH=3D3
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=3DYEARLY;BYDAY=3D-1SU;BYMONTH=3D10
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
CREATED:20261127T090000Z
LAST-MODIFIED:20261127T090500Z
DTSTAMP:20261127T090500Z
UID:5c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f
SUMMARY:Besprechung =C3=BCber das Budget 2027 mit allen Abteilungsleitern und
  der Gesch=C3=A4ftsf=C3=BChrung
ORGANIZER;CN=3DJ=C3=BCrgen M=C3=BCller:mailto:juergen@example.de
ATTENDEE;RSVP=3DTRUE;CN=3DAlice;PARTSTAT=3DNEEDS-ACTION;ROLE=3DREQ-PARTICIPAN=
T:mailto:alice@example.com
DTSTART;TZID=3DEurope/Berlin:20261208T090000
DTEND;TZID=3DEurope/Berlin:20261208T103000
LOCATION:Konferenzraum Gro=C3=9Fe Halle
SEQUENCE:2
END:VEVENT
END:VCALENDAR

--------------Q1w2e3r4t5--
`);

test('Thunderbird: quoted-printable text/calendar (soft line breaks, folded iCalendar lines), UTF-8 umlauts, an update (SEQUENCE > 0)', () => {
  const found = findCalendarPart(THUNDERBIRD);
  assert.equal(found.subject, 'Einladung: Besprechung über Budget');
  assert.equal(found.from, 'Jürgen Müller <juergen@example.de>');
  assert.equal(
    summary(THUNDERBIRD),
    [
      'Updated invitation: Besprechung über das Budget 2027 mit allen Abteilungsleitern und der Geschäftsführung',
      'When: Tue 8 Dec 2026, 09:00–10:30 (Europe/Berlin)',
      'Where: Konferenzraum Große Halle',
      'Organizer: Jürgen Müller <juergen@example.de>',
      'Attendees: Alice <alice@example.com> (you)',
    ].join('\n'),
  );
});

const APPLE_ALLDAY = mail(`From: Erin <erin@example.com>
To: alice@example.com
Subject: Invitation: Company holiday
Content-Type: multipart/alternative; boundary="Apple-Mail=_1234"
Mime-Version: 1.0 (Mac OS X Mail 16.0)

--Apple-Mail=_1234
Content-Transfer-Encoding: 7bit
Content-Type: text/plain; charset=us-ascii

Company holiday

--Apple-Mail=_1234
Content-Transfer-Encoding: quoted-printable
Content-Type: text/calendar; charset=iso-8859-1; method=REQUEST; name=invite.ics

BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Apple Inc.//macOS 15.1//EN
METHOD:REQUEST
BEGIN:VEVENT
UID:AB12CD34-5678-90EF-1234-567890ABCDEF
DTSTART;VALUE=3DDATE:20261224
DTEND;VALUE=3DDATE:20261227
DTSTAMP:20261127T100000Z
SUMMARY:Betriebsferien (Gr=FC=DFe an alle)
TRANSP:TRANSPARENT
ORGANIZER;CN=3DErin:mailto:erin@example.com
ATTENDEE;CN=3DAlice;PARTSTAT=3DNEEDS-ACTION:mailto:alice@example.com
END:VEVENT
END:VCALENDAR

--Apple-Mail=_1234--
`);

test('Apple Mail: an all-day event over three days, ISO-8859-1 quoted-printable', () => {
  assert.equal(
    summary(APPLE_ALLDAY),
    [
      'Invitation: Betriebsferien (Grüße an alle)',
      'When: Thu 24 Dec 2026 – Sat 26 Dec 2026 (all day) (Europe/Berlin)',
      'Organizer: Erin <erin@example.com>',
      'Attendees: Alice <alice@example.com> (you)',
    ].join('\n'),
  );
});

const single = (method: string, extra: string) =>
  mail(`From: Bob <bob@example.com>
To: alice@example.com
Subject: ${method}
MIME-Version: 1.0
Content-Type: text/calendar; charset=utf-8; method=${method}
Content-Transfer-Encoding: 7bit

BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
METHOD:${method}
BEGIN:VEVENT
UID:meeting-1@example.com
DTSTAMP:20261127T100000Z
DTSTART:20261201T133000Z
DTEND:20261201T143000Z
SUMMARY:Design review
${extra}
END:VEVENT
END:VCALENDAR
`);

test('CANCEL and REPLY (with each PARTSTAT)', () => {
  assert.equal(
    summary(single('CANCEL', 'STATUS:CANCELLED\nSEQUENCE:1\nORGANIZER;CN=Bob:mailto:bob@example.com\nATTENDEE;CN=Alice:mailto:alice@example.com')),
    ['Cancelled: Design review', 'When: Tue 1 Dec 2026, 14:30–15:30 (Europe/Berlin)', 'Organizer: Bob <bob@example.com>', 'Attendees: Alice <alice@example.com> (you)'].join('\n'),
  );
  const reply = (partstat: string) => summary(single('REPLY', `ORGANIZER:mailto:alice@example.com\nATTENDEE;CN=Carol;PARTSTAT=${partstat}:mailto:carol@example.org`));
  assert.equal(reply('ACCEPTED'), ['Reply: Design review', 'Carol <carol@example.org> accepted', 'When: Tue 1 Dec 2026, 14:30–15:30 (Europe/Berlin)', 'Organizer: alice@example.com (you)'].join('\n'));
  assert.match(reply('DECLINED'), /\nCarol <carol@example\.org> declined\n/);
  assert.match(reply('TENTATIVE'), /\nCarol <carol@example\.org> tentatively accepted\n/);
});

test('a conflict list is capped, and a REQUEST without a calendar says nothing about conflicts', () => {
  const conflicts = Array.from({ length: 7 }, (_, i) => ({ summary: `Busy ${i}`, start: Date.UTC(2026, 11, 1, 13, i), end: Date.UTC(2026, 11, 1, 14, 0), allDay: false }));
  const text = summary(single('REQUEST', ''), { conflicts });
  assert.match(text, /\nConflicts with: Busy 0 \(Tue 1 Dec 2026, 14:00–15:00\); Busy 1 .*; Busy 4 \(Tue 1 Dec 2026, 14:04–15:00\) and 2 more$/);
  assert.doesNotMatch(summary(single('REQUEST', '')), /Conflicts/);
  const inv = readInvitation(single('REQUEST', ''), { now: NOW, timeZone: TZ })!;
  assert.match(invitationText(inv, { recipient: 'alice@example.com', timeZone: TZ, now: NOW, conflictsUnknown: 'the calendar server could not be asked' }), /\n\(Conflicts not checked: the calendar server could not be asked\)$/);
});

test('mails without an iMIP message, and broken ones', () => {
  assert.equal(readInvitation(mail('From: a@b.c\nSubject: hi\nContent-Type: text/plain\n\nhello\n'), { now: NOW, timeZone: TZ }), undefined, 'plain text');
  assert.equal(readInvitation(mail('From: a@b.c\nSubject: hi\n\nno headers for MIME at all\n'), { now: NOW, timeZone: TZ }), undefined, 'no MIME');
  assert.equal(readInvitation(Buffer.alloc(0), { now: NOW, timeZone: TZ }), undefined, 'empty');
  assert.equal(readInvitation(single('PUBLISH', ''), { now: NOW, timeZone: TZ }), undefined, 'PUBLISH is a calendar, not an invitation');
  assert.equal(readInvitation(mail('Content-Type: multipart/mixed\n\nno boundary\n'), { now: NOW, timeZone: TZ }), undefined, 'multipart without boundary');
  const broken = mail('Content-Type: text/calendar; method=REQUEST\n\nBEGIN:VCALENDAR\nthis is not iCalendar\n');
  assert.throws(() => readInvitation(broken, { now: NOW, timeZone: TZ }), (e: unknown) => e instanceof InvitationError && /cannot be read: not valid iCalendar/.test(e.message));
  const noEvent = mail('Content-Type: text/calendar; method=REQUEST\n\nBEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nMETHOD:REQUEST\nEND:VCALENDAR\n');
  assert.throws(() => readInvitation(noEvent, { now: NOW, timeZone: TZ }), /holds no event/);
  // Deep nesting stops quietly.
  let deep = 'Content-Type: text/calendar; method=REQUEST\n\nBEGIN:VCALENDAR\nEND:VCALENDAR\n';
  for (let i = 0; i < 20; i++) deep = `Content-Type: multipart/mixed; boundary="b${i}"\n\n--b${i}\n${deep}\n--b${i}--\n`;
  assert.equal(findCalendarPart(mail(deep)).part, undefined);
});
