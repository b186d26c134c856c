// HTTP/1.1 by hand over a TCP socket: fetch() cannot send what a hostile client sends (a
// Content-Length that lies, duplicate or oversized headers, bytes that are not a method).
import net from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One request on its own connection (send `Connection: close`: the answer ends at the close);
 * undefined when the server closed it without an answer. A request whose body is shorter than it
 * says is ended by the client after `endAfterMs` (Node's server then drops it unanswered: a client
 * that half-closes has aborted its request, unless the answer came first).
 */
export function rawRequest(port: number, request: Buffer, o: { ms?: number; endAfterMs?: number } = {}): Promise<RawAnswer | undefined | 'timeout'> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('timeout');
    }, o.ms ?? 5000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseAnswer(Buffer.concat(chunks)));
    });
    socket.on('connect', () => {
      socket.write(request);
      if (o.endAfterMs !== undefined) setTimeout(() => socket.end(), o.endAfterMs).unref();
    });
  });
}

function parseAnswer(raw: Buffer): RawAnswer | undefined {
  const text = raw.toString('latin1');
  // Skip interim answers (100 Continue) to the final one.
  let at = 0;
  for (;;) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end === -1) return undefined;
    const [statusLine, ...lines] = text.slice(at, end).split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]);
    if (!status) return undefined;
    if (status >= 100 && status < 200 && status !== 101) {
      at = end + 4;
      continue;
    }
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const i = l.indexOf(':');
      if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    let body = raw.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
    return { status, headers, body: body.toString('utf8') };
  }
}

function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  while (i < b.length) {
    const nl = b.indexOf('\r\n', i);
    if (nl === -1) break;
    const n = parseInt(b.subarray(i, nl).toString('latin1'), 16);
    if (!n) break;
    out.push(b.subarray(nl + 2, nl + 2 + n));
    i = nl + 2 + n + 2;
  }
  return Buffer.concat(out);
}

/** An error answer the API promises: `{error:{code,message}}` with both strings. */
export function isApiError(a: RawAnswer): boolean {
  try {
    const j = JSON.parse(a.body) as { error?: { code?: unknown; message?: unknown } };
    return typeof j.error?.code === 'string' && typeof j.error.message === 'string';
  } catch {
    return false;
  }
}
