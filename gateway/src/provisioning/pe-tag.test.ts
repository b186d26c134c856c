// The installer tag's PE and DER handling on small synthetic programs: a round trip (with and
// without other unauthenticated attributes, and replacing an earlier tag), and hostile input —
// truncated files, offsets pointing anywhere, a missing table, oversized lengths, BER, more than
// one signer, a broken tag — each a PeTagError with its reason, never a crash or an out-of-range
// read. The real thing (mingw-w64 + osslsigncode) is test/integration/pe-tag-signed.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DerError, children, encodeLength, encodeOid, encodeTlv, readTlv, replaceInPath } from '../protocol/der.ts';
import { PE_TAG_MAGIC, PE_TAG_OID, PeTagError, encodeTagPayload, locatePe, readCertificateTableTag, tagCertificateTable } from '../protocol/pe-tag.ts';

const seq = (...c: Buffer[]) => encodeTlv(0x30, ...c);
const set = (...c: Buffer[]) => encodeTlv(0x31, ...c);
const int = (n: number) => encodeTlv(0x02, Buffer.from([n]));
const oid = (s: string) => encodeTlv(0x06, encodeOid(s));

/** A PKCS#7 SignedData shaped as Authenticode's (RFC 2315 §9.1), with made-up contents. */
function pkcs7(o: { unauth?: Buffer[]; signers?: number } = {}): Buffer {
  const signer = seq(
    int(1),
    seq(seq(), int(7)), // issuerAndSerialNumber
    seq(oid('2.16.840.1.101.3.4.2.1')),
    encodeTlv(0xa0, seq(oid('1.2.840.113549.1.9.4'), set(encodeTlv(0x04, Buffer.alloc(32, 1))))), // authenticated attributes
    seq(oid('1.2.840.113549.1.1.1')),
    encodeTlv(0x04, Buffer.alloc(256, 0xab)), // encryptedDigest
    ...(o.unauth ? [encodeTlv(0xa1, ...o.unauth)] : []),
  );
  const sd = seq(int(1), set(seq(oid('2.16.840.1.101.3.4.2.1'))), seq(oid('1.3.6.1.4.1.311.2.1.4')), encodeTlv(0xa0, seq(int(1))), set(...Array.from({ length: o.signers ?? 1 }, () => signer)));
  return seq(oid('1.2.840.113549.1.7.2'), encodeTlv(0xa0, sd));
}

function winCert(der: Buffer): Buffer {
  const total = (8 + der.length + 7) & ~7;
  const h = Buffer.alloc(8);
  h.writeUInt32LE(total, 0);
  h.writeUInt16LE(0x0200, 4);
  h.writeUInt16LE(0x0002, 6);
  return Buffer.concat([h, der, Buffer.alloc(total - 8 - der.length)]);
}

/** A minimal PE32+ (or PE32) image: headers, one section of code, and `table` at the end. */
function pe(table: Buffer | undefined, o: { plus?: boolean } = {}): Buffer {
  const plus = o.plus ?? true;
  const optSize = plus ? 240 : 224;
  const head = Buffer.alloc(0x400);
  head.write('MZ', 0, 'ascii');
  head.writeUInt32LE(0x80, 0x3c);
  head.write('PE\0\0', 0x80, 'latin1');
  head.writeUInt16LE(0x8664, 0x84);
  head.writeUInt16LE(1, 0x86); // one section
  head.writeUInt16LE(optSize, 0x94);
  const opt = 0x98;
  head.writeUInt16LE(plus ? 0x20b : 0x10b, opt);
  head.writeUInt32LE(16, opt + (plus ? 108 : 92));
  const sec = opt + optSize;
  head.write('.text', sec, 'ascii');
  head.writeUInt32LE(0x200, sec + 16); // SizeOfRawData
  head.writeUInt32LE(0x400, sec + 20); // PointerToRawData
  const body = Buffer.concat([head, Buffer.alloc(0x200, 0x90)]);
  if (!table) return body;
  const dir = opt + (plus ? 112 : 96) + 4 * 8;
  body.writeUInt32LE(body.length, dir);
  body.writeUInt32LE(table.length, dir + 4);
  return Buffer.concat([body, table]);
}

const tableOf = (file: Buffer) => {
  const l = locatePe(file, file.length);
  return file.subarray(l.tableOffset, l.tableOffset + l.tableSize);
};
const reason = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof PeTagError) return e.reason;
    if (e instanceof DerError) return 'der';
    throw e;
  }
  return 'ok';
};

