import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebmailUrlError, encodeComponent, isAllowedWebmailUrl, presetTemplate, resolveTemplate, validateTemplate, webmailUrl } from './webmail-url.ts';

const user = 'alice@example.com';

test('presets build the product’s folder URL from a base URL', () => {
  const cases: [string, string, string][] = [
    ['roundcube:https://mail.example.com/roundcube/', 'INBOX', 'https://mail.example.com/roundcube/?_task=mail&_mbox=INBOX'],
    ['sogo:https://mail.example.com/SOGo', 'Projects/Herald', 'https://mail.example.com/SOGo/so/alice%40example.com/Mail/view#!/Mail/0/Projects%2FHerald'],
    ['snappymail:https://webmail.example.com', 'Sent', 'https://webmail.example.com/#/mailbox/Sent'],
    ['horde:https://mail.example.com/horde', 'INBOX', 'https://mail.example.com/horde/imp/dynamic.php?page=mailbox#mbox:SU5CT1g'],
  ];
  for (const [spec, folder, want] of cases) assert.equal(webmailUrl(resolveTemplate(spec), { folder, user }), want, spec);
  assert.equal(presetTemplate('roundcube', 'http://x.example//'), 'http://x.example/?_task=mail&_mbox={folder}');
});

test('any folder name is percent-encoded as one component and cannot leave the query or the origin', () => {
  const t = 'https://mail.example.com/?_task=mail&_mbox={folder}';
  const cases: [string, string][] = [
    ['INBOX', 'INBOX'],
    ['Projects/Herald', 'Projects%2FHerald'],
    ['Q&A #1 100% +more', 'Q%26A%20%231%20100%25%20%2Bmore'],
    ["it's (fine)!*", 'it%27s%20%28fine%29%21%2A'],
    ['Entwürfe/Überblick', 'Entw%C3%BCrfe%2F%C3%9Cberblick'],
    ['📬 Post', '%F0%9F%93%AC%20Post'],
    ['../../etc/passwd', '..%2F..%2Fetc%2Fpasswd'],
    ['a?b=c&_task=settings', 'a%3Fb%3Dc%26_task%3Dsettings'],
    ['lone \uD800 surrogate', 'lone%20%EF%BF%BD%20surrogate'],
  ];
  for (const [folder, enc] of cases) {
    const url = webmailUrl(t, { folder, user });
    assert.equal(url, `https://mail.example.com/?_task=mail&_mbox=${enc}`, folder);
    const u = new URL(url);
    assert.equal(u.origin, 'https://mail.example.com');
    assert.equal(u.searchParams.get('_task'), 'mail', `${folder}: no parameter injected`);
    if (!folder.includes('\uD800')) assert.equal(u.searchParams.get('_mbox'), folder, `${folder}: decodes back to itself`);
  }
  assert.equal(encodeComponent("-._~"), '-._~', 'unreserved characters stay');
});

test('bad templates are refused with a reason, never opened', () => {
  const bad: [string, RegExp][] = [
    ['javascript:alert(1)//{folder}', /http or https/],
    ['file:///etc/{folder}', /http or https/],
    ['https://{folder}/', /scheme, host or port/],
    ['https://mail.example.com{folder}/', /scheme, host or port|not an absolute URL/],
    ['https://{user}.example.com/', /scheme, host or port|not an absolute URL/],
    ['https://admin:secret@mail.example.com/?m={folder}', /credentials/],
    ['https://mail.example.com/?m={mailbox}', /unknown placeholder \{mailbox\}/],
    ['mail.example.com/?m={folder}', /not an absolute URL/],
    ['', /no webmail/],
  ];
  for (const [t, why] of bad) {
    assert.throws(() => validateTemplate(t), (e: Error) => e instanceof WebmailUrlError && why.test(e.message), t);
    assert.throws(() => webmailUrl(t, { folder: 'INBOX', user }), WebmailUrlError, t);
  }
});

test('only http(s) URLs on exactly the webmail origin are allowed', () => {
  const origin = validateTemplate('https://mail.example.com/roundcube/?_mbox={folder}');
  assert.equal(origin, 'https://mail.example.com');
  const cases: [string, boolean][] = [
    ['https://mail.example.com/roundcube/?_task=mail', true],
    ['https://mail.example.com:443/x', true],
    ['http://mail.example.com/x', false],
    ['https://mail.example.com.evil.net/', false],
    ['https://evil.net/?https://mail.example.com', false],
    ['https://user:pw@mail.example.com/', false],
    ['https://mail.example.com:8443/', false],
    ['javascript:alert(1)', false],
    ['file:///etc/passwd', false],
    ['mailto:bob@example.com', false],
    ['not a url', false],
  ];
  for (const [url, ok] of cases) assert.equal(isAllowedWebmailUrl(url, origin), ok, url);
});
