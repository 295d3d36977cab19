// What must behave the same on SQLite and PostgreSQL (the suite runs on both): LIKE searches
// with wildcard characters in them, 64-bit times read back as numbers, 0/1 flags.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, createUser, signIn, startTestServer, type TestServer } from '../testing/harness.js';

describe('store behaves the same on every dialect', () => {
  let server: TestServer;
  let adminToken: string;

  before(async () => {
    server = await startTestServer({ openSignup: true });
    await createAccount(server, 'dialect');
    adminToken = (await signIn(server, 'dialect', 'admin@dialect.test')).token;
    for (const name of ['Fifty%Off', 'Under_Score', 'Back\\Slash', 'Plain']) {
      const res = await server.call('POST', '/account/users', {
        token: adminToken,
        body: { name, email: `${name.replace(/[^a-z]/gi, '').toLowerCase()}@dialect.test`, role: 'agent' },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
  });
  after(() => server?.close());

  test('user search treats %, _ and \\ literally and ignores case', async () => {
    const names = async (q: string) => {
      const res = await server.call('GET', `/account/users?q=${encodeURIComponent(q)}`, { token: adminToken });
      assert.equal(res.status, 200);
      return (res.body.users as { name: string }[]).map((u) => u.name).sort();
    };
    assert.deepEqual(await names('%'), ['Fifty%Off']);
    assert.deepEqual(await names('_'), ['Under_Score']);
    assert.deepEqual(await names('\\'), ['Back\\Slash']);
    assert.deepEqual(await names('r_s'), ['Under_Score']);
    assert.deepEqual(await names('PLAIN'), ['Plain']);
    assert.deepEqual(await names('plain@dialect'), ['Plain']);
  });

  test('64-bit times come back as numbers and flags as 0/1', async () => {
    const session = await server.db.selectFrom('sessions').selectAll().executeTakeFirstOrThrow();
    assert.equal(typeof session.created_at, 'number');
    assert.equal(typeof session.expires_at, 'number');
    assert.ok(session.expires_at > 2 ** 32, 'a millisecond time above 32 bits round-trips');
    const user = await server.db.selectFrom('users').select(['has_two_factor']).executeTakeFirstOrThrow();
    assert.equal(user.has_two_factor, 0);
    const count = await server.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 5);
  });
});