test('DER: lengths, OIDs and bounds as X.690 says', () => {
  assert.deepEqual([...encodeLength(5)], [5]);
  assert.deepEqual([...encodeLength(200)], [0x81, 200]);
  assert.deepEqual([...encodeLength(0x1234)], [0x82, 0x12, 0x34]);
  assert.equal(encodeOid('1.2.840.113549.1.7.2').toString('hex'), '2a864886f70d010702');
  assert.equal(encodeOid('2.25.1').toString('hex'), '6901');
  const b = seq(int(1), seq(int(2)));
  const root = readTlv(b, 0, b.length);
  assert.deepEqual(children(b, root).map((c) => c.tag), [0x02, 0x30]);
  const grown = replaceInPath(b, [root, children(b, root)[1]!], seq(int(2), encodeTlv(0x04, Buffer.alloc(300))));
  assert.deepEqual([...grown.subarray(0, 4)], [0x30, 0x82, 0x01, 0x3a], 'the parent length is re-encoded (3 + 4 + 3 + 4 + 300)');
  for (const bad of [[0x30], [0x30, 0x80, 0, 0], [0x30, 0x85, 1, 1, 1, 1, 1], [0x30, 0x05, 1], [0x1f, 0x01, 0x00], [0x30, 0x84, 0xff, 0xff, 0xff, 0xff]]) {
    assert.throws(() => readTlv(Buffer.from(bad), 0, bad.length), DerError, JSON.stringify(bad));
  }
  assert.throws(() => children(b, readTlv(b, 2, b.length)), DerError, 'a primitive has no children');
});

test('a tag round-trips in PE32 and PE32+; other unauthenticated attributes stay; a second stamp replaces the first', () => {
  for (const plus of [true, false]) {
    const file = pe(winCert(pkcs7()), { plus });
    const provision = Buffer.from('{"protected":"x","payload":"y","signature":"z"}\n');
    const table = tagCertificateTable(tableOf(file), provision);
    assert.equal(table.length % 8, 0);
    assert.equal(table.readUInt32LE(0), table.length);
    assert.ok(readCertificateTableTag(table)!.equals(provision));
    assert.equal(readCertificateTableTag(tableOf(file)), undefined, 'no tag before stamping');
  }
  const timestamp = seq(oid('1.3.6.1.4.1.311.3.3.1'), set(encodeTlv(0x04, Buffer.from('a countersignature'))));
  const file = pe(winCert(pkcs7({ unauth: [timestamp] })));
  const once = tagCertificateTable(tableOf(file), Buffer.from('first'));
  const twice = tagCertificateTable(once, Buffer.from('second'));
  assert.equal(readCertificateTableTag(twice)!.toString(), 'second');
  assert.equal(twice.toString('latin1').split(PE_TAG_MAGIC.toString('latin1')).length - 1, 1, 'one tag');
  assert.ok(twice.includes(Buffer.from('a countersignature')), 'the timestamp attribute is kept');
  assert.ok(twice.includes(encodeOid(PE_TAG_OID)));
});

test('hostile programs: each refusal has its reason', () => {
  const good = pe(winCert(pkcs7()));
  const l = locatePe(good, good.length);
  const edit = (f: (b: Buffer) => void, from = good) => {
    const b = Buffer.from(from);
    f(b);
    return b;
  };
  const cases: [string, Buffer, number?, string?][] = [
    ['empty', Buffer.alloc(0)],
    ['MZ only', Buffer.from('MZ')],
    ['not MZ', edit((b) => b.write('ZM', 0, 'ascii'))],
    ['PE offset past the head', edit((b) => b.writeUInt32LE(0xfffffff0, 0x3c))],
    ['PE offset past the file', edit((b) => b.writeUInt32LE(0x3000, 0x3c)), undefined, 'truncated'],
    ['no PE signature', edit((b) => b.write('XX', 0x80, 'ascii'))],
    ['unknown magic', edit((b) => b.writeUInt16LE(0x107, 0x98))],
    ['optional header too small', edit((b) => b.writeUInt16LE(16, 0x94))],
    ['no table', pe(undefined)],
    ['too few data directories', edit((b) => b.writeUInt32LE(3, 0x98 + 108))],
    ['table past the end', edit((b) => b.writeUInt32LE(l.tableSize + 8, l.securityDirOffset + 4))],
    ['table not at the end', Buffer.concat([good, Buffer.alloc(8)])],
    ['table huge', edit((b) => b.writeUInt32LE(0x7fffffff, l.securityDirOffset + 4))],
    ['table misaligned', edit((b) => b.writeUInt32LE(l.tableOffset - 4, l.securityDirOffset))],
    ['table inside the headers', edit((b) => b.writeUInt32LE(8, l.securityDirOffset))],
    ['cut in the middle', good.subarray(0, good.length - 100)],
  ];
  const want: Record<string, string> = {
    empty: 'truncated',
    'MZ only': 'truncated',
    'not MZ': 'not-pe',
    'PE offset past the head': 'not-pe',
    'no PE signature': 'not-pe',
    'unknown magic': 'not-pe',
    'optional header too small': 'not-pe',
    'no table': 'unsigned',
    'too few data directories': 'unsigned',
    'table past the end': 'truncated',
    'table not at the end': 'bad-certificate-table',
    'table huge': 'too-large',
    'table misaligned': 'bad-certificate-table',
    'table inside the headers': 'bad-certificate-table',
    'cut in the middle': 'truncated',
  };
  for (const [what, file, size, expected] of cases) assert.equal(reason(() => locatePe(file, size ?? file.length)), expected ?? want[what], what);
});

