// A user's signed provision, carried inside a signed Windows installer without breaking its
// signature — the way large vendors tag signed installers per download (Chrome/Omaha's
// "certificate tag"). The Authenticode hash covers the whole PE except the CheckSum field, the
// certificate-table data directory entry and the certificate table itself (Microsoft, "Windows
// Authenticode Portable Executable Signature Format", "Calculating the PE Image Hash"), and inside
// the table's PKCS#7 SignedData the signature covers only the SignerInfo's authenticated
// attributes (RFC 2315 §9.3). So the tag goes into the SignerInfo's *unauthenticated* attributes
// (RFC 2315 §9.2 `unauthenticatedAttributes [1] IMPLICIT Attributes`) — not into padding after
// the PKCS#7 blob, which Windows refuses when EnableCertPaddingCheck is on (MS13-098).
//
// The tag is NOT covered by any signature: it proves nothing about who put it there. Its content
// is the gateway-signed provision.json, which the desktop verifies against keys it already trusts
// (shipped with the app or pinned), never against a key the tag brings along.
//
// Shared by the gateway (writes, gateway/src/provisioning/pe-stamp.ts) and the desktop (reads,
// desktop/src/core/provisioning/installer-tag.ts). Every offset in the file is hostile input.
import { DerError, children, encodeOid, encodeTlv, readTlv, replaceInPath, type Tlv } from './der.ts';
import { HeraldError } from './errors.ts';

export type PeTagFailure = 'not-pe' | 'truncated' | 'unsigned' | 'bad-certificate-table' | 'too-large' | 'bad-tag';

export class PeTagError extends HeraldError {
  override name = 'PeTagError';
  constructor(
    readonly reason: PeTagFailure,
    message: string,
  ) {
    super('bad_request', message);
  }
}

/**
 * Herald's attribute type: an OID under 2.25 (ITU-T X.667 §6.3, a UUID as one arc), which needs
 * no registration and cannot collide with anyone else's.
 */
export const PE_TAG_OID = '2.25.116049429271206989555714299637497418525';
const OID_BYTES = encodeOid(PE_TAG_OID);
/** id-signedData (RFC 2315 §14). */
const SIGNED_DATA_OID = encodeOid('1.2.840.113549.1.7.2');

/** The tag's own framing inside the attribute: magic, a 4-byte big-endian length, provision.json. */
export const PE_TAG_MAGIC = Buffer.from('HERALD-PROVISION', 'ascii');
/** Largest provision.json a tag may carry (the desktop reads no bigger provision file either). */
export const PE_TAG_MAX_PAYLOAD = 64 * 1024;
/** Largest certificate table read (a signature with its chain and a timestamp is a few KiB). */
export const PE_MAX_CERT_TABLE = 1024 * 1024;
/** How much of the file's start is read to find the headers (e_lfanew is usually < 512). */
export const PE_HEAD_BYTES = 64 * 1024;

const WIN_CERT_REVISION_2_0 = 0x0200;
const WIN_CERT_TYPE_PKCS_SIGNED_DATA = 0x0002;
const IMAGE_DIRECTORY_ENTRY_SECURITY = 4;

export interface PeLayout {
  /** File offset of the optional header's CheckSum (4 bytes). */
  checksumOffset: number;
  /** File offset of the certificate table's data directory entry (VirtualAddress, Size: 8 bytes; the address is a file offset). */
  securityDirOffset: number;
  /** The certificate table: a file offset and a size. */
  tableOffset: number;
  tableSize: number;
  /** End of the last section's raw data (the installer's own PE, without appended payload). */
  sectionsEnd: number;
}

const align8 = (n: number) => (n + 7) & ~7;

/**
 * Where the CheckSum, the certificate-table entry and the table are, from the file's first bytes
 * (`head`, at least the headers) and its size. The table must be the file's last bytes and hold
 * one WIN_CERTIFICATE (what signtool and osslsigncode write).
 */
