import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANSWER_FALSE, ANSWER_TRUE, createFrameDecoder, encodeRequest, parseRequest } from './extauth-framing.ts';

test('frames are found however the pipe cuts the stream: byte by byte, several in one chunk, a zero-length one', () => {
  const stream = Buffer.concat([encodeRequest('isuser:alice:example.com'), encodeRequest(''), encodeRequest('auth:bob:example.com:pw')]);
  const whole = createFrameDecoder().push(stream).map((f) => f.toString());
  assert.deepEqual(whole, ['isuser:alice:example.com', '', 'auth:bob:example.com:pw']);
  const decoder = createFrameDecoder();
  const bytewise: string[] = [];
  for (const b of stream) bytewise.push(...decoder.push(Buffer.from([b])).map((f) => f.toString()));
  assert.deepEqual(bytewise, whole);
  assert.equal(decoder.pending, 0);
});

test('a frame cut short by the end of input stays pending (no answer for half a request)', () => {
  const decoder = createFrameDecoder();
  const frame = encodeRequest('auth:alice:example.com:secret');
  assert.deepEqual(decoder.push(frame.subarray(0, 1)), []);
  assert.deepEqual(decoder.push(frame.subarray(1, 10)), []);
  assert.equal(decoder.pending, 10);
});

test('the longest frame the 2-byte length allows is read; a longer one cannot be encoded', () => {
  const body = Buffer.alloc(0xffff, 'a');
  assert.equal(createFrameDecoder().push(encodeRequest(body))[0]!.length, 0xffff);
  assert.throws(() => encodeRequest(Buffer.alloc(0x10000)), RangeError);
});

test('answers are 2-byte length 2, then 0x0001 or 0x0000', () => {
  assert.deepEqual([...ANSWER_TRUE], [0, 2, 0, 1]);
  assert.deepEqual([...ANSWER_FALSE], [0, 2, 0, 0]);
});

test('requests: the password is everything after the third colon, colons included', () => {
  assert.deepEqual(parseRequest(Buffer.from('auth:alice:example.com:a:b::c')), { op: 'auth', user: 'alice', server: 'example.com', password: 'a:b::c' });
  assert.deepEqual(parseRequest(Buffer.from('auth:alice:example.com:')), { op: 'auth', user: 'alice', server: 'example.com', password: '' });
  assert.deepEqual(parseRequest(Buffer.from('isuser:alice:example.com')), { op: 'isuser', user: 'alice', server: 'example.com' });
  assert.deepEqual(parseRequest(Buffer.from('removeuser:alice:example.com')), { op: 'removeuser', user: 'alice', server: 'example.com' });
  assert.deepEqual(parseRequest(Buffer.from('setpass:alice:example.com:new:pw')), { op: 'setpass', user: 'alice', server: 'example.com', password: 'new:pw' });
  assert.deepEqual(parseRequest(Buffer.from('tryregister:x:example.com:p')).op, 'tryregister');
  assert.deepEqual(parseRequest(Buffer.from('removeuser3:x:example.com:p')).op, 'removeuser3');
  assert.deepEqual(parseRequest(Buffer.from('auth:ålice:exämple.com:pässword')), { op: 'auth', user: 'ålice', server: 'exämple.com', password: 'pässword' });
});

test('bad requests are unreadable, and the reason never repeats the frame (it may hold a password)', () => {
  const bad: [string | Buffer, RegExp][] = [
    ['', /unknown operation/],
    ['auth', /needs User:Server:Password/],
    ['auth:alice:example.com', /needs User:Server:Password/],
    ['auth:alice', /needs User:Server:Password/],
    ['isuser:alice', /needs User:Server/],
    ['isuser:alice:example.com:extra', /needs User:Server/],
    ['isuser', /needs User:Server/],
    ['AUTH:alice:example.com:pw', /unknown operation/],
    ['login:alice:example.com:hunter2hunter2', /unknown operation/],
    [Buffer.from([0x61, 0x75, 0x74, 0x68, 0x3a, 0xff, 0xfe, 0x3a, 0x78]), /not UTF-8/],
  ];
  for (const [frame, why] of bad) {
    const r = parseRequest(Buffer.isBuffer(frame) ? frame : Buffer.from(frame));
    assert.equal(r.op, undefined, `${String(frame)} must be unreadable`);
    assert.match((r as { why: string }).why, why, String(frame));
    assert.doesNotMatch((r as { why: string }).why, /hunter2|pw$/);
  }
});