test('hostile certificate tables and tags: each refusal has its reason', () => {
  const table = winCert(pkcs7());
  const edit = (f: (b: Buffer) => void, from = table) => {
    const b = Buffer.from(from);
    f(b);
    return b;
  };
  const der = pkcs7();
  const cases: [string, Buffer, string][] = [
    ['shorter than its header', Buffer.alloc(4), 'truncated'],
    ['length past the table', edit((b) => b.writeUInt32LE(b.length + 8, 0)), 'bad-certificate-table'],
    ['two certificates', Buffer.concat([table, table]), 'bad-certificate-table'],
    ['not PKCS#7 type', edit((b) => b.writeUInt16LE(0x0001, 6)), 'bad-certificate-table'],
    ['indefinite length (BER)', edit((b) => b.writeUInt8(0x80, 9)), 'bad-certificate-table'],
    ['oversized length field', edit((b) => b.writeUInt8(0x89, 9)), 'bad-certificate-table'],
    ['length past the end', edit((b) => b.writeUInt16BE(0xfff0, 10)), 'bad-certificate-table'],
    ['not signedData', winCert(seq(oid('1.2.840.113549.1.7.1'), encodeTlv(0xa0, seq()))), 'bad-certificate-table'],
    ['two signers', winCert(pkcs7({ signers: 2 })), 'bad-certificate-table'],
    ['no signerInfos', winCert(seq(oid('1.2.840.113549.1.7.2'), encodeTlv(0xa0, seq(int(1))))), 'bad-certificate-table'],
    ['a primitive where a sequence is', winCert(seq(oid('1.2.840.113549.1.7.2'), encodeTlv(0xa0, int(1)))), 'bad-certificate-table'],
  ];
  assert.equal(der[1], 0x82, 'the fixture has a two-byte length at offset 9 of the table');
  for (const [what, t, want] of cases) {
    assert.equal(reason(() => tagCertificateTable(t, Buffer.from('x'))), want, `tag: ${what}`);
    assert.equal(reason(() => readCertificateTableTag(t)), want, `read: ${what}`);
  }

  const tagged = (payload: Buffer) => {
    const attr = seq(oid(PE_TAG_OID), set(encodeTlv(0x04, payload)));
    return winCert(pkcs7({ unauth: [attr] }));
  };
  const body = Buffer.from('{"a":1}');
  const framed = encodeTagPayload(body);
  assert.ok(readCertificateTableTag(tagged(framed))!.equals(body));
  const claims = (n: number) => edit((b) => b.writeUInt32BE(n, PE_TAG_MAGIC.length), framed);
  for (const [what, payload, want] of [
    ['no magic', Buffer.concat([Buffer.from('HERALD-PROVISIOX'), framed.subarray(16)]), 'bad-tag'],
    ['too short', Buffer.from('HERALD'), 'bad-tag'],
    ['length too long', claims(body.length + 1), 'bad-tag'],
    ['length too short', claims(body.length - 1), 'bad-tag'],
    ['length enormous', claims(0xffffffff), 'too-large'],
  ] as const) {
    assert.equal(reason(() => readCertificateTableTag(tagged(payload))), want, what);
  }
  const twoValues = winCert(pkcs7({ unauth: [seq(oid(PE_TAG_OID), set(encodeTlv(0x04, framed), encodeTlv(0x04, framed)))] }));
  assert.equal(reason(() => readCertificateTableTag(twoValues)), 'bad-tag');
  assert.equal(reason(() => encodeTagPayload(Buffer.alloc(64 * 1024 + 1))), 'too-large');
});

test('every truncation and 3000 seeded byte changes of a tagged program: a result or a PeTagError, nothing else', () => {
  const file = pe(tagCertificateTable(winCert(pkcs7()), Buffer.from('{"payload":"x"}')));
  let seed = 15;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const attempt = (b: Buffer) => {
    try {
      const l = locatePe(b, b.length);
      const t = b.subarray(l.tableOffset, l.tableOffset + l.tableSize);
      readCertificateTableTag(t);
      tagCertificateTable(t, Buffer.from('y'));
    } catch (e) {
      if (!(e instanceof PeTagError)) throw e;
    }
  };
  for (let n = 0; n < file.length; n += 7) attempt(file.subarray(0, n));
  for (let i = 0; i < 3000; i++) {
    const b = Buffer.from(file);
    for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    attempt(b);
  }
});
