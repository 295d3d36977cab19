// A method removal and a change that holds the account's requirement lock while it writes the
// same user's row (a role change, a key-rule save that recomputes the user's method flags) must
// not deadlock. Every such change takes the account's lock, then the user's row; the removal took
// the user's row first, then the account's: each held what the other waited for, and PostgreSQL
// aborted one of them a second later.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createAccount, createUser, enrolTotp, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { lockRequirementInForce } from '../enforcement/requirement-in-force.js';

const postgres = Boolean(process.env.AGENTDESK_TEST_DATABASE_URL);

describe('a method removal and the account lock', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ openSignup: true });
  });
  after(() => server.close());

  test(
    "a removal while a key-rule save holds the account and rewrites the user's flags: both finish, neither deadlocks",
    { skip: postgres ? false : 'SQLite has one writer at a time: the two transactions cannot overlap there' },
    async () => {
      // The attack surface: a deadlock aborts one transaction with a server error; here a user's
      // removal and an admin's key-rule save (or role change) at the same moment.
      const acc = await createAccount(server, 'lockorder');
      const admin = await enrolTotp(server, (await signIn(server, 'lockorder', acc.user.email)).token);
      const kai = await createUser(server, admin.token, 'lockorder', 'Kai', 'agent');
      const enrolled = await enrolTotp(server, (await signIn(server, 'lockorder', kai.email)).token);

      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const accountLocked = new Promise<void>((resolve) => (locked = resolve));
      const waitingForALock = async () => {
        for (let i = 0; ; i++) {
          const waiting = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(server.db);
          if (waiting.rows[0]!.n > 0) return;
          assert.ok(i < 200, 'the removal never waited for a lock');
          await new Promise((r) => setTimeout(r, 25));
        }
      };
      // As a key-rule save does (second-factors/key-models.ts): the account's lock, then (once the
      // removal is waiting) the flags of the account's key owners, Kai among them.
      const keyRule = server.db.transaction().execute(async (trx) => {
        await lockRequirementInForce(trx, acc.account.id);
        locked();
        await released;
        await trx.updateTable('users').set((eb) => ({ has_security_key: eb.ref('has_security_key') })).where('id', '=', kai.id).execute();
      });
      await accountLocked;
      const removal = server.call('DELETE', `/me/methods/${enrolled.methodId}`, { token: enrolled.token });
      await waitingForALock();
      release();
      await keyRule;
      const removed = await removal;
      assert.equal(removed.status, 200, JSON.stringify(removed.body));
      const me = await server.call('GET', '/me', { token: enrolled.token });
      assert.equal(me.status, 200);
      assert.deepEqual(me.body.methods, []);
    },
  );
});
