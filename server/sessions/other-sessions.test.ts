// ASVS 5.0 7.4.3: after a factor changes (a method removed or added, new recovery codes, the
// password), the user is offered to end their other sessions: the answer says how many are live,
// and DELETE /me/sessions ends them at once. A password change ends them by itself (and says none
// are left).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { openEvents } from '../testing/event-stream.js';
import { accountWithAdmin, addTotp, addUser, passTotp, signInOn } from '../testing/rollout-helpers.js';

describe('ending the other sessions after a method or the password changes', () => {
  let server: TestServer;
  let admin: Awaited<ReturnType<typeof accountWithAdmin>>;
  const slug = 'others';

  before(async () => {
    server = await startTestServer({ openSignup: true });
    admin = await accountWithAdmin(server, slug);
  });
  after(() => server.close());

  test('ASVS 7.4.3: removing a method answers how many other sessions are live, and they can be ended at once', async () => {
    // Attack: a user removes the authenticator app of a stolen phone, but the thief's session on
    // that phone stays signed in, unnoticed, because nothing tells the user it is still there.
    const u = await addUser(server, admin.token, slug, 'Pia');
    const desk = await signInOn(server, slug, u.email);
    const first = await addTotp(server, desk.token);
    const second = await addTotp(server, first.token);
    const deskToken = second.token;
    const phone = await signInOn(server, slug, u.email);
    const phoneToken = await passTotp(server, phone.token, first.secret);
    const stream = openEvents(server.base, phoneToken);
    await stream.ready;

    const removed = await server.call('DELETE', `/me/methods/${second.methodId}`, { token: deskToken });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.deepEqual(removed.body, { otherSessions: 1 });
    assert.equal((await server.call('GET', '/me', { token: phoneToken })).status, 200, 'offered, not forced');

    const ended = await server.call('DELETE', '/me/sessions', { token: deskToken });
    assert.deepEqual(ended.body, { revokedSessions: 1 });
    assert.equal((await stream.next('session.revoked', 2000)).data.reason, 'signed_out_elsewhere');
    stream.close();
    assert.equal((await server.call('GET', '/me', { token: phoneToken })).status, 401);

    const again = await server.call('DELETE', `/me/methods/${first.methodId}`, { token: deskToken });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.deepEqual(again.body, { otherSessions: 0 });
  });

  test('ASVS 7.4.3: adding a method or regenerating recovery codes answers how many other sessions are live too', async () => {
    // Attack: a thief signed in with the app they enrolled keeps that session after the owner
    // adds a new method or new recovery codes to take the account back, unless the owner is told.
    const { totpCode } = await import('../testing/totp-reference.js');
    const u = await addUser(server, admin.token, slug, 'Sol');
    const desk = await signInOn(server, slug, u.email);
    const first = await addTotp(server, desk.token);
    const phone = await signInOn(server, slug, u.email);
    await passTotp(server, phone.token, first.secret);

    const start = await server.call('POST', '/me/methods/totp', { token: first.token, body: { name: 'Spare' } });
    assert.equal(start.status, 201, JSON.stringify(start.body));
    const confirmed = await server.call('POST', `/me/methods/totp/${start.body.id}/confirm`, { token: first.token, body: { code: totpCode(start.body.secret) } });
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    assert.equal(confirmed.body.otherSessions, 1);
    const token = (confirmed.body.token as string | undefined) ?? first.token;
    const codes = await server.call('POST', '/me/recovery-codes', { token, body: {} });
    assert.equal(codes.status, 200, JSON.stringify(codes.body));
    assert.equal(codes.body.recoveryCodes.length, 10);
    assert.equal(codes.body.otherSessions, 1);
  });

  test('ASVS 7.4.3: changing the password ends every other session at once, and the answer says none are left', async () => {
    // Attack: a thief who knew the old password keeps the session they opened with it after the
    // owner changes the password.
    const u = await addUser(server, admin.token, slug, 'Rui');
    const desk = await signInOn(server, slug, u.email);
    const thief = await signInOn(server, slug, u.email);
    const stream = openEvents(server.base, thief.token);
    await stream.ready;
    const res = await server.call('PUT', '/me/password', { token: desk.token, body: { currentPassword: 'correct horse battery staple', newPassword: 'Velvet-Orchard-Quartz-1987' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { revokedSessions: 1, otherSessions: 0 });
    assert.equal((await stream.next('session.revoked', 2000)).data.reason, 'password_changed');
    stream.close();
    assert.equal((await server.call('GET', '/me', { token: thief.token })).status, 401);
    assert.equal((await server.call('GET', '/me', { token: desk.token })).status, 200);
  });
});
