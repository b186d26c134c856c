// What a session needs of its connection. TCP (with STARTTLS) is here; XMPP over WebSocket
// (RFC 7395) will be another implementation of the same interface.
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';

export interface Transport {
  readonly remoteAddress: string;
  /** TLS is active on this connection. */
  readonly secure: boolean;
  /** STARTTLS can be offered (a certificate is configured and TLS is not active yet). */
  readonly canStartTls: boolean;
  write(data: string): void;
  /** Upgrades to TLS (RFC 6120 §5.4.3.3); data after this arrives decrypted. */
  startTls(): Promise<void>;
  close(): void;
  onData(cb: (chunk: Buffer) => void): void;
  onClose(cb: () => void): void;
}

export function tcpTransport(socket: Socket, secureContext: SecureContext | undefined, idleMs: number, onIdle: () => void): Transport {
  let current: Socket = socket;
  let secure = false;
  let dataCb: (chunk: Buffer) => void = () => {};
  let closeCb: () => void = () => {};
  let closed = false;
  const attach = (s: Socket) => {
    s.setNoDelay(true); // latency: see notes on Nagle in ../shared/notes/xmpp-peers.md
    s.setTimeout(idleMs, onIdle);
    s.on('data', (c: Buffer) => dataCb(c));
    s.on('error', () => s.destroy());
    s.on('close', () => {
      if (current !== s || closed) return;
      closed = true;
      closeCb();
    });
  };
  attach(socket);
  return {
    remoteAddress: socket.remoteAddress ?? 'unknown',
    get secure() {
      return secure;
    },
    get canStartTls() {
      return !!secureContext && !secure;
    },
    write(data) {
      if (!closed && current.writable) current.write(data);
    },
    startTls() {
      return new Promise((resolve, reject) => {
        const plain = current;
        plain.removeAllListeners('data');
        plain.setTimeout(0);
        const tls = new TLSSocket(plain, { isServer: true, secureContext });
        current = tls;
        attach(tls);
        tls.once('secure', () => {
          secure = true;
          resolve();
        });
        tls.once('error', reject);
      });
    },
    close() {
      if (closed) return;
      current.end();
      setTimeout(() => current.destroy(), 2000).unref();
    },
    onData(cb) {
      dataCb = cb;
    },
    onClose(cb) {
      closeCb = cb;
    },
  };
}
