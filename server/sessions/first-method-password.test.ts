// A first method needs the password entered in the last 10 minutes (PRODUCT.md; OWASP ASVS 5.0
// 7.5.1): sessions carry password_at, set at the password sign-in and by POST
// /sessions/current/password, kept when passing the second factor rotates the token.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, createUser, enrolTotp, PASSWORD, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { totpCode } from '../testing/totp-reference.js';
import { hashToken } from '../crypto/tokens.js';

describe('a first method needs a recent password', () => {
  let server: TestServer;
  let adminToken: string;
  const slug = 'reentry';

  before(async () => {
    server = await startTestServer();
    await createAccount(server, slug);
    adminToken = (await signIn(server, slug, `admin@${slug}.test`)).token;
  });
  after(async () => {
    await server.close();
  });

  async function sessionRow(token: string) {
    return server.db.selectFrom('sessions').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirstOrThrow();
  }

  /** The session as if signed in with the password `minutes` ago (and used since). */
  async function age(token: string, minutes: number) {
    const at = Date.now() - minutes * 60_000;
    await server.db.updateTable('sessions').set({ created_at: at, password_at: at }).where('token_hash', '=', hashToken(token)).execute();
  }

  test('a password-only session older than 10 minutes cannot start a first method until the password is entered again', async () => {
    // ASVS 7.5.1: re-authentication before the MFA configuration changes. Attack: a stolen, hour-old
    // cookie of a user without a method enrols the thief's authenticator app (then the thief holds both factors).
    const u = await createUser(server, adminToken, slug, 'Ines');
    const stolen = (await signIn(server, slug, u.email)).token;
    await age(stolen, 60);
    const methodsBefore = await server.db.selectFrom('methods').select('id').where('user_id', '=', u.id).execute();

    const app = await server.call('POST', '/me/methods/totp', { token: stolen, body: {} });
    assert.equal(app.status, 403, JSON.stringify(app.body));
    assert.equal(app.body.error.code, 'reauthentication_required');
    assert.equal(app.body.error.reason, 'password');
    const key = await server.call('POST', '/me/methods/security-keys/options', { token: stolen, body: {} });
    assert.equal(key.status, 403);
    assert.equal(key.body.error.reason, 'password');
    assert.deepEqual(await server.db.selectFrom('methods').select('id').where('user_id', '=', u.id).execute(), methodsBefore, 'nothing was added');

    // 9 minutes is recent enough; the password sign-in itself counts.
    const fresh = (await signIn(server, slug, u.email)).token;
    await age(fresh, 9);
    assert.equal((await server.call('POST', '/me/methods/security-keys/options', { token: fresh, body: {} })).status, 200);

    // A wrong password does not count (and is throttled with the password change's limit).
    const wrong = await server.call('POST', '/sessions/current/password', { token: stolen, body: { password: 'not the password at all' } });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error.code, 'current_password_incorrect');
    assert.equal((await server.call('POST', '/me/methods/totp', { token: stolen, body: {} })).status, 403);

    // The owner, entering the password again, may go on; the re-entry is audited.
    const again = await server.call('POST', '/sessions/current/password', { token: stolen, body: { password: PASSWORD } });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    // ASVS 7.2.4: re-authentication answers a new token; the one it came with ends.
    assert.equal((await server.call('GET', '/me', { token: stolen })).status, 401);
    const owner = again.body.token as string;
    const start = await server.call('POST', '/me/methods/totp', { token: owner, body: {} });
    assert.equal(start.status, 201, JSON.stringify(start.body));
    const audit = await server.db.selectFrom('audit_events').select(['action', 'actor_id']).where('action', '=', 'session.password_confirmed').execute();
    assert.deepEqual(audit.map((a) => a.actor_id), [u.id]);

    // Passing the second factor rotates the token; the time the password was entered goes with it.
    const passwordAt = (await sessionRow(owner)).password_at;
    const confirm = await server.call('POST', `/me/methods/totp/${start.body.id}/confirm`, { token: owner, body: { code: totpCode(start.body.secret) } });
    assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
    const rotated = await sessionRow(confirm.body.token);
    assert.equal(Number(rotated.password_at), Number(passwordAt));
    assert.notEqual(rotated.token_hash, hashToken(owner));
  });

  test('a user with a method confirms with a recent second factor, not with the password', async () => {
    // ASVS 7.5.1: a second method needs a recent second factor instead, and the password re-entry is refused to a user with a method.
    const u = await createUser(server, adminToken, slug, 'Jory');
    const first = (await signIn(server, slug, u.email)).token;
    const enrolled = await enrolTotp(server, first);
    const reentry = await server.call('POST', '/sessions/current/password', { token: enrolled.token, body: { password: PASSWORD } });
    assert.equal(reentry.status, 400);
    assert.equal(reentry.body.error.code, 'invalid_request');
    // Their second factor 11 minutes old: a second method needs it again (the password would not do).
    await server.db.updateTable('sessions').set({ second_factor_at: Date.now() - 11 * 60_000 }).where('token_hash', '=', hashToken(enrolled.token)).execute();
    const second = await server.call('POST', '/me/methods/totp', { token: enrolled.token, body: {} });
    assert.equal(second.status, 403);
    assert.equal(second.body.error.code, 'reauthentication_required');
    assert.equal(second.body.error.reason, undefined);
  });
});
