// The gateway's TLS certificate, shared by the HTTP port (https, wss) and XMPP (STARTTLS,
// direct TLS): the configured PEM files, or a self-signed one made once in <data>/tls/ with the
// openssl command-line tool (clients must be told to accept it; a real deployment configures
// http.tlsCert/http.tlsKey and xmpp.tlsCert/xmpp.tlsKey, e.g. from Let's Encrypt).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Logger } from './logger.ts';

export interface Certificate {
  /** The PEM files it was read from. */
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
  /** True for the one made in <data>/tls/. */
  selfSigned: boolean;
  context: SecureContext;
}

/** The self-signed certificate's files (their names predate the HTTP side using them too). */
export function selfSignedFiles(dataDir: string): { certFile: string; keyFile: string } {
  const dir = path.join(dataDir, 'tls');
  return { certFile: path.join(dir, 'xmpp-selfsigned.crt'), keyFile: path.join(dir, 'xmpp-selfsigned.key') };
}

export function loadCertificate(o: { cert?: string | undefined; key?: string | undefined; dataDir: string; domains: string[]; log: Logger }): Certificate {
  let certFile = o.cert;
  let keyFile = o.key;
  let selfSigned = false;
  if (!certFile || !keyFile) {
    ({ certFile, keyFile } = selfSignedFiles(o.dataDir));
    selfSigned = true;
    if (!existsSync(certFile) || !existsSync(keyFile)) {
      mkdirSync(path.dirname(certFile), { recursive: true, mode: 0o700 });
      const names = [...new Set([...o.domains, 'localhost'])];
      // The loopback addresses too: local tools may use https://127.0.0.1:<port> with this certificate pinned.
      const san = [...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1', 'IP:::1'].join(',');
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '825',
        '-keyout', keyFile, '-out', certFile, '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${san}`,
      ], { stdio: 'ignore' });
      // The key is a secret whatever the umask was when openssl wrote it.
      chmodSync(keyFile, 0o600);
      chmodSync(certFile, 0o600);
      o.log.warn({ certFile, names }, 'made a self-signed TLS certificate for HTTPS and XMPP; set http.tlsCert/http.tlsKey and xmpp.tlsCert/xmpp.tlsKey for a real one');
    }
  }
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(certFile);
    key = readFileSync(keyFile);
  } catch (e) {
    throw new Error(`cannot read the TLS certificate: ${(e as Error).message}`);
  }
  return { certFile, keyFile, cert, key, selfSigned, context: createSecureContext({ cert, key, minVersion: 'TLSv1.2' }) };
}
