// Passwords (PRODUCT.md "People (admins)"): a user changes theirs with the current password and
// a recent second factor; a forgotten one is reset by a one-time emailed link (or one an admin
// sends) that ends every session and never skips the second step; common passwords are refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, createUser, enrolTotp, linkToken, PASSWORD, signIn, startTestServer, tableCounts, type TestServer } from '../testing/harness.js';
import { openEvents } from '../testing/event-stream.js';
import { linkIn, startSmtpInbox, type SmtpInbox } from '../testing/smtp-inbox.js';
import { isCommonPassword } from './passwords.js';

const NEW_PASSWORD = 'a brand new passphrase';

describe('passwords', () => {
  let server: TestServer;
  let inbox: SmtpInbox;
  let adminToken: string;
  const slug = 'pwd';

  before(async () => {
    inbox = await startSmtpInbox();
    server = await startTestServer({ openSignup: true, smtpUrl: inbox.url });
    const acc = await createAccount(server, slug);
    const first = await signIn(server, slug, acc.user.email);
    adminToken = (await enrolTotp(server, first.token)).token ?? first.token;
  });
  after(async () => {
    await server.close();
    await inbox.close();
  });

  /** createUser needs the link in the answer: invite without mail by accepting from the inbox. */
  async function user(name: string) {
    const email = `${name.toLowerCase()}@${slug}.test`;
    const res = await server.call('POST', '/account/users', { token: adminToken, body: { name, email, role: 'agent' } });
    assert.equal(res.status, 201);
    const mail = await inbox.waitFor(email);
    await server.call('POST', '/invitations/accept', { body: { token: linkToken(linkIn(mail, 'invitation')), password: PASSWORD } });
    return { id: res.body.user.id as string, email };
  }

  test('the common-password list is the maintained zxcvbn-ts one, with suffixes stripped', () => {
    assert.equal(isCommonPassword('password123'), true);
    assert.equal(isCommonPassword('Qwertyuiop'), true);
    assert.equal(isCommonPassword('iloveyou2024!'), true);
    assert.equal(isCommonPassword(PASSWORD), false);
  });

  test('changing the password needs the current one, ends the other sessions and keeps this one', async () => {
    const u = await user('Chad');
    const here = await signIn(server, slug, u.email);
    const there = await signIn(server, slug, u.email);
    const stream = openEvents(server.base, there.token);
    await stream.ready;
    const wrong = await server.call('PUT', '/me/password', { token: here.token, body: { currentPassword: 'not my password', newPassword: NEW_PASSWORD } });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error.code, 'current_password_incorrect');
    const common = await server.call('PUT', '/me/password', { token: here.token, body: { currentPassword: PASSWORD, newPassword: 'password1234' } });
    assert.equal(common.body.error.code, 'password_too_common');
    const ok = await server.call('PUT', '/me/password', { token: here.token, body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.revokedSessions, 1);
    assert.equal((await stream.next('session.revoked')).data.reason, 'password_changed');
    stream.close();
    assert.equal((await server.call('GET', '/me', { token: here.token })).status, 200);
    assert.equal((await server.call('GET', '/me', { token: there.token })).body.error.reason, 'password_changed');
    assert.equal((await server.call('POST', '/sessions', { body: { account: slug, email: u.email, password: PASSWORD } })).status, 401);
    await signIn(server, slug, u.email, NEW_PASSWORD);
  });

  test('a user with a method needs a recent second factor to change the password', async () => {
    const u = await user('Tess');
    const s = await signIn(server, slug, u.email);
    const enrolled = await enrolTotp(server, s.token);
    const token = enrolled.token ?? s.token;
    await server.db.updateTable('sessions').set({ second_factor_at: Date.now() - 11 * 60_000 }).where('user_id', '=', u.id).execute();
    const res = await server.call('PUT', '/me/password', { token, body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'reauthentication_required');
  });

  test('guessing the current password is throttled', async () => {
    // Attack: a stolen unlocked session used to guess the password itself.
    const u = await user('Gus');
    const s = await signIn(server, slug, u.email);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push((await server.call('PUT', '/me/password', { token: s.token, body: { currentPassword: `guess number ${i}`, newPassword: NEW_PASSWORD } })).status);
    }
    assert.deepEqual(statuses.slice(0, 5), [400, 400, 400, 400, 400]);
    assert.equal(statuses.at(-1), 429);
  });

  test('a forgotten password: 202 whether or not the email exists; the emailed link ends every session and the second step still applies', async () => {
    const u = await user('Fay');
    const s = await signIn(server, slug, u.email);
    const enrolled = await enrolTotp(server, s.token);
    const signedIn = enrolled.token ?? s.token;
    const stream = openEvents(server.base, signedIn);
    await stream.ready;

    const unknown = await server.call('POST', '/password-resets', { body: { account: slug, email: 'nobody@pwd.test' } });
    const known = await server.call('POST', '/password-resets', { body: { account: slug, email: u.email.toUpperCase() } });
    const noAccount = await server.call('POST', '/password-resets', { body: { account: 'no-such', email: u.email } });
    assert.deepEqual([unknown.status, known.status, noAccount.status], [202, 202, 202]);
    assert.deepEqual(unknown.body, known.body);
    assert.deepEqual(noAccount.body, known.body);

    const mail = await inbox.waitFor(u.email, (m) => /Reset your AgentDesk password/.test(m.subject));
    const link = linkIn(mail, 'reset-password');
    const expiry = await server.db.selectFrom('user_links').select('expires_at').where('user_id', '=', u.id).where('purpose', '=', 'password_reset').executeTakeFirstOrThrow();
    const minutes = (Number(expiry.expires_at) - Date.now()) / 60_000;
    assert.ok(minutes > 29 && minutes <= 30, `${minutes} minutes`);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!inbox.received.some((m) => m.to.includes('nobody@pwd.test')));

    const done = await server.call('POST', '/password-resets/complete', { body: { token: linkToken(link), newPassword: NEW_PASSWORD } });
    assert.equal(done.status, 200);
    assert.deepEqual([done.body.account, done.body.email], [slug, u.email]);
    assert.equal((await stream.next('session.revoked')).data.reason, 'password_changed');
    stream.close();
    assert.equal((await server.call('GET', '/me', { token: signedIn })).status, 401);
    // The new password only passes the first step: the user's authenticator app is still asked for.
    const next = await signIn(server, slug, u.email, NEW_PASSWORD);
    assert.equal(next.session.state, 'two_factor_required');
    // One time only.
    const again = await server.call('POST', '/password-resets/complete', { body: { token: linkToken(link), newPassword: 'yet another passphrase' } });
    assert.equal(again.body.error.code, 'invalid_link');
  });

  test('reset requests for one email are throttled, still answered 202', async () => {
    // Attack: flooding a user's mailbox with reset links.
    const u = await user('Flo');
    for (let i = 0; i < 8; i++) assert.equal((await server.call('POST', '/password-resets', { body: { account: slug, email: u.email } })).status, 202);
    await new Promise((r) => setTimeout(r, 300));
    const sent = inbox.received.filter((m) => m.to.includes(u.email) && /Reset/.test(m.subject)).length;
    assert.ok(sent <= 5, `${sent} reset mails`);
  });

  test('an admin sends a reset link; a common new password is refused and the link stays usable', async () => {
    const u = await user('Ada');
    const res = await server.call('POST', `/account/users/${u.id}/password-reset`, { token: adminToken });
    assert.equal(res.status, 200);
    assert.equal(res.body.emailed, true);
    assert.equal(res.body.link, undefined);
    const mail = await inbox.waitFor(u.email, (m) => /administrator of pwd Ltd sent you a link/.test(m.text));
    const token = linkToken(linkIn(mail, 'reset-password'));
    const before = await tableCounts(server);
    const common = await server.call('POST', '/password-resets/complete', { body: { token, newPassword: 'password12345' } });
    assert.equal(common.body.error.code, 'password_too_common');
    assert.deepEqual(await tableCounts(server), before);
    assert.equal((await server.call('POST', '/password-resets/complete', { body: { token, newPassword: NEW_PASSWORD } })).status, 200);
    await signIn(server, slug, u.email, NEW_PASSWORD);
  });
});

