// ASVS 5.0 7.4.5: an admin signs one user, or everyone in the account but themselves, out
// everywhere. A sensitive change (admin, active session, recent second factor), audited with its
// counts, told at once to every signed-in client, and never reaching into another account.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { openEvents } from '../testing/event-stream.js';
import { accountWithAdmin, addUser, signInOn } from '../testing/rollout-helpers.js';

describe('admins sign users out everywhere', () => {
  let server: TestServer;
  let admin: Awaited<ReturnType<typeof accountWithAdmin>>;
  let other: Awaited<ReturnType<typeof accountWithAdmin>>;
  const slug = 'signout';

  before(async () => {
    server = await startTestServer({ openSignup: true });
    admin = await accountWithAdmin(server, slug);
    other = await accountWithAdmin(server, 'signout-other');
  });
  after(() => server.close());

  /** Live sessions of the account: what a refused call must leave as it was. */
  const liveSessions = async () =>
    (await server.db.selectFrom('sessions').select('id').where('account_id', '=', admin.accountId).where('revoked_at', 'is', null).orderBy('id').execute()).map((r) => r.id);
  const alive = async (token: string) => (await server.call('GET', '/me', { token })).status === 200;
  const audit = async (action: string) =>
    (await server.call('GET', `/account/audit-events?action=${action}`, { token: admin.token })).body.events as any[];

  test('ASVS 7.4.5: a user signed out by an admin is signed out on every device at once, and only that user', async () => {
    // Attack: a stolen session (a cookie lifted from a shared desk, a laptop left signed in) keeps
    // working until it expires, because nobody but its owner can end it.
    const kim = await addUser(server, admin.token, slug, 'Kim');
    const lee = await addUser(server, admin.token, slug, 'Lee');
    const desk = await signInOn(server, slug, kim.email);
    const laptop = await signInOn(server, slug, kim.email);
    const bystander = await signInOn(server, slug, lee.email);
    const stream = openEvents(server.base, laptop.token);
    await stream.ready;

    const res = await server.call('DELETE', `/account/users/${kim.id}/sessions`, { token: admin.token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { revokedSessions: 2 });
    const told = await stream.next('session.revoked', 2000);
    assert.equal(told.data.reason, 'signed_out_by_admin');
    stream.close();
    for (const token of [desk.token, laptop.token]) {
      const refused = await server.call('GET', '/me', { token });
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error.reason, 'signed_out_by_admin');
    }
    assert.ok(await alive(bystander.token), 'another user keeps their session');
    assert.ok(await alive(admin.token), 'the admin keeps theirs');
    const entry = (await audit('user.signed_out_everywhere'))[0];
    assert.equal(entry.actor.id, admin.adminId);
    assert.equal(entry.subject.id, kim.id);
    assert.deepEqual(entry.details, { revokedSessions: 2 });
    // Again: nothing left to end, still a clear answer.
    assert.deepEqual((await server.call('DELETE', `/account/users/${kim.id}/sessions`, { token: admin.token })).body, { revokedSessions: 0 });
  });

  test('ASVS 7.4.5: everyone but the admin is signed out everywhere at once; the admin keeps every session of theirs', async () => {
    // Attack: an account-wide compromise (a leaked password list, a phished team) where ending
    // each user's sessions one by one leaves the thieves signed in meanwhile.
    const max = await addUser(server, admin.token, slug, 'Max');
    const ola = await addUser(server, admin.token, slug, 'Ola', 'admin');
    const maxSession = await signInOn(server, slug, max.email);
    const olaSession = await signInOn(server, slug, ola.email);
    const streams = [openEvents(server.base, maxSession.token), openEvents(server.base, olaSession.token)];
    await Promise.all(streams.map((s) => s.ready));
    await signInOn(server, slug, admin.email, admin.deviceToken);
    const live = await server.db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', admin.accountId)
      .where('user_id', '!=', admin.adminId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', Date.now())
      .executeTakeFirstOrThrow();
    const otherAccountUser = await addUser(server, other.token, 'signout-other', 'Zed');
    const elsewhere = await signInOn(server, 'signout-other', otherAccountUser.email);

    const res = await server.call('DELETE', '/account/sessions', { token: admin.token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.revokedSessions, Number(live.n));
    assert.ok(res.body.revokedSessions >= 2 && res.body.signedOutUsers >= 2, JSON.stringify(res.body));
    for (const s of streams) {
      assert.equal((await s.next('session.revoked', 2000)).data.reason, 'signed_out_by_admin');
      s.close();
    }
    assert.equal(await alive(maxSession.token), false);
    assert.equal(await alive(olaSession.token), false, 'another admin too');
    assert.ok(await alive(admin.token), 'the admin’s own session');
    const mine = await server.db.selectFrom('sessions').select(['id', 'revoked_at']).where('user_id', '=', admin.adminId).where('expires_at', '>', Date.now()).execute();
    assert.ok(mine.length >= 2 && mine.every((m) => m.revoked_at === null), 'and every other session of the admin’s (one mid-sign-in on another device)');
    assert.ok(await alive(elsewhere.token), 'another account is untouched');
    assert.ok(await alive(other.token));
    const entry = (await audit('users.signed_out_everywhere'))[0];
    assert.equal(entry.actor.id, admin.adminId);
    assert.deepEqual(entry.details, { signedOutUsers: res.body.signedOutUsers, revokedSessions: res.body.revokedSessions });
  });

  test('nothing crosses accounts: another account’s user is not found and keeps their sessions', async () => {
    // Attack: an admin of one account guesses or learns a user id of another account and signs them out.
    const victim = await addUser(server, other.token, 'signout-other', 'Yan');
    const s = await signInOn(server, 'signout-other', victim.email);
    const res = await server.call('DELETE', `/account/users/${victim.id}/sessions`, { token: admin.token });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'not_found');
    assert.ok(await alive(s.token));
    const unknown = await server.call('DELETE', '/account/users/nobody-here/sessions', { token: admin.token });
    assert.equal(unknown.status, 404);
    const bad = await server.call('DELETE', `/account/users/${'x'.repeat(65)}/sessions`, { token: admin.token });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_request');
  });

  test('both are sensitive: an agent is refused, and an admin whose second factor is 11 minutes old is asked to confirm; nothing changes', async () => {
    // Attack: a stale admin session (a console left open, a stolen cookie) signs the real admins
    // and agents out to keep them from noticing or reacting.
    const ann = await addUser(server, admin.token, slug, 'Ann');
    const annSession = await signInOn(server, slug, ann.email);
    for (const path of [`/account/users/${admin.adminId}/sessions`, '/account/sessions']) {
      const before = await liveSessions();
      const res = await server.call('DELETE', path, { token: annSession.token });
      assert.equal(res.status, 403, path);
      assert.equal(res.body.error.code, 'forbidden');
      assert.deepEqual(await liveSessions(), before);
    }
    await server.db.updateTable('sessions').set({ second_factor_at: Date.now() - 11 * 60_000 }).where('user_id', '=', admin.adminId).where('revoked_at', 'is', null).execute();
    for (const path of [`/account/users/${ann.id}/sessions`, '/account/sessions']) {
      const before = await liveSessions();
      const res = await server.call('DELETE', path, { token: admin.token });
      assert.equal(res.status, 403, path);
      assert.equal(res.body.error.code, 'reauthentication_required');
      assert.deepEqual(await liveSessions(), before);
    }
    assert.ok(await alive(annSession.token), 'nothing was ended');
    await server.db.updateTable('sessions').set({ second_factor_at: Date.now() }).where('user_id', '=', admin.adminId).where('revoked_at', 'is', null).execute();
  });
});
