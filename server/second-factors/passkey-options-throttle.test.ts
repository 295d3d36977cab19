// Attack: challenge flood: one address asks for passkey options without bound, each a stored row.
// POST /sessions/passkey-options needs no session and stores a challenge for nobody yet; before
// its per-address limit, one client could fill passkey_challenges as fast as it could ask.
// Over HTTP against a real server, from distinct loopback addresses (an attacker, an office NAT
// elsewhere); the limit is docs/security.md's "passkey options, address".
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientAt } from '../testing/client-address.js';
import { createAccount, createUser, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { SoftAuthenticator } from '../testing/soft-webauthn.js';

/** Challenges one address may have stored before it is refused (docs/security.md). */
const LIMIT = 1000;
/** How long a challenge lives (second-factors/passkeys.ts). */
const CHALLENGE_TTL_MS = 3 * 60_000;

describe('passkey options are limited per address', () => {
  let server: TestServer;
  let origin: string;
  let adminToken: string;
  const slug = 'optflood';

  async function challengeRows(): Promise<number> {
    const row = await server.db.selectFrom('passkey_challenges').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** `n` option requests from `client`, `batch` at a time; their statuses. */
  async function ask(client: ReturnType<typeof clientAt>, n: number, batch = 50): Promise<number[]> {
    const statuses: number[] = [];
    for (let done = 0; done < n; done += batch) {
      const replies = await Promise.all(Array.from({ length: Math.min(batch, n - done) }, () => client.call('POST', '/sessions/passkey-options', { body: { account: slug } })));
      statuses.push(...replies.map((r) => r.status));
    }
    return statuses;
  }

  /** Registers a passkey (user verification, discoverable) for `token`'s user; the new token. */
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
    const first = await signIn(server, slug, acc.user.email);
    // The admin's own key: a recent second factor for turning passwordless sign-in on.
    adminToken = (await registerPasskey(first.token, new SoftAuthenticator(1, true))).token;
    const on = await server.call('PUT', '/account/security-settings', { token: adminToken, body: { requireTwoFactor: false, acknowledged: false, passwordlessSignIn: true } });
    assert.equal(on.status, 200, JSON.stringify(on.body));
  });
  after(() => server.close());

  test('beyond the per-address limit: 429 too_many_attempts with Retry-After, no row stored, another address still served', async () => {
    const attacker = clientAt(server.base, '127.0.0.21');
    const elsewhere = clientAt(server.base, '127.0.0.22');
    try {
      const rowsBefore = await challengeRows();
      // Asked in parallel: the limit is reserved in one transaction, so none slips past it.
      const statuses = await ask(attacker, LIMIT);
      assert.equal(statuses.filter((s) => s === 200).length, LIMIT, `served: ${JSON.stringify(statuses.filter((s) => s !== 200).slice(0, 5))}`);
      assert.equal(await challengeRows(), rowsBefore + LIMIT);

      const refused = await Promise.all(Array.from({ length: 20 }, () => attacker.call('POST', '/sessions/passkey-options', { body: { account: slug } })));
      for (const res of refused) {
        assert.equal(res.status, 429, JSON.stringify(res.body));
        assert.equal(res.body.error.code, 'too_many_attempts');
        assert.ok(res.body.error.retryAfterSeconds >= 1);
        assert.equal(res.headers.get('retry-after'), String(res.body.error.retryAfterSeconds));
        assert.equal(res.body.challengeId, undefined);
      }
      assert.equal(await challengeRows(), rowsBefore + LIMIT, 'a refused request stores no challenge');

      // Another address (an office elsewhere) is served as usual.
      const other = await elsewhere.call('POST', '/sessions/passkey-options', { body: { account: slug } });
      assert.equal(other.status, 200, JSON.stringify(other.body));
      assert.ok(other.body.challengeId);
      assert.equal(await challengeRows(), rowsBefore + LIMIT + 1);
    } finally {
      attacker.close();
      elsewhere.close();
    }
  });

  test('stored challenges are bounded: expired ones are purged when options are asked for', async () => {
    const office = clientAt(server.base, '127.0.0.23');
    try {
      const now = Date.now();
      await server.db
        .insertInto('passkey_challenges')
        .values(Array.from({ length: 5 }, (_, i) => ({ id: `expired-${i}`, account_slug: slug, challenge: `stale-${i}`, expires_at: now - CHALLENGE_TTL_MS - i })))
        .execute();
      const res = await office.call('POST', '/sessions/passkey-options', { body: { account: slug } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const left = await server.db.selectFrom('passkey_challenges').select('id').where('expires_at', '<=', Date.now()).execute();
      assert.deepEqual(left, [], 'no expired challenge is left');
    } finally {
      office.close();
    }
  });

  test('a floor behind one address signing in with passkeys never reaches the limit: a sign-in clears the count', async () => {
    // Shift start behind the office NAT: many options go unanswered (autofill, cancelled PIN
    // prompts), but each agent who signs in with their key shows the address is a floor.
    const office = clientAt(server.base, '127.0.0.24');
    try {
      const agent = await createUser(server, adminToken, slug, 'Shift');
      const key = new SoftAuthenticator(1, true);
      const { credential } = await registerPasskey((await signIn(server, slug, agent.email)).token, key);

      // The LIMIT-th challenge would lock the address: one short of it, the agent's ceremony.
      const unanswered = await ask(office, LIMIT - 2);
      assert.ok(unanswered.every((s) => s === 200));
      const opts = await office.call('POST', '/sessions/passkey-options', { body: { account: slug } });
      assert.equal(opts.status, 200, JSON.stringify(opts.body));
      const response = key.getAssertion(credential, opts.body, origin);
      const signedIn = await office.call('POST', '/sessions/passkey', { body: { account: slug, challengeId: opts.body.challengeId, response } });
      assert.equal(signedIn.status, 201, JSON.stringify(signedIn.body));

      // Past LIMIT in all from this address, and still served.
      const after = await ask(office, 10);
      assert.deepEqual(after, Array(10).fill(200));
    } finally {
      office.close();
    }
  });

  test('an account without passwordless sign-in stores nothing and counts nothing', async () => {
    const prober = clientAt(server.base, '127.0.0.25');
    try {
      const rowsBefore = await challengeRows();
      const replies = await Promise.all(Array.from({ length: 20 }, () => prober.call('POST', '/sessions/passkey-options', { body: { account: 'no-such-account' } })));
      assert.ok(replies.every((r) => r.status === 403 && r.body.error.code === 'passwordless_disabled'));
      assert.equal(await challengeRows(), rowsBefore);
      const count = await server.db.selectFrom('throttles').select('failures').where('key', 'like', 'pk:o:%127.0.0.25').executeTakeFirst();
      assert.equal(count, undefined);
    } finally {
      prober.close();
    }
  });
});