describe('reset links without mail', () => {
  test('the admin is shown the link to hand over', async () => {
    const server = await startTestServer({ openSignup: true });
    try {
      const acc = await createAccount(server, 'nomail');
      const first = await signIn(server, 'nomail', acc.user.email);
      const token = (await enrolTotp(server, first.token)).token ?? first.token;
      const u = await createUser(server, token, 'nomail', 'Nia');
      const res = await server.call('POST', `/account/users/${u.id}/password-reset`, { token });
      assert.equal(res.body.emailed, false);
      assert.match(res.body.link, /#\/reset-password\?token=/);
      assert.equal((await server.call('POST', '/password-resets/complete', { body: { token: linkToken(res.body.link), newPassword: NEW_PASSWORD } })).status, 200);
    } finally {
      await server.close();
    }
  });
});

describe('reset request timing', () => {
  // Without mail here: the test's own SMTP server (in this process) parsing a message would be
  // timed along with the server's answer.
  test('the unknown-email answer takes about as long as the known one', async () => {
    // Attack: telling which emails have accounts by how long the answer takes.
    const server = await startTestServer({ openSignup: true });
    try {
      const acc = await createAccount(server, 'timing');
      const first = await signIn(server, 'timing', acc.user.email);
      const token = (await enrolTotp(server, first.token)).token ?? first.token;
      const u = await createUser(server, token, 'timing', 'Tim');
      const time = async (email: string) => {
        const t = performance.now();
        await server.call('POST', '/password-resets', { body: { account: 'timing', email } });
        return performance.now() - t;
      };
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 4; i++) {
        known.push(await time(u.email));
        // The same unknown email each time, as the known one: both then update throttle rows that exist.
        unknown.push(await time('ghost@pwd.test'));
      }
      // The fastest of each: what the work takes, without the noise of a shared machine. Before the
      // lookup moved after the answer, a known email took about twice as long (95 ms against 48).
      const [k, n] = [Math.min(...known), Math.min(...unknown)];
      assert.ok(Math.abs(k - n) < 25 || Math.max(k, n) / Math.min(k, n) < 1.25, `known ${k} ms, unknown ${n} ms`);
    } finally {
      await server.close();
    }
  });
});