export function locatePe(head: Uint8Array, fileSize: number): PeLayout {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  const need = (end: number, what: string) => {
    if (end > b.length || end > fileSize) throw new PeTagError('truncated', `the file ends inside its ${what}`);
  };
  need(0x40, 'DOS header');
  if (b.readUInt16LE(0) !== 0x5a4d) throw new PeTagError('not-pe', 'not a Windows program (no MZ header)');
  const pe = b.readUInt32LE(0x3c);
  if (pe < 0x40 || pe > PE_HEAD_BYTES - 24) throw new PeTagError('not-pe', `the PE header offset ${pe} is out of range`);
  need(pe + 24, 'PE header');
  if (b.readUInt32LE(pe) !== 0x00004550) throw new PeTagError('not-pe', 'not a Windows program (no PE signature)');
  const sections = b.readUInt16LE(pe + 6);
  const optSize = b.readUInt16LE(pe + 20);
  const opt = pe + 24;
  need(opt + 2, 'optional header');
  const magic = b.readUInt16LE(opt);
  if (magic !== 0x10b && magic !== 0x20b) throw new PeTagError('not-pe', `unknown optional header magic 0x${magic.toString(16)}`);
  const plus = magic === 0x20b; // PE32+ (64-bit): wider ImageBase and stack/heap sizes
  const countAt = opt + (plus ? 108 : 92);
  const dirs = opt + (plus ? 112 : 96);
  const securityDirOffset = dirs + IMAGE_DIRECTORY_ENTRY_SECURITY * 8;
  if (securityDirOffset + 8 > opt + optSize) throw new PeTagError('not-pe', 'the optional header has no certificate table entry');
  need(securityDirOffset + 8, 'optional header');
  if (b.readUInt32LE(countAt) <= IMAGE_DIRECTORY_ENTRY_SECURITY) throw new PeTagError('unsigned', 'the program has no certificate table entry: it is not signed');
  const sectionTable = opt + optSize;
  need(sectionTable + sections * 40, 'section table');
  let sectionsEnd = sectionTable + sections * 40;
  for (let i = 0; i < sections; i++) {
    const s = sectionTable + i * 40;
    sectionsEnd = Math.max(sectionsEnd, b.readUInt32LE(s + 20) + b.readUInt32LE(s + 16));
  }
  const tableOffset = b.readUInt32LE(securityDirOffset);
  const tableSize = b.readUInt32LE(securityDirOffset + 4);
  if (tableOffset === 0 && tableSize === 0) throw new PeTagError('unsigned', 'the program is not signed (no certificate table)');
  if (tableSize < 8 || tableSize > PE_MAX_CERT_TABLE) throw new PeTagError(tableSize < 8 ? 'bad-certificate-table' : 'too-large', `certificate table of ${tableSize} bytes`);
  if (tableOffset % 8 !== 0 || tableOffset < sectionTable) throw new PeTagError('bad-certificate-table', `certificate table at offset ${tableOffset} is misplaced`);
  if (tableOffset + tableSize !== fileSize) {
    throw new PeTagError(tableOffset + tableSize > fileSize ? 'truncated' : 'bad-certificate-table', `the certificate table (${tableOffset}+${tableSize}) is not the end of the ${fileSize}-byte file`);
  }
  return { checksumOffset: opt + 64, securityDirOffset, tableOffset, tableSize, sectionsEnd: Math.min(sectionsEnd, tableOffset) };
}

/** The path root → SignerInfo inside the table's PKCS#7, and the SignerInfo's elements. */
function signerInfoPath(der: Buffer): { path: Tlv[]; fields: Tlv[] } {
  try {
    const ci = readTlv(der, 0, der.length);
    const [oid, explicit] = ci.tag === 0x30 ? children(der, ci) : [];
    if (!oid || oid.tag !== 0x06 || !der.subarray(oid.body, oid.end).equals(SIGNED_DATA_OID) || explicit?.tag !== 0xa0) throw new DerError('not a PKCS#7 SignedData');
    const sd = children(der, explicit)[0];
    if (sd?.tag !== 0x30) throw new DerError('no SignedData');
    const sdKids = children(der, sd);
    // version, digestAlgorithms, contentInfo, [0] certificates, [1] crls, signerInfos (RFC 2315 §9.1)
    const signerInfos = sdKids.length > 3 ? sdKids[sdKids.length - 1] : undefined;
    if (signerInfos?.tag !== 0x31) throw new DerError('no signerInfos');
    const signers = children(der, signerInfos);
    if (signers.length !== 1 || signers[0]!.tag !== 0x30) throw new DerError(`${signers.length} signers (Authenticode has exactly one)`);
    const si = signers[0]!;
    return { path: [ci, explicit, sd, signerInfos, si], fields: children(der, si) };
  } catch (e) {
    if (e instanceof DerError) throw new PeTagError('bad-certificate-table', `the signature is not a readable PKCS#7 SignedData: ${e.message}`);
    throw e;
  }
}

/** The PKCS#7 bytes of the table's one WIN_CERTIFICATE. */
function winCertificate(table: Buffer): Buffer {
  if (table.length < 8) throw new PeTagError('truncated', 'the certificate table is shorter than its header');
  const length = table.readUInt32LE(0);
  if (length < 8 || length > table.length) throw new PeTagError('bad-certificate-table', `WIN_CERTIFICATE length ${length} does not fit the ${table.length}-byte table`);
  if (align8(length) !== table.length) throw new PeTagError('bad-certificate-table', 'the certificate table holds more than one certificate');
  if (table.readUInt16LE(4) !== WIN_CERT_REVISION_2_0 || table.readUInt16LE(6) !== WIN_CERT_TYPE_PKCS_SIGNED_DATA) throw new PeTagError('bad-certificate-table', 'the certificate is not a PKCS#7 Authenticode signature');
  return table.subarray(8, length);
}

