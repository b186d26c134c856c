// The XMPP server's certificate: the configured PEM files, or a self-signed one made once in
// <data>/tls/ with the openssl command-line tool (clients must be told to accept it; a real
// deployment configures xmpp.tlsCert/xmpp.tlsKey, e.g. from Let's Encrypt).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Logger } from '../config/logger.ts';

export function loadTlsContext(o: { cert?: string | undefined; key?: string | undefined; dataDir: string; domains: string[]; log: Logger }): SecureContext {
  let certFile = o.cert;
  let keyFile = o.key;
  if (!certFile || !keyFile) {
    const dir = path.join(o.dataDir, 'tls');
    certFile = path.join(dir, 'xmpp-selfsigned.crt');
    keyFile = path.join(dir, 'xmpp-selfsigned.key');
    if (!existsSync(certFile) || !existsSync(keyFile)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const names = [...new Set([...o.domains, 'localhost'])];
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '825',
        '-keyout', keyFile, '-out', certFile, '-subj', `/CN=${names[0]}`,
        '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
      ], { stdio: 'ignore' });
      o.log.warn({ certFile, names }, 'XMPP: made a self-signed TLS certificate; set xmpp.tlsCert and xmpp.tlsKey for a real one');
    }
  }
  return createSecureContext({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2' });
}
