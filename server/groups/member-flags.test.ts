// The method flags a group membership carries (groups/member-flags.ts): copies of the user's,
// which the scoped impact preview counts by. A copy left behind by a race is caught, at once when
// the race is with a change made under the account's requirement lock, and by the hourly repair
// otherwise.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createAccount, createUser, enrolTotp, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { lockRequirementInForce } from '../enforcement/requirement-in-force.js';
import { repairMemberFlags } from './member-flags.js';

const postgres = Boolean(process.env.AGENTDESK_TEST_DATABASE_URL);

describe("a group membership's copy of its user's method flags", () => {
  let server: TestServer;
  let n = 0;
  before(async () => {
    server = await startTestServer({ openSignup: true });
  });
  after(() => server.close());

  async function account(names: string[]) {
    const slug = `flags${++n}`;
    const acc = await createAccount(server, slug);
    const admin = await enrolTotp(server, (await signIn(server, slug, acc.user.email)).token);
    const users: Record<string, { id: string; email: string }> = {};
    for (const name of names) users[name] = await createUser(server, admin.token, slug, name, 'agent');
    const call = (method: string, path: string, body?: unknown) => server.call(method, path, { token: admin.token, body });
    const group = (await call('POST', '/account/groups', { name: 'Nights' })).body.group.id as string;
    const withoutMethod = async () => (await call('GET', `/account/security-settings/impact?everyone=false&groupIds=${group}`)).body.usersWithoutTwoFactor as number;
    const copy = async (userId: string) => {
      const row = await server.db.selectFrom('group_members').select(['has_two_factor', 'has_security_key']).where('group_id', '=', group).where('user_id', '=', userId).executeTakeFirstOrThrow();
      return [Number(row.has_two_factor), Number(row.has_security_key)];
    };
    return { slug, accountId: acc.account.id, users, call, group, withoutMethod, copy };
  }

  test(
    'a member added while a key rule gives them a counting key again, under the account lock, gets the new flags',
    { skip: postgres ? false : 'SQLite has one writer at a time: the two transactions cannot overlap there' },
    async () => {
      // The race: the membership's insert trigger reads the user's committed flags while another
      // transaction has changed them and not committed; that one's trigger cannot see the new,
      // uncommitted membership. Both commit, and the copy keeps the old flags.
      const a = await account(['Kai', 'Lin']);
      const kai = a.users.Kai!;
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let changed!: () => void;
      const flagsChanged = new Promise<void>((resolve) => (changed = resolve));
      // As a key-rule save does (second-factors/key-models.ts): the account's lock, then the flags
      // of an owner whose key counts again (method-flags.ts refreshKeyOwnersFlags).
      const keyRule = server.db.transaction().execute(async (trx) => {
        await lockRequirementInForce(trx, a.accountId);
        await trx.updateTable('users').set({ has_security_key: 1, has_two_factor: 1 }).where('id', '=', kai.id).execute();
        changed();
        await held;
      });
      await flagsChanged;
      const joined = a.call('PUT', `/account/groups/${a.group}/members`, { userIds: [kai.id, a.users.Lin!.id] });
      // The membership change has made its rows and waits for the account's lock.
      for (let i = 0; ; i++) {
        const waiting = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(server.db);
        if (waiting.rows[0]!.n > 0) break;
        assert.ok(i < 200, 'the membership change never waited for the account lock');
        await new Promise((r) => setTimeout(r, 25));
      }
      release();
      await keyRule;
      const res = await joined;
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(await a.copy(kai.id), [1, 1]);
      assert.equal(await a.withoutMethod(), 1);
    },
  );

  test('a copy that still differs is repaired by the hourly housekeeping, and the preview counts by it', async () => {
    const a = await account(['Mia', 'Ned']);
    assert.equal((await a.call('PUT', `/account/groups/${a.group}/members`, { userIds: [a.users.Mia!.id, a.users.Ned!.id] })).status, 200);
    await enrolTotp(server, (await signIn(server, a.slug, a.users.Mia!.email)).token);
    assert.equal(await a.withoutMethod(), 1);
    // What a lost race leaves: Ned's copy says he has a method; the preview believes it.
    await server.db.updateTable('group_members').set({ has_two_factor: 1 }).where('user_id', '=', a.users.Ned!.id).execute();
    assert.equal(await a.withoutMethod(), 0);
    assert.equal(await repairMemberFlags(server.db), 1);
    assert.deepEqual(await a.copy(a.users.Ned!.id), [0, 0]);
    assert.equal(await a.withoutMethod(), 1);
    // Nothing else differed, and a second run has nothing to do.
    assert.equal(await repairMemberFlags(server.db), 0);
  });
});