const isOurs = (der: Buffer, attr: Tlv) => {
  const oid = children(der, attr)[0];
  return oid?.tag === 0x06 && der.subarray(oid.body, oid.end).equals(OID_BYTES);
};

export function encodeTagPayload(provision: Uint8Array): Buffer {
  if (provision.length > PE_TAG_MAX_PAYLOAD) throw new PeTagError('too-large', `a provision of ${provision.length} bytes is too large for a tag`);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(provision.length);
  return Buffer.concat([PE_TAG_MAGIC, len, provision]);
}

function decodeTagPayload(tag: Buffer): Buffer {
  if (tag.length < PE_TAG_MAGIC.length + 4 || !tag.subarray(0, PE_TAG_MAGIC.length).equals(PE_TAG_MAGIC)) throw new PeTagError('bad-tag', 'the Herald tag has no magic');
  const len = tag.readUInt32BE(PE_TAG_MAGIC.length);
  if (len > PE_TAG_MAX_PAYLOAD) throw new PeTagError('too-large', `the Herald tag claims ${len} bytes`);
  if (len !== tag.length - PE_TAG_MAGIC.length - 4) throw new PeTagError('bad-tag', 'the Herald tag length does not match its content');
  return tag.subarray(PE_TAG_MAGIC.length + 4);
}

/**
 * A new certificate table: the same signature with `provision` as Herald's unauthenticated
 * attribute (replacing an earlier Herald tag; other attributes such as timestamps stay), the
 * WIN_CERTIFICATE length fixed and padded to 8 bytes.
 */
export function tagCertificateTable(table: Buffer, provision: Uint8Array): Buffer {
  const der = winCertificate(table);
  const { path, fields } = signerInfoPath(der);
  const attr = encodeTlv(0x30, encodeTlv(0x06, OID_BYTES), encodeTlv(0x31, encodeTlv(0x04, encodeTagPayload(provision))));
  // SignerInfo: version, issuerAndSerialNumber, digestAlgorithm, [0] authenticatedAttributes,
  // digestEncryptionAlgorithm, encryptedDigest, [1] unauthenticatedAttributes (RFC 2315 §9.2).
  const digest = fields.findIndex((f) => f.tag === 0x04);
  if (digest < 0) throw new PeTagError('bad-certificate-table', 'the SignerInfo has no encryptedDigest');
  const unauth = fields[digest + 1];
  let out: Buffer;
  try {
    if (unauth?.tag === 0xa1) {
      const kept = children(der, unauth).filter((a) => !isOurs(der, a));
      out = replaceInPath(der, [...path, unauth], encodeTlv(0xa1, ...kept.map((a) => der.subarray(a.start, a.end)), attr));
    } else {
      const si = path[path.length - 1]!;
      const upTo = fields[digest]!.end;
      out = replaceInPath(der, path, encodeTlv(0x30, der.subarray(si.body, upTo), encodeTlv(0xa1, attr), der.subarray(upTo, si.end)));
    }
  } catch (e) {
    if (e instanceof DerError) throw new PeTagError('bad-certificate-table', e.message);
    throw e;
  }
  const total = align8(8 + out.length);
  const head = Buffer.alloc(8);
  head.writeUInt32LE(total, 0); // as signtool and osslsigncode write it: the padded length
  head.writeUInt16LE(WIN_CERT_REVISION_2_0, 4);
  head.writeUInt16LE(WIN_CERT_TYPE_PKCS_SIGNED_DATA, 6);
  return Buffer.concat([head, out, Buffer.alloc(total - 8 - out.length)]);
}

/** The provision.json bytes tagged into a certificate table, or undefined when it carries none. */
export function readCertificateTableTag(table: Buffer): Buffer | undefined {
  const der = winCertificate(table);
  const { fields } = signerInfoPath(der);
  try {
    const unauth = fields.find((f) => f.tag === 0xa1);
    if (!unauth) return undefined;
    const ours = children(der, unauth).find((a) => isOurs(der, a));
    if (!ours) return undefined;
    const set = children(der, ours)[1];
    const value = set?.tag === 0x31 ? children(der, set) : [];
    if (value.length !== 1 || value[0]!.tag !== 0x04) throw new PeTagError('bad-tag', 'the Herald attribute does not hold one OCTET STRING');
    return decodeTagPayload(der.subarray(value[0]!.body, value[0]!.end));
  } catch (e) {
    if (e instanceof DerError) throw new PeTagError('bad-certificate-table', e.message);
    throw e;
  }
}
