// WebDAV multistatus as different servers write it: prefixes or a default namespace, relative or
// absolute hrefs, properties split by status, a whole response's 404, and what is not a multistatus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { caldavKey, csKey, davKey, hasResourceType, MultistatusError, NS_CALDAV, parseMultistatus, propText, samePath } from './multistatus.ts';

test('Nextcloud/SabreDAV shape: prefixed namespaces, a 404 propstat for what it lacks', () => {
  const xml = `<?xml version="1.0"?>
<d:multistatus xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" xmlns:cal="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/">
 <d:response><d:href>/remote.php/dav/calendars/alice/</d:href>
  <d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
  <d:propstat><d:prop><cs:getctag/><d:displayname/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>
 </d:response>
 <d:response><d:href>/remote.php/dav/calendars/alice/personal/</d:href>
  <d:propstat><d:prop><d:resourcetype><d:collection/><cal:calendar/></d:resourcetype><d:displayname>Personal</d:displayname>
   <cs:getctag>http://sabre.io/ns/sync/42</cs:getctag><d:sync-token>http://sabre.io/ns/sync/42</d:sync-token></d:prop>
   <d:status>HTTP/1.1 200 OK</d:status></d:propstat>
 </d:response>
</d:multistatus>`;
  const [home, cal] = parseMultistatus(xml, 'https://cloud.example.com/remote.php/dav/calendars/alice/');
  assert.equal(home!.href, 'https://cloud.example.com/remote.php/dav/calendars/alice/');
  assert.equal(hasResourceType(home!, NS_CALDAV, 'calendar'), false);
  assert.equal(home!.props.has(csKey('getctag')), false, 'a 404 propstat is not a value');
  assert.equal(hasResourceType(cal!, NS_CALDAV, 'calendar'), true);
  assert.equal(propText(cal!, davKey('displayname')), 'Personal');
  assert.equal(propText(cal!, csKey('getctag')), 'http://sabre.io/ns/sync/42');
});

test('default namespace, absolute hrefs, calendar-data with escaped text, a missing resource in a multiget', () => {
  const xml = `<multistatus xmlns="DAV:"><response><href>https://cal.example.com/alice/work/a.ics</href><propstat><prop>
<getetag>"1"</getetag><calendar-data xmlns="urn:ietf:params:xml:ns:caldav">BEGIN:VCALENDAR&#13;
SUMMARY:R&amp;D &lt;weekly&gt;&#13;
END:VCALENDAR</calendar-data></prop><status>HTTP/1.1 200 OK</status></propstat></response>
<response><href>/alice/work/gone.ics</href><status>HTTP/1.1 404 Not Found</status></response></multistatus>`;
  const [a, gone] = parseMultistatus(xml, 'https://cal.example.com/alice/work/');
  assert.equal(propText(a!, davKey('getetag')), '"1"');
  assert.equal(propText(a!, caldavKey('calendar-data')), 'BEGIN:VCALENDAR\r\nSUMMARY:R&D <weekly>\r\nEND:VCALENDAR');
  assert.deepEqual([gone!.href, gone!.status], ['https://cal.example.com/alice/work/gone.ics', 404]);
});

test('what is not a multistatus', () => {
  assert.throws(() => parseMultistatus('<html><body>Login</body></html>', 'http://x/'), MultistatusError);
  assert.throws(() => parseMultistatus('not xml at all <', 'http://x/'), MultistatusError);
  assert.throws(() => parseMultistatus('<!DOCTYPE m [<!ENTITY x "y">]><multistatus xmlns="DAV:">&x;</multistatus>', 'http://x/'), MultistatusError, 'no DTDs');
});

test('paths compare without trailing slash and percent-escapes', () => {
  assert.equal(samePath('http://x/alice%40example.com/', 'http://x/alice@example.com'), true);
  assert.equal(samePath('http://x/alice/work/', 'http://x/alice/'), false);
});
