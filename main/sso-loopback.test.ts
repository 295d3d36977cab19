// The desktop's loopback redirect (RFC 8252 §7.3) without Electron: one request, with our state,
// on 127.0.0.1. The whole desktop flow against a real provider is in server/sessions/sso.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listenForSsoRedirect } from './sso-loopback.js';

test('the loopback listener answers one request with our state and ignores others', async () => {
  const loopback = await listenForSsoRedirect();
  const base = new URL(loopback.redirectUri);
  // Attack: another page on this machine sends the loopback a code of its own (a login CSRF).
  const other = await fetch(`http://127.0.0.1:${base.port}/sso/callback?state=someone-else&code=x`);
  assert.equal(other.status, 400);
  const favicon = await fetch(`http://127.0.0.1:${base.port}/favicon.ico`);
  assert.equal(favicon.status, 404);
  const ours = new URL(loopback.redirectUri);
  ours.searchParams.set('code', 'the-code');
  const res = await fetch(ours);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /close this window/);
  assert.equal(await loopback.code, 'the-code');
});

test('an error from the server ends the wait with its code', async () => {
  const loopback = await listenForSsoRedirect();
  const url = new URL(loopback.redirectUri);
  url.searchParams.set('error', 'sso_user_unknown');
  const res = await fetch(url);
  assert.equal(res.status, 400);
  await assert.rejects(loopback.code, { code: 'sso_user_unknown' });
});
