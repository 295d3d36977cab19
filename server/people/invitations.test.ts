// Invitations and mail (PRODUCT.md "People (admins)"): an admin adds a user by name, email and
// role; the user gets a one-time link (emailed through a real SMTP server here, or handed to the
// admin without mail) and chooses their own password. Nobody else ever knows it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, enrolTotp, inviteUser, linkToken, PASSWORD, signIn, startTestServer, tableCounts, type TestServer } from '../testing/harness.js';
import { linkIn, startSmtpInbox, type SmtpInbox } from '../testing/smtp-inbox.js';

describe('invitations without mail: the admin hands the link over', () => {
  let server: TestServer;
  let adminToken: string;
  const slug = 'inv';

  before(async () => {
    server = await startTestServer({ openSignup: true });
    const acc = await createAccount(server, slug);
    const first = await signIn(server, slug, acc.user.email);
    adminToken = (await enrolTotp(server, first.token)).token ?? first.token;
  });
  after(() => server.close());

  test('inviting creates an invited user with no usable password and a 7-day link; accepting activates them', async () => {
    const res = await server.call('POST', '/account/users', { token: adminToken, body: { name: 'Ina', email: 'Ina@Inv.test', role: 'agent' } });
    assert.equal(res.status, 201);
    assert.equal(res.body.user.status, 'invited');
    assert.equal(res.body.user.email, 'ina@inv.test');
    assert.equal(res.body.invitation.emailed, false);
    assert.match(res.body.invitation.link, /^http:\/\/localhost:\d+\/#\/invitation\?token=[A-Za-z0-9_-]{43}$/);
    const days = (Date.parse(res.body.invitation.expiresAt) - Date.now()) / 86_400_000;
    assert.ok(days > 6.99 && days <= 7, `expires in ${days} days`);
    // The token is stored only as a hash.
    const token = linkToken(res.body.invitation.link);
    const rows = await server.db.selectFrom('user_links').selectAll().where('user_id', '=', res.body.user.id).execute();
    assert.equal(rows.length, 1);
    assert.notEqual(rows[0]!.token_hash, token);
    assert.ok(!JSON.stringify(rows).includes(token));

    // Before accepting, no password signs the invited user in: the same answer as a wrong one.
    const early = await server.call('POST', '/sessions', { body: { account: slug, email: 'ina@inv.test', password: PASSWORD } });
    assert.equal(early.status, 401);
    assert.equal(early.body.error.code, 'invalid_credentials');

    const preview = await server.call('POST', '/invitations/preview', { body: { token } });
    assert.equal(preview.status, 200);
    assert.deepEqual(preview.body.user, { name: 'Ina', email: 'ina@inv.test' });
    assert.equal(preview.body.account.slug, slug);

    const accepted = await server.call('POST', '/invitations/accept', { body: { token, password: PASSWORD } });
    assert.equal(accepted.status, 200);
    assert.equal(accepted.body.account.slug, slug);
    const session = await signIn(server, slug, 'ina@inv.test');
    assert.equal(session.session.state, 'active');

    // One time only.
    const again = await server.call('POST', '/invitations/accept', { body: { token, password: 'another good password' } });
    assert.equal(again.status, 400);
    assert.equal(again.body.error.code, 'invalid_link');
    await signIn(server, slug, 'ina@inv.test');
  });

  test('a common or breached password is refused and the invitation stays usable', async () => {
    const { token } = await inviteUser(server, adminToken, { name: 'Cal', email: 'cal@inv.test' });
    for (const password of ['password123', 'qwertyuiop', 'Password1234!', 'cal@inv.test']) {
      const before = await tableCounts(server);
      const res = await server.call('POST', '/invitations/accept', { body: { token, password } });
      assert.equal(res.status, 400, password);
      assert.equal(res.body.error.code, 'password_too_common', password);
      assert.deepEqual(await tableCounts(server), before);
    }
    const short = await server.call('POST', '/invitations/accept', { body: { token, password: 'short' } });
    assert.equal(short.body.error.code, 'invalid_request');
    assert.equal((await server.call('POST', '/invitations/accept', { body: { token, password: PASSWORD } })).status, 200);
  });

  test('an expired invitation is refused', async () => {
    const { token, user } = await inviteUser(server, adminToken, { name: 'Exp', email: 'exp@inv.test' });
    await server.db.updateTable('user_links').set({ expires_at: Date.now() - 1 }).where('user_id', '=', user.id).execute();
    const res = await server.call('POST', '/invitations/accept', { body: { token, password: PASSWORD } });
    assert.equal(res.body.error.code, 'invalid_link');
    const row = await server.db.selectFrom('users').select('status').where('id', '=', user.id).executeTakeFirstOrThrow();
    assert.equal(row.status, 'invited');
  });

  test('resending replaces the link (the old one stops working); revoking removes it', async () => {
    const first = await inviteUser(server, adminToken, { name: 'Res', email: 'res@inv.test' });
    const resent = await server.call('POST', `/account/users/${first.user.id}/invitation`, { token: adminToken });
    assert.equal(resent.status, 200);
    const second = linkToken(resent.body.invitation.link);
    assert.notEqual(second, first.token);
    assert.equal((await server.call('POST', '/invitations/accept', { body: { token: first.token, password: PASSWORD } })).body.error.code, 'invalid_link');
    const revoked = await server.call('DELETE', `/account/users/${first.user.id}/invitation`, { token: adminToken });
    assert.equal(revoked.status, 204);
    assert.equal((await server.call('POST', '/invitations/accept', { body: { token: second, password: PASSWORD } })).body.error.code, 'invalid_link');
    // An active user has no invitation to resend.
    const third = await server.call('POST', `/account/users/${first.user.id}/invitation`, { token: adminToken });
    const accepted = await server.call('POST', '/invitations/accept', { body: { token: linkToken(third.body.invitation.link), password: PASSWORD } });
    assert.equal(accepted.status, 200);
    const notInvited = await server.call('POST', `/account/users/${first.user.id}/invitation`, { token: adminToken });
    assert.equal(notInvited.status, 409);
    assert.equal(notInvited.body.error.code, 'not_invited');
  });

  test('a duplicate email is refused and changes nothing', async () => {
    const before = await tableCounts(server);
    const res = await server.call('POST', '/account/users', { token: adminToken, body: { name: 'Dup', email: `admin@${slug}.test`, role: 'agent' } });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'email_taken');
    assert.deepEqual(await tableCounts(server), before);
  });

  test('no admin ever sets a password: a password in the invitation is refused', async () => {
    const res = await server.call('POST', '/account/users', { token: adminToken, body: { name: 'Pw', email: 'pw@inv.test', role: 'agent', password: PASSWORD } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'invalid_request');
  });

  test('inviting is a sensitive change: an admin or an agent, it needs the admin\'s recent second factor', async () => {
    // Attack (issue 18): a stale admin session invited new agents; only admin invitations were checked.
    const stale = Date.now() - 11 * 60_000;
    await server.db.updateTable('sessions').set({ second_factor_at: stale }).where('account_id', '=', (await server.db.selectFrom('accounts').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id).execute();
    const before = await tableCounts(server);
    const res = await server.call('POST', '/account/users', { token: adminToken, body: { name: 'Adm', email: 'adm@inv.test', role: 'admin' } });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'reauthentication_required');
    assert.deepEqual(await tableCounts(server), before);
    // An agent too: inviting gives access.
    const agent = await server.call('POST', '/account/users', { token: adminToken, body: { name: 'Agt', email: 'agt@inv.test', role: 'agent' } });
    assert.equal(agent.status, 403);
    assert.equal(agent.body.error.code, 'reauthentication_required');
    assert.deepEqual(await tableCounts(server), before);
    await server.db.updateTable('sessions').set({ second_factor_at: Date.now() }).where('second_factor_at', '=', stale).execute();
  });

  test('guessing invitation tokens from one address is throttled', async () => {
    // Attack: brute-forcing invitation links to take over an invited account.
    const fresh = await startTestServer({ openSignup: true });
    try {
      let last = 0;
      for (let i = 0; i < 25; i++) {
        const res = await fresh.call('POST', '/invitations/accept', { body: { token: 'A'.repeat(42) + String.fromCharCode(65 + i), password: PASSWORD } });
        last = res.status;
        if (res.status === 429) break;
        assert.equal(res.body.error.code, 'invalid_link');
      }
      assert.equal(last, 429);
    } finally {
      await fresh.close();
    }
  });
});

describe('invitations by mail through a real SMTP server', () => {
  let server: TestServer;
  let inbox: SmtpInbox;
  let adminToken: string;
  const slug = 'mailinv';

  before(async () => {
    inbox = await startSmtpInbox();
    server = await startTestServer({ openSignup: true, smtpUrl: inbox.url, mailFrom: 'AgentDesk <desk@mailinv.test>' });
    const acc = await createAccount(server, slug);
    const first = await signIn(server, slug, acc.user.email);
    adminToken = (await enrolTotp(server, first.token)).token ?? first.token;
  });
  after(async () => {
    await server.close();
    await inbox.close();
  });

  test('the invitation is emailed (text and HTML), and the admin is not shown the link', async () => {
    const res = await server.call('POST', '/account/users', { token: adminToken, body: { name: 'Mia <b>', email: 'mia@mailinv.test', role: 'agent' } });
    assert.equal(res.status, 201);
    assert.equal(res.body.invitation.emailed, true);
    assert.equal(res.body.invitation.link, undefined);
    const mail = await inbox.waitFor('mia@mailinv.test');
    assert.match(mail.subject, /invited to mailinv Ltd/);
    assert.equal(mail.parsed.from?.value[0]?.address, 'desk@mailinv.test');
    assert.match(mail.text, /Admin mailinv invited you/);
    // Names are escaped in the HTML part.
    assert.ok(mail.html.includes('Mia &lt;b&gt;'));
    assert.ok(!mail.html.includes('Mia <b>'));
    const link = linkIn(mail, 'invitation');
    assert.ok(mail.html.includes(link.replace(/&/g, '&amp;')));
    const accepted = await server.call('POST', '/invitations/accept', { body: { token: linkToken(link), password: PASSWORD } });
    assert.equal(accepted.status, 200);
    await signIn(server, slug, 'mia@mailinv.test');
  });

  test('an SMTP failure never fails the request: the user is invited and can be sent the link again', async () => {
    inbox.setRejecting(true);
    try {
      const res = await server.call('POST', '/account/users', { token: adminToken, body: { name: 'Rex', email: 'rex@mailinv.test', role: 'agent' } });
      assert.equal(res.status, 201);
      assert.equal(res.body.user.status, 'invited');
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(!inbox.received.some((m) => m.to.includes('rex@mailinv.test')));
    } finally {
      inbox.setRejecting(false);
    }
    const users = await server.call('GET', '/account/users?q=rex', { token: adminToken });
    const resent = await server.call('POST', `/account/users/${users.body.users[0].id}/invitation`, { token: adminToken });
    assert.equal(resent.status, 200);
    await inbox.waitFor('rex@mailinv.test');
  });
});
