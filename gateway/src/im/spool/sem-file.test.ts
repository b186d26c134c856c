// The SEM format, byte by byte: what is accepted (and how it is read), and the reason given for
// everything that is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstInvalidUtf8, formatSemFile, LCK_NAME, lockNameOf, parseSemFile, SEM_NAME, SemFormatError, semNameOf } from './sem-file.ts';

const parse = (s: string | Buffer, maxBytes = 1024) => parseSemFile(typeof s === 'string' ? Buffer.from(s, 'utf8') : s, { maxBytes });
const reason = (s: string | Buffer, maxBytes = 1024): string => {
  try {
    parse(s, maxBytes);
  } catch (e) {
    assert.ok(e instanceof SemFormatError, `a SemFormatError, not ${String(e)}`);
    return e.message;
  }
  assert.fail('the file was accepted');
};

test('LF, CRLF, lone CR and a BOM all read the same; the text keeps its inner lines and loses trailing line ends', () => {
  const want = { to: 'alice@example.com', from: 'monitoring@example.com', text: 'Disk /var is 95% full\n\n  on db1' };
  assert.deepEqual(parse('alice@example.com\nmonitoring@example.com\n\nDisk /var is 95% full\n\n  on db1\n'), want);
  assert.deepEqual(parse('alice@example.com\r\nmonitoring@example.com\r\n\r\nDisk /var is 95% full\r\n\r\n  on db1\r\n\r\n'), want);
  assert.deepEqual(parse('alice@example.com\rmonitoring@example.com\r\rDisk /var is 95% full\r\r  on db1'), want);
  assert.deepEqual(parse(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('alice@example.com\nmonitoring@example.com\n\nDisk /var is 95% full\n\n  on db1')])), want);
});

test('addresses are trimmed and lower-cased; tabs, emoji and non-Latin text pass through', () => {
  assert.deepEqual(parse('  Alice@Example.COM \t\nMonitoring@example.com\n \nЗаказ №5\tready 🚀'), { to: 'alice@example.com', from: 'monitoring@example.com', text: 'Заказ №5\tready 🚀' });
});

test('the size limit counts bytes, and a file exactly at the limit is accepted', () => {
  const head = 'alice@example.com\nbob@example.com\n\n';
  const text = `${'é'.repeat(32)}x`; // 65 bytes: two-byte characters count twice
  const exact = head + text;
  assert.equal(Buffer.byteLength(exact), 100);
  assert.equal(parse(exact, 100).text, text);
  assert.match(reason(exact + 'x', 100), /too large: 101 bytes, more than im\.spool\.maxBytes \(100\)/);
});

test('every malformed shape is refused with a reason that says what is wrong', () => {
  const cases: [string | Buffer, RegExp][] = [
    ['', /the file is empty/],
    ['alice@example.com', /line 2 \(the sender's address\) is missing/],
    ['alice@example.com\n', /line 2 \(the sender's address\) is empty/],
    ['\nbob@example.com\n\nhi', /line 1 \(the recipient's address\) is empty/],
    ['alice@example.com\nbob@example.com', /line 3 is missing/],
    ['alice@example.com\nbob@example.com\nhello', /line 3 must be blank .* "hello"/],
    ['alice@example.com\nbob@example.com\n\n', /the message text is empty/],
    ['alice@example.com\nbob@example.com\n\n \n\t\n\n', /the message text is empty/],
    ['alice\nbob@example.com\n\nhi', /line 1: "alice" is not a valid recipient address/],
    ['alice@example.com\nbob@@example.com\n\nhi', /line 2: "bob@@example.com" is not a valid sender address/],
    ['alice@example.com\nbob <bob@example.com>\n\nhi', /line 2: .* is not a valid sender address/],
    ['alice@example.com\nbob@example.com\n\nline one\nbell \x07 here', /control character U\+0007 \(line 5\), which XMPP cannot carry/],
    ['alice@example.com\nbob@example.com\n\nnul\x00', /control character U\+0000 \(line 4\)/],
    [Buffer.from('alice@example.com\nbob@example.com\n\ncaf\xe9', 'latin1'), /not UTF-8: byte 0xe9 at offset 38/],
    [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('alice@example.com\n', 'utf16le')]), /UTF-16/],
    [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), /not UTF-8: byte 0x89 at offset 0/],
  ];
  for (const [input, want] of cases) assert.match(reason(input), want, JSON.stringify(String(input)));
});

test('firstInvalidUtf8 finds overlongs, surrogates, truncated and out-of-range sequences', () => {
  assert.equal(firstInvalidUtf8(Buffer.from('plain ascii and é and 🚀')), -1);
  assert.equal(firstInvalidUtf8(Buffer.from([0x41, 0xc0, 0x80])), 1); // overlong NUL
  assert.equal(firstInvalidUtf8(Buffer.from([0x41, 0x42, 0xe0, 0x80, 0x80])), 2); // overlong 3-byte
  assert.equal(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80])), 0); // U+D800
  assert.equal(firstInvalidUtf8(Buffer.from([0x41, 0xe2, 0x82])), 1); // cut short
  assert.equal(firstInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80])), 0); // above U+10FFFF
  assert.equal(firstInvalidUtf8(Buffer.from([0x41, 0x80])), 1); // lone continuation byte
});

test('names: SEM and LCK files pair up; nothing else is one of them', () => {
  assert.ok(SEM_NAME.test('IM-0001.SEM') && SEM_NAME.test('IM-17642700001234.SEM'));
  for (const n of ['IM-0001.sem', 'im-1.SEM', 'IM-.SEM', 'IM-1.SEM.tmp', 'IM-1a.SEM', 'X-IM-1.SEM']) assert.ok(!SEM_NAME.test(n), n);
  assert.equal(lockNameOf('IM-0001.SEM'), 'IM-0001.LCK');
  assert.equal(semNameOf('IM-0001.LCK'), 'IM-0001.SEM');
  assert.ok(LCK_NAME.test('IM-0001.LCK') && !LCK_NAME.test('IM-0001.lck'));
});

test('formatSemFile writes what parseSemFile reads', () => {
  const m = { to: 'alice@example.com', from: 'herald@example.com', text: 'two\nlines ✓' };
  assert.deepEqual(parse(formatSemFile(m)), m);
});
