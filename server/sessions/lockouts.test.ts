// Every lock visible and liftable, and nobody without a secret can deny its owner (issue 18):
// the admin's users row lists each lock keyed on a user, whatever its key, and lifts them all;
// strangers cannot silence the owner's reset mail, block a colleague's valid link from the same
// office, fill the owner's passkey or enrolment-code limit, or flood one account's passkey
// challenges. Over HTTP against a real server, from distinct loopback addresses, real SMTP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientAt } from '../testing/client-address.js';
import { createAccount, createUser, enrolTotp, inviteUser, linkToken, PASSWORD, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { linkIn, startSmtpInbox, type SmtpInbox } from '../testing/smtp-inbox.js';
import { SoftAuthenticator } from '../testing/soft-webauthn.js';
import { totpCode } from '../testing/totp-reference.js';
import { accountWithAdmin, addUser, signInOn } from '../testing/rollout-helpers.js';
import { limitKeys, limitRules, PASSKEY_OPTIONS_WINDOW_MS } from './throttling.js';

const wrongCode = (secret: string) => String((Number(totpCode(secret, Date.now() + 30_000)) + 1) % 1_000_000).padStart(6, '0');

describe('every lock on a user is on their row, and an admin lifts it', () => {
  let server: TestServer;
  let adminToken: string;
  const slug = 'desklocks';

  before(async () => {
    server = await startTestServer({ openSignup: true });
    const acc = await createAccount(server, slug);
    adminToken = (await enrolTotp(server, (await signIn(server, slug, acc.user.email)).token)).token;
  });
  after(() => server.close());

  const row = async (email: string) => {
    const res = await server.call('GET', `/account/users?q=${encodeURIComponent(email)}`, { token: adminToken });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.users.find((u: { email: string }) => u.email === email) as { id: string; lockedUntil: string | null; lockouts: Array<{ kind: string; until: string; deviceId?: string; address?: string }> };
  };

  test('a lock on the agent\'s own desk is on the users row with its device, and Lift clears it', async () => {
    // Attack (UX): five wrong codes on the desk the agent always uses locked `secondFactorDevice`
    // (audited "Locked: device"), but the admin's row showed lockedUntil null and no lock to
    // lift: the agent waited out locks of up to 30 minutes or had their 2FA reset.
    const desk = clientAt(server.base, '127.0.0.61');
    const elsewhere = clientAt(server.base, '127.0.0.62');
    try {
      const kim = await createUser(server, adminToken, slug, 'Kim');
      const first = await desk.call('POST', '/sessions', { body: { account: slug, email: kim.email, password: PASSWORD } });
      const deviceToken = first.body.deviceToken as string;
      const { secret } = await enrolTotp(desk, first.body.token);
      const signInAtDesk = async () => (await desk.call('POST', '/sessions', { body: { account: slug, email: kim.email, password: PASSWORD, deviceToken } })).body.token as string;

      const token = await signInAtDesk();
      for (let k = 0; k < 5; k++) assert.equal((await desk.call('POST', '/sessions/current/second-factor', { token, body: { method: 'totp', code: wrongCode(secret) } })).status, 400);
      const locked = await desk.call('POST', '/sessions/current/second-factor', { token, body: { method: 'totp', code: totpCode(secret, Date.now() + 30_000) } });
      assert.equal(locked.status, 429);
      // The locked screen counts down to this and clears itself when it comes.
      assert.equal(locked.body.error.locked, true);
      assert.ok(locked.body.error.retryAfterSeconds >= 1);
      const until = Date.parse(locked.body.error.lockedUntil);
      assert.ok(Math.abs(until - (Date.now() + locked.body.error.retryAfterSeconds * 1000)) < 2000, locked.body.error.lockedUntil);

      // And ten wrong passwords from another address lock that address for Kim's new devices.
      for (let k = 0; k < 10; k++) assert.equal((await elsewhere.call('POST', '/sessions', { body: { account: slug, email: kim.email, password: 'wrong password' } })).status, 401);

      const seen = await row(kim.email);
      const kinds = seen.lockouts.map((l) => l.kind).sort();
      assert.deepEqual(kinds, ['address', 'device'], JSON.stringify(seen.lockouts));
      const deviceLock = seen.lockouts.find((l) => l.kind === 'device')!;
      const deskRow = await server.db.selectFrom('device_users').select('device_id').where('user_id', '=', kim.id).executeTakeFirstOrThrow();
      assert.equal(deviceLock.deviceId, deskRow.device_id);
      assert.equal(seen.lockouts.find((l) => l.kind === 'address')!.address, '127.0.0.62');
      assert.equal(seen.lockedUntil, [...seen.lockouts].sort((a, b) => (a.until < b.until ? 1 : -1))[0]!.until);

      // Lift: every lock cleared and audited with what it was.
      const lift = await server.call('DELETE', `/account/users/${kim.id}/lockout`, { token: adminToken });
      assert.equal(lift.status, 200, JSON.stringify(lift.body));
      assert.equal(lift.body.lifted, true);
      const audit = await server.call('GET', '/account/audit-events?limit=20', { token: adminToken });
      const entry = audit.body.events.find((e: { action: string }) => e.action === 'user.lockout_lifted');
      assert.deepEqual(entry.details.lockouts.map((l: { kind: string }) => l.kind).sort(), ['address', 'device']);
      const after = await row(kim.email);
      assert.deepEqual(after.lockouts, []);
      assert.equal(after.lockedUntil, null);
      // Kim's desk gets in at once.
      const again = await signInAtDesk();
      assert.equal((await desk.call('POST', '/sessions/current/second-factor', { token: again, body: { method: 'totp', code: totpCode(secret, Date.now() + 30_000) } })).status, 200);
    } finally {
      desk.close();
      elsewhere.close();
    }
  });

  test('the users page reads every lock of its users in one query by user id', async () => {
    // A page of 50 users, some locked: the row for each shows its own locks only.
    const lee = await createUser(server, adminToken, slug, 'Leelock');
    await server.db
      .insertInto('throttles')
      .values({ key: limitKeys.passwordChangeUser(lee.id), user_id: lee.id, failures: 5, in_flight: 0, reserved_at: Date.now(), last_failure_at: Date.now(), locked_until: Date.now() + 60_000 })
      .execute();
    const list = await server.call('GET', '/account/users?limit=50', { token: adminToken });
    const locked = list.body.users.filter((u: { lockouts: unknown[] }) => u.lockouts.length > 0);
    assert.deepEqual(locked.map((u: { email: string; lockouts: Array<{ kind: string }> }) => [u.email, u.lockouts.map((l) => l.kind)]), [[lee.email, ['password_change']]]);
  });
});

describe('strangers asking for resets never silence the owner\'s own request', () => {
  let server: TestServer;
  let inbox: SmtpInbox;
  let adminToken: string;
  const slug = 'resetlocks';

  before(async () => {
    inbox = await startSmtpInbox();
    server = await startTestServer({ openSignup: true, smtpUrl: inbox.url });
    const acc = await createAccount(server, slug);
    adminToken = (await signIn(server, slug, acc.user.email)).token;
  });
  after(async () => {
    await server.close();
    await inbox.close();
  });

  const mailsTo = (email: string) => inbox.received.filter((m) => m.to.includes(email)).length;
  const settle = () => new Promise((r) => setTimeout(r, 600));

  test('five requests from five addresses, then the owner asks from their own browser: the mail arrives', async () => {
    // Attack: whoever knows an email sends five reset requests from five addresses; the per-email
    // limit locked, the owner's own request answered 202 and sent nothing, and the lock renewed
    // with the back-off for as long as the stranger kept asking.
    const email = `rae@${slug}.test`;
    const invited = await server.call('POST', '/account/users', { token: adminToken, body: { name: 'Rae', email, role: 'agent' } });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    // Invitations are mailed here: accepted from the mail's link.
    const invitation = await inbox.waitFor(email);
    assert.equal((await server.call('POST', '/invitations/accept', { body: { token: linkToken(linkIn(invitation, 'invitation')), password: PASSWORD } })).status, 200);
    // Rae's browser: she signed in on it before (the device cookie).
    const desk = await server.call('POST', '/sessions', { body: { account: slug, email, password: PASSWORD } });
    assert.equal(desk.status, 201);
    const deviceToken = desk.body.deviceToken as string;
    const before = mailsTo(email);

    const strangers = [71, 72, 73, 74, 75, 76].map((n) => clientAt(server.base, `127.0.0.${n}`));
    try {
      for (const s of strangers.slice(0, 5)) assert.equal((await s.call('POST', '/password-resets', { body: { account: slug, email } })).status, 202);
      await inbox.waitFor(email, () => mailsTo(email) >= before + 5);
      await settle();
      assert.equal(mailsTo(email), before + 5, 'five mails: the stranger\'s bound');
      const key = `rs:t:${slug}:${email}`;
      const lockRow = await server.db.selectFrom('throttles').selectAll().where('key', '=', key).executeTakeFirstOrThrow();
      assert.ok(Number(lockRow.locked_until) > Date.now());

      // The owner, from her own browser (the console sends its cookie): the mail arrives.
      const own = await server.call('POST', '/password-resets', { body: { account: slug, email }, headers: { cookie: `agentdesk_device=${deviceToken}` } });
      assert.equal(own.status, 202);
      await inbox.waitFor(email, () => mailsTo(email) === before + 6);
      // The desktop app sends its token in the body: the same.
      assert.equal((await server.call('POST', '/password-resets', { body: { account: slug, email, deviceToken } })).status, 202);
      await inbox.waitFor(email, () => mailsTo(email) === before + 7);

      // A sixth stranger sends nothing, and the refusal does not extend the lock.
      assert.equal((await strangers[5]!.call('POST', '/password-resets', { body: { account: slug, email } })).status, 202);
      await settle();
      assert.equal(mailsTo(email), before + 7);
      const after = await server.db.selectFrom('throttles').selectAll().where('key', '=', key).executeTakeFirstOrThrow();
      assert.equal(Number(after.locked_until), Number(lockRow.locked_until));
      assert.equal(Number(after.failures), Number(lockRow.failures));
      // The lock never grows past its hour, whatever comes next.
      assert.equal(limitRules.passwordResetTarget.maxLockMs, limitRules.passwordResetTarget.baseLockMs);

      // An unknown email answers the same, with or without a device token.
      const unknown = await strangers[0]!.call('POST', '/password-resets', { body: { account: slug, email: 'nobody@resetlocks.test', deviceToken } });
      assert.equal(unknown.status, 202);
      assert.deepEqual(unknown.body, own.body);
    } finally {
      for (const s of strangers) s.close();
    }
  });
});

describe('wrong link tokens never block a colleague\'s valid token', () => {
  let server: TestServer;
  let adminToken: string;
  const slug = 'linklocks';

  before(async () => {
    server = await startTestServer({ openSignup: true });
    const acc = await createAccount(server, slug);
    adminToken = (await signIn(server, slug, acc.user.email)).token;
  });
  after(() => server.close());

  test('twenty wrong tokens from the office address, then a colleague\'s valid invitation from the same address is honoured', async () => {
    // Attack: 20 wrong invitation/reset tokens from the office NAT locked every link use from
    // it (`linkAddress`): a colleague's valid invitation from the same address got 429.
    const office = clientAt(server.base, '127.0.0.81');
    try {
      const colleague = await inviteUser(server, adminToken, { name: 'Cole', email: `cole@${slug}.test` });
      const wrong = 'A'.repeat(43);
      for (let k = 0; k < 20; k++) assert.equal((await office.call('POST', '/invitations/preview', { body: { token: wrong } })).status, 400);
      // The address is locked: wrong tokens are refused (and counted no further).
      const refused = await office.call('POST', '/password-resets/complete', { body: { token: wrong, newPassword: 'another long password 42' } });
      assert.equal(refused.status, 429);
      const row = await server.db.selectFrom('throttles').selectAll().where('key', '=', limitKeys.linkAddress('127.0.0.81')).executeTakeFirstOrThrow();
      // The colleague's valid invitation from the same address: preview and accept.
      const preview = await office.call('POST', '/invitations/preview', { body: { token: colleague.token } });
      assert.equal(preview.status, 200, JSON.stringify(preview.body));
      assert.equal(preview.body.user.email, `cole@${slug}.test`);
      const accepted = await office.call('POST', '/invitations/accept', { body: { token: colleague.token, password: PASSWORD } });
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      // A spent token is a wrong one now: still refused from the locked address.
      assert.equal((await office.call('POST', '/invitations/accept', { body: { token: colleague.token, password: PASSWORD } })).status, 429);
      const rowAfter = await server.db.selectFrom('throttles').selectAll().where('key', '=', limitKeys.linkAddress('127.0.0.81')).executeTakeFirstOrThrow();
      assert.equal(Number(rowAfter.failures), Number(row.failures), 'refusals while locked count nothing');
      assert.equal(Number(rowAfter.locked_until), Number(row.locked_until));
      assert.equal((await office.call('POST', '/sessions', { body: { account: slug, email: `cole@${slug}.test`, password: PASSWORD } })).status, 201);
    } finally {
      office.close();
    }
  });
});

describe('failures by someone without the key never lock the owner out', () => {
  let server: TestServer;
  let origin: string;
  let adminToken: string;
  const slug = 'keylocks';

  async function registerPasskey(token: string, key: SoftAuthenticator) {
    const creation = await server.call('POST', '/me/methods/security-keys/options', { token, body: { passwordless: true } });
    assert.equal(creation.status, 200, JSON.stringify(creation.body));
    const { credential, response } = key.createCredential(creation.body, origin, { discoverable: true });
    const res = await server.call('POST', '/me/methods/security-keys', { token, body: { name: 'Passkey', response } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { credential, token: (res.body.token as string | undefined) ?? token };
  }

  before(async () => {
    server = await startTestServer({ openSignup: true });
    origin = new URL(server.url).origin;
    const acc = await createAccount(server, slug);
    adminToken = (await registerPasskey((await signIn(server, slug, acc.user.email)).token, new SoftAuthenticator(1, true))).token;
    const on = await server.call('PUT', '/account/security-settings', { token: adminToken, body: { requireTwoFactor: false, acknowledged: false, passwordlessSignIn: true } });
    assert.equal(on.status, 200, JSON.stringify(on.body));
  });
  after(() => server.close());

  test('bad signatures for a passkey\'s credential id from elsewhere: the real passkey still signs in from a new device', async () => {
    // Attack: credential ids are not secret; five bad signatures for one (no password needed)
    // filled its user's second-factor limit, and the real passkey answered 429 from a new device.
    const attacker = clientAt(server.base, '127.0.0.91');
    const traveller = clientAt(server.base, '127.0.0.92');
    try {
      const pia = await createUser(server, adminToken, slug, 'Pia');
      const key = new SoftAuthenticator(1, true);
      const { credential } = await registerPasskey((await signIn(server, slug, pia.email)).token, key);
      const forged = async () => {
        const opts = await attacker.call('POST', '/sessions/passkey-options', { body: { account: slug } });
        const response = key.getAssertion(credential, opts.body, origin);
        response.response.signature = Buffer.alloc(72, 7).toString('base64url');
        return attacker.call('POST', '/sessions/passkey', { body: { account: slug, challengeId: opts.body.challengeId, response } });
      };
      const statuses = [];
      for (let k = 0; k < 12; k++) statuses.push((await forged()).status);
      // The attacker's own address is bounded: ten tries at this key from it.
      assert.deepEqual(statuses, [...Array(10).fill(400), 429, 429]);
      // Pia on a new device elsewhere: her key signs in.
      const opts = await traveller.call('POST', '/sessions/passkey-options', { body: { account: slug } });
      const res = await traveller.call('POST', '/sessions/passkey', { body: { account: slug, challengeId: opts.body.challengeId, response: key.getAssertion(credential, opts.body, origin) } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      // The attacker's lock is on Pia's row, for the admin to see (and lift).
      const list = await server.call('GET', `/account/users?q=${encodeURIComponent(pia.email)}`, { token: adminToken });
      assert.deepEqual(list.body.users[0].lockouts.map((l: { kind: string; address?: string }) => [l.kind, l.address]), [['passkey', '127.0.0.91']]);
    } finally {
      attacker.close();
      traveller.close();
    }
  });

  test('passkey challenges are capped per account, but a desk of the account still gets its options', async () => {
    // Attack: challenge flood from many addresses, each under its own 1,000: nothing capped the
    // rows one account's passkey sign-in could be made to store.
    const a = clientAt(server.base, '127.0.0.93');
    try {
      // A desk that signed in before (its device token), then the account's window filled.
      const opts = await server.call('POST', '/sessions/passkey-options', { body: { account: slug } });
      const key = new SoftAuthenticator(1, true);
      const ola = await createUser(server, adminToken, slug, 'Ola');
      const { credential } = await registerPasskey((await signIn(server, slug, ola.email)).token, key);
      const fresh = await server.call('POST', '/sessions/passkey-options', { body: { account: slug } });
      const desk = await server.call('POST', '/sessions/passkey', { body: { account: slug, challengeId: fresh.body.challengeId, response: key.getAssertion(credential, fresh.body, origin) } });
      assert.equal(desk.status, 201, JSON.stringify(desk.body));
      assert.equal(opts.status, 200);
      const account = await server.db.selectFrom('accounts').select('id').where('slug', '=', slug).executeTakeFirstOrThrow();
      const now = Date.now();
      const limit = limitRules.passkeyOptionsAccount.limit;
      // As if `limit − 1` challenges had been asked from many addresses in this window and the next.
      for (const w of [Math.floor(now / PASSKEY_OPTIONS_WINDOW_MS), Math.floor(now / PASSKEY_OPTIONS_WINDOW_MS) + 1]) {
        await server.db
          .insertInto('throttles')
          .values({ key: limitKeys.passkeyOptionsAccount(account.id, String(w)), user_id: null, failures: limit - 1, in_flight: 0, reserved_at: now, last_failure_at: now, locked_until: null })
          .onConflict((oc) => oc.column('key').doUpdateSet({ failures: limit - 1, last_failure_at: now }))
          .execute();
      }
      const rows = async () => Number((await server.db.selectFrom('passkey_challenges').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      assert.equal((await a.call('POST', '/sessions/passkey-options', { body: { account: slug } })).status, 200, 'the last one of the window');
      const before = await rows();
      const refused = await a.call('POST', '/sessions/passkey-options', { body: { account: slug } });
      assert.equal(refused.status, 429, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'too_many_attempts');
      assert.match(refused.body.error.message, /for this account/);
      assert.equal(refused.headers.get('retry-after'), String(refused.body.error.retryAfterSeconds));
      assert.equal(await rows(), before, 'nothing stored');
      // The desk (its device token) is served: a stranger's flood keeps no desk out.
      const mine = await server.call('POST', '/sessions/passkey-options', { body: { account: slug, deviceToken: desk.body.deviceToken } });
      assert.equal(mine.status, 200, JSON.stringify(mine.body));
    } finally {
      a.close();
    }
  });
});

describe('wrong enrolment codes never block the owner\'s valid code', () => {
  let server: TestServer;
  let admin: Awaited<ReturnType<typeof accountWithAdmin>>;
  const slug = 'codelocks';

  before(async () => {
    server = await startTestServer({ openSignup: true });
    admin = await accountWithAdmin(server, slug);
  });
  after(() => server.close());

  test('with the password, five wrong enrolment codes; the owner\'s admin-issued code still works', async () => {
    // Attack: whoever has the password signs in from their own machine and sends five wrong
    // enrolment codes; the user-wide second-factor limit locked, and the owner's valid code,
    // issued by the admin, answered 429 (and so did her authenticator codes on new devices).
    const eve = await addUser(server, admin.token, slug, 'Eve');
    const required = await server.call('PUT', '/account/security-settings', { token: admin.token, body: { requireTwoFactor: true, acknowledged: true } });
    assert.equal(required.status, 200, JSON.stringify(required.body));
    const thief = await signInOn(server, slug, eve.email);
    assert.equal(thief.state, 'enrollment_required');
    for (let k = 0; k < 5; k++) assert.equal((await server.call('POST', '/sessions/current/enrollment-code', { token: thief.token, body: { code: `AAAAA-AAAA${k + 2}` } })).status, 400);
    assert.equal((await server.call('POST', '/sessions/current/enrollment-code', { token: thief.token, body: { code: 'AAAAA-AAAA7' } })).status, 429, 'the thief\'s session is bounded');
    // The owner, on a new laptop, with the code her admin issued.
    const issued = await server.call('POST', `/account/users/${eve.id}/enrollment-code`, { token: admin.token, body: {} });
    assert.equal(issued.status, 201, JSON.stringify(issued.body));
    const owner = await signInOn(server, slug, eve.email);
    const redeemed = await server.call('POST', '/sessions/current/enrollment-code', { token: owner.token, body: { code: issued.body.code } });
    assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
    // The thief's lock is on Eve's row as an enrolment-code lock.
    const list = await server.call('GET', `/account/users?q=${encodeURIComponent(eve.email)}`, { token: admin.token });
    assert.deepEqual(list.body.users[0].lockouts.map((l: { kind: string }) => l.kind), ['enrollment_code']);
  });
});
