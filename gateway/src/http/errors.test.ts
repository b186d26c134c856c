// The error handler on a real socket: a bug is logged at error level with its stack and answered
// 500; a request body the client broke off (a bad chunk) is the client's failure — logged at info,
// never as "request failed" — so no client can fill the error log (found by npm run fuzz).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import Koa from 'koa';
import { pino } from 'pino';
import { errorHandler } from './errors.ts';

async function withApp(run: (port: number, lines: Array<{ level: number; msg: string }>, logged: (msg: string) => Promise<void>) => Promise<void>) {
  const lines: Array<{ level: number; msg: string }> = [];
  const waiters: Array<() => void> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as { level: number; msg: string });
      for (const w of waiters.splice(0)) w();
      done();
    },
  });
  const app = new Koa();
  app.silent = true;
  app.use(errorHandler(pino({ level: 'info' }, sink)));
  app.use(async (ctx) => {
    if (ctx.path === '/bug') throw new Error('a bug');
    for await (const chunk of ctx.req) void chunk; // reads the body: a broken chunk throws here
    ctx.body = { ok: true };
  });
  const server = createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const logged = async (msg: string) => {
    const deadline = Date.now() + 10_000;
    while (!lines.some((l) => l.msg === msg)) {
      assert.ok(Date.now() < deadline, `no log line "${msg}"; got ${JSON.stringify(lines)}`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  try {
    await run((server.address() as AddressInfo).port, lines, logged);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

const send = (port: number, raw: string) => {
  const s = connect(port, '127.0.0.1', () => s.end(raw));
  s.on('error', () => {});
  s.resume();
};

test('a bug is logged at error level as "request failed"', () =>
  withApp(async (port, lines, logged) => {
    send(port, 'GET /bug HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await logged('request failed');
    assert.equal(lines.find((l) => l.msg === 'request failed')!.level, 50);
  }));

test('a chunked body the client broke off is logged at info, not as a failure of the gateway', () =>
  withApp(async (port, lines, logged) => {
    send(port, 'POST /x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\nzz\r\n');
    await logged('request broken off by the client');
    assert.deepEqual(
      lines.filter((l) => l.level >= 50),
      [],
    );
  }));
