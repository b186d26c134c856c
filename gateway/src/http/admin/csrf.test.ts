import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csrfProblem, type CsrfInput } from './csrf.ts';

const ok: CsrfInput = { method: 'POST', ownOrigin: 'https://gw.example:3000', origin: 'https://gw.example:3000', secFetchSite: 'same-origin', token: 'abc', expected: 'abc' };

test('a same-origin POST with the session token passes', () => {
  assert.equal(csrfProblem(ok), undefined);
  assert.equal(csrfProblem({ ...ok, origin: undefined, secFetchSite: undefined }), undefined); // a non-browser client with the token
});

test('reads pass without a token', () => {
  assert.equal(csrfProblem({ ...ok, method: 'GET', token: undefined, origin: 'https://evil.example', secFetchSite: 'cross-site' }), undefined);
});

test('a missing or wrong token is refused', () => {
  assert.match(csrfProblem({ ...ok, token: undefined })!, /missing/);
  assert.match(csrfProblem({ ...ok, token: 'abd' })!, /wrong/);
  assert.match(csrfProblem({ ...ok, token: 'abcd' })!, /wrong/);
});

test('another origin is refused even with the right token', () => {
  assert.match(csrfProblem({ ...ok, origin: 'https://evil.example' })!, /another origin/);
  assert.match(csrfProblem({ ...ok, origin: 'http://gw.example:3000' })!, /another origin/);
  assert.match(csrfProblem({ ...ok, secFetchSite: 'cross-site' })!, /cross-site/);
  assert.match(csrfProblem({ ...ok, secFetchSite: 'same-site' })!, /cross-site/);
});
