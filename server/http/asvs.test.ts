// OWASP ASVS 5.0, chapters V6 (Authentication) and V7 (Session Management): the requirements
// that were met but had no test of their own, each proved here against a real server. The first
// comment of each test names the requirement; docs/asvs.md maps every V6/V7 L1–L2 id to its test.
// Time is moved the way it passes: every timestamp of a session row goes back together (created,
// last seen, expiry, second factor), and the server decides from there.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { hashToken } from '../crypto/tokens.js';
import { defaultConfig } from '../config.js';
import { createAccount, createUser, enrolTotp, inviteUser, PASSWORD, signIn, signInWithTotp, startTestServer, type TestServer } from '../testing/harness.js';
import { totpCode } from '../testing/totp-reference.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const IDLE_MS = defaultConfig().sessionIdleMinutes * MINUTE;
const ABSOLUTE_MS = defaultConfig().sessionAbsoluteHours * HOUR;

describe('ASVS 5.0 V6 and V7', () => {
  let server: TestServer;
  let adminToken: string;
  const slug = 'asvs';

  before(async () => {
    server = await startTestServer();
    const acc = await createAccount(server, slug);
    adminToken = (await signIn(server, slug, acc.user.email)).token;
  });
  after(() => server.close());

  /** As if `ms` had passed since the session was last used: every timestamp of its row goes back. */
  async function age(token: string, ms: number) {
    await server.db
      .updateTable('sessions')
      .set({
        created_at: sql`created_at - ${ms}`,
        last_seen_at: sql`last_seen_at - ${ms}`,
        expires_at: sql`expires_at - ${ms}`,
        second_factor_at: sql`second_factor_at - ${ms}`,
      })
      .where('token_hash', '=', hashToken(token))
      .execute();
  }

  const current = (token: string) => server.call('GET', '/sessions/current', { token });
  /** The expiry the server stored for the session (what the next request is judged by). */
  const storedExpiry = async (token: string) =>
    Number((await server.db.selectFrom('sessions').select('expires_at').where('token_hash', '=', hashToken(token)).executeTakeFirstOrThrow()).expires_at);

  /** A user who has an authenticator app: their secret, and a fully signed-in token. */
  async function userWithApp(name: string) {
    const u = await createUser(server, adminToken, slug, name);
    // Confirmed with the previous step's code, so that this step's and the next are still unused.
    const enrolled = await enrolTotp(server, (await signIn(server, slug, u.email)).token, Date.now() - 30_000);
    return { ...u, secret: enrolled.secret };
  }

  test('session tokens: 256 random bits from the CSPRNG, unique, stored only as a hash', async () => {
    // ASVS 7.2.3 (reference tokens: unique, CSPRNG, at least 128 bits) and 7.2.2 (dynamically
    // generated, no static secret): 40 sign-ins of one user give 40 different 256-bit tokens whose
    // bits look random, and the store holds none of them, only their SHA-256.
    const u = await createUser(server, adminToken, slug, 'Tess');
    const tokens: string[] = [];
    for (let i = 0; i < 40; i++) tokens.push((await signIn(server, slug, u.email)).token);
    assert.equal(new Set(tokens).size, tokens.length, 'every sign-in gets a token of its own');
    let ones = 0;
    for (const t of tokens) {
      const bytes = Buffer.from(t, 'base64url');
      assert.equal(bytes.length, 32, 'a token is 32 bytes (256 bits)');
      for (const b of bytes) ones += b.toString(2).split('1').length - 1;
    }
    const share = ones / (tokens.length * 256);
    assert.ok(share > 0.46 && share < 0.54, `bits are balanced as random ones are (${share.toFixed(3)} ones)`);
    const stored = await server.db.selectFrom('sessions').select('token_hash').where('user_id', '=', u.id).execute();
    const hashes = new Set(stored.map((r) => r.token_hash));
    for (const t of tokens) {
      assert.ok(!hashes.has(t), 'the token itself is never stored');
      assert.ok(hashes.has(hashToken(t)));
    }
  });

  test('every request is checked by the server against its store: an altered, a stored or a revoked token is refused', async () => {
    // ASVS 7.2.1: session token verification happens in the trusted backend, on every request
    // (nothing the client holds is trusted on its own): one changed character, the stored hash
    // presented as a token (a leaked database row), and a row revoked behind the client's back.
    const s = await signIn(server, slug, `admin@${slug}.test`);
    assert.equal((await current(s.token)).status, 200);
    const last = s.token.at(-1) === 'A' ? 'B' : 'A';
    assert.equal((await current(s.token.slice(0, -1) + last)).status, 401);
    assert.equal((await current(hashToken(s.token))).status, 401);
    await server.db.updateTable('sessions').set({ revoked_at: Date.now(), revoked_reason: 'signed_out' }).where('token_hash', '=', hashToken(s.token)).execute();
    const revoked = await current(s.token);
    assert.equal(revoked.status, 401);
    assert.equal(revoked.body.error.reason, 'signed_out');
  });

  test('a session token is never taken from the URL', async () => {
    // ASVS 7.2.1 with 14.2.1 (sensitive data only in headers or body): a valid token in the query
    // string authenticates nothing; only the Authorization header or the cookie do.
    const s = await signIn(server, slug, `admin@${slug}.test`);
    for (const name of ['token', 'access_token', 'session', 'agentdesk_session']) {
      const res = await server.call('GET', `/sessions/current?${name}=${encodeURIComponent(s.token)}`);
      assert.equal(res.status, 401, name);
    }
  });

  test('re-authentication issues a new token and ends the one it was made under', async () => {
    // ASVS 7.2.4: a new session token on authentication, including re-authentication, and the
    // current one terminated. An active session passes its second factor again (as before a
    // sensitive change): the answer carries a new token, the old one is refused from then on.
    const u = await userWithApp('Rhea');
    const before = await signInWithTotp(server, slug, u.email, u.secret, Date.now());
    const again = await server.call('POST', '/sessions/current/second-factor', { token: before, body: { method: 'totp', code: totpCode(u.secret, Date.now() + 30_000) } });
    assert.equal(again.status, 200);
    const after = again.body.token as string;
    assert.ok(after && after !== before);
    assert.equal((await current(before)).status, 401, 'the token re-authentication was made under ends');
    assert.equal((await current(after)).status, 200);
  });

  test('idle timeout: a session unused for longer than the idle lifetime is refused; one used within it slides on', async () => {
    // ASVS 7.3.1: re-authentication after inactivity, enforced by the server. Two sessions of one
    // user; one left unused for the idle lifetime and a minute, the other for two minutes less.
    const u = await createUser(server, adminToken, slug, 'Ida');
    const idle = (await signIn(server, slug, u.email)).token;
    const used = (await signIn(server, slug, u.email)).token;
    await age(idle, IDLE_MS + MINUTE);
    await age(used, IDLE_MS - 2 * MINUTE);
    const refused = await current(idle);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.reason, 'expired');
    assert.equal((await current(idle)).status, 401, 'an expired session is not revived by asking again');
    assert.equal((await current(used)).status, 200);
    const expiresIn = (await storedExpiry(used)) - Date.now();
    assert.ok(expiresIn > IDLE_MS - MINUTE && expiresIn <= IDLE_MS, 'using it moved its idle expiry to a full idle lifetime from now');
  });

  test('absolute lifetime: a session in constant use still ends at its absolute lifetime', async () => {
    // ASVS 7.3.2: a maximum session lifetime, enforced by the server however busy the session is.
    // Used every 7 hours (under the idle lifetime), it lives on until the absolute lifetime; the
    // last use before it cannot push the end past it, and a minute after it, it is refused.
    const u = await createUser(server, adminToken, slug, 'Abe');
    const token = (await signIn(server, slug, u.email)).token;
    let lived = 0;
    while (lived + 7 * HOUR < ABSOLUTE_MS) {
      await age(token, 7 * HOUR);
      lived += 7 * HOUR;
      const res = await current(token);
      assert.equal(res.status, 200, `still in use after ${lived / HOUR} h`);
      const end = await storedExpiry(token);
      const absoluteEnd = Date.now() + (ABSOLUTE_MS - lived);
      assert.ok(end > Date.now() && end <= absoluteEnd + 2000, `after ${lived / HOUR} h the end is never past the absolute lifetime`);
      if (ABSOLUTE_MS - lived < IDLE_MS) assert.ok(end >= absoluteEnd - 5000, 'the last use before it leaves exactly the rest of the absolute lifetime');
    }
    await age(token, ABSOLUTE_MS - lived + MINUTE);
    const refused = await current(token);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.reason, 'expired');
  });

  test('sign-out ends the session on the server: the cookie is cleared and replaying it is refused', async () => {
    // ASVS 7.4.1: after logout nothing resumes the session (the back button, a copied cookie):
    // the session is invalidated at the backend, not only forgotten by the browser.
    const origin = new URL(server.url).origin;
    const signedIn = await server.call('POST', '/sessions', { headers: { origin }, body: { account: slug, email: `admin@${slug}.test`, password: PASSWORD } });
    assert.equal(signedIn.status, 201);
    const cookie = signedIn.headers.get('set-cookie')!.split(';')[0]!;
    assert.equal((await server.call('GET', '/sessions/current', { headers: { cookie } })).status, 200);
    const out = await server.call('DELETE', '/sessions/current', { headers: { cookie, origin } });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /^agentdesk_session=;.*(Expires=Thu, 01 Jan 1970|Max-Age=0)/i, 'the cookie is cleared');
    const replay = await server.call('GET', '/sessions/current', { headers: { cookie } });
    assert.equal(replay.status, 401);
    assert.equal(replay.body.error.reason, 'signed_out');
    assert.equal((await current(signedIn.body.token)).status, 401, 'the same session by its bearer token too');
  });

  test('deleting a user ends every session of theirs at once', async () => {
    // ASVS 7.4.2 (deactivation is proved in people/lifecycle.test.ts): a user deleted while
    // signed in on two devices is refused on both at their next request.
    const u = await createUser(server, adminToken, slug, 'Gone');
    const one = (await signIn(server, slug, u.email)).token;
    const two = (await signIn(server, slug, u.email)).token;
    const deleted = await server.call('DELETE', `/account/users/${u.id}`, { token: adminToken });
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assert.equal((await current(one)).status, 401);
    assert.equal((await current(two)).status, 401);
  });

  test('adding a second method needs a second factor from the last 10 minutes', async () => {
    // ASVS 7.5.1: re-authentication before MFA configuration changes. A user with an app whose
    // second factor passed 11 minutes ago (a stolen cookie) cannot add an app or a security key:
    // 403 reauthentication_required and nothing stored; after the second factor again, they can.
    const u = await userWithApp('Sid');
    const token = await signInWithTotp(server, slug, u.email, u.secret, Date.now());
    await server.db.updateTable('sessions').set({ second_factor_at: Date.now() - 11 * MINUTE }).where('token_hash', '=', hashToken(token)).execute();
    const methodsBefore = await server.db.selectFrom('methods').select('id').where('user_id', '=', u.id).execute();
    for (const [path, body] of [['/me/methods/totp', {}], ['/me/methods/security-keys/options', {}]] as const) {
      const res = await server.call('POST', path, { token, body });
      assert.equal(res.status, 403, path);
      assert.equal(res.body.error.code, 'reauthentication_required', path);
    }
    assert.equal((await server.db.selectFrom('methods').select('id').where('user_id', '=', u.id).execute()).length, methodsBefore.length, 'nothing stored');
    const again = await server.call('POST', '/sessions/current/second-factor', { token, body: { method: 'totp', code: totpCode(u.secret, Date.now() + 30_000) } });
    assert.equal(again.status, 200);
    const added = await server.call('POST', '/me/methods/totp', { token: again.body.token, body: {} });
    assert.equal(added.status, 201);
  });

  test('password rules: at least 10 characters, any characters, 256 allowed, checked exactly as typed', async () => {
    // ASVS 6.2.1 (at least 8: ours is 10), 6.2.5 (no composition rules), 6.2.9 (64 or more
    // permitted) and 6.2.8 (verified exactly as received: no truncation, no case folding, no trim).
    const inv = await inviteUser(server, adminToken, { name: 'Pam', email: `pam@${slug}.test` });
    const tooShort = await server.call('POST', '/invitations/accept', { body: { token: inv.token, password: 'nine char' } });
    assert.equal(tooShort.status, 400);
    // 256 characters: lower case, accents, spaces, a symbol and CJK, no digit and no capital.
    const password = ('ünïcode and spaces ✓ 日本 ' + 'zq'.repeat(200)).slice(0, 256);
    const accepted = await server.call('POST', '/invitations/accept', { body: { token: inv.token, password } });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    const signInWith = (p: string) => server.call('POST', '/sessions', { body: { account: slug, email: `pam@${slug}.test`, password: p } });
    assert.equal((await signInWith(password)).status, 201);
    for (const wrong of [password.slice(0, 72), password.slice(0, -1), password.toUpperCase()]) {
      assert.equal((await signInWith(wrong)).status, 401, `a modified password (${wrong.length} characters) is refused`);
    }
    // A passphrase of lower-case words only is as good as any other of its length.
    const inv2 = await inviteUser(server, adminToken, { name: 'Quin', email: `quin@${slug}.test` });
    const phrase = 'wombat lantern quietly orbits';
    const words = await server.call('POST', '/invitations/accept', { body: { token: inv2.token, password: phrase } });
    assert.equal(words.status, 200, JSON.stringify(words.body));
    const quin = (p: string) => server.call('POST', '/sessions', { body: { account: slug, email: `quin@${slug}.test`, password: p } });
    assert.equal((await quin(phrase)).status, 201);
    for (const wrong of [phrase + ' ', ' ' + phrase, 'Wombat lantern quietly orbits']) {
      assert.equal((await quin(wrong)).status, 401, `"${wrong}" is not trimmed or case-folded into the password`);
    }
  });
});

test('no default accounts: a fresh server has no user to sign in as until someone creates the first account', async () => {
  // ASVS 6.3.2: no default user accounts (root, admin, sa). A new server holds no account and no
  // user; the usual default names and passwords get the same refusal as any wrong sign-in.
  const server = await startTestServer();
  try {
    assert.equal((await server.db.selectFrom('users').select('id').execute()).length, 0);
    assert.equal((await server.db.selectFrom('accounts').select('id').execute()).length, 0);
    for (const [account, email, password] of [['admin', 'admin', 'admin'], ['default', 'root@localhost', 'root'], ['agentdesk', 'sa', 'password'], ['admin', 'admin@admin', 'changeme']]) {
      const res = await server.call('POST', '/sessions', { body: { account, email, password } });
      assert.ok(res.status === 400 || res.status === 401, `${email}: ${res.status}`);
    }
  } finally {
    await server.close();
  }
});
