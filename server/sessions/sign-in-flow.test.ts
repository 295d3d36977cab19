// Attack: parallel guesses through any way in. Every strategy goes through one attempt(): its
// limits are reserved before the secret is checked, so however many guesses arrive at once no
// more are checked than the limit allows; a wrong secret is counted with its records, and
// nothing the check wrote stays; an error that is not a wrong secret counts nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DomainError } from '../errors.js';
import { openStore, type Store } from '../store/database.js';
import { freshPostgresDatabase } from '../testing/postgres.js';
import { attempt, type FlowStore } from './sign-in-flow.js';
import { LimitReached, limitKeys, limitRules, Throttle, type Limit } from './throttling.js';

describe('one sign-in flow for every way in', () => {
  let store: Store;
  let flow: FlowStore;
  let dataDir: string;
  let pg: Awaited<ReturnType<typeof freshPostgresDatabase>> | undefined;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'agentdesk-flow-'));
    const url = process.env.AGENTDESK_TEST_DATABASE_URL;
    pg = url ? await freshPostgresDatabase(url) : undefined;
    store = await openStore({ dataDir, databaseUrl: pg?.url });
    flow = { db: store.db, throttle: new Throttle(store.db) };
  });
  after(async () => {
    await store?.db.destroy();
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const limitOf = (userId: string): Limit[] => [{ name: 'passwordChangeUser', key: limitKeys.passwordChangeUser(userId) }];
  const row = (key: string) => store.db.selectFrom('throttles').selectAll().where('key', '=', key).executeTakeFirst();
  /** A row the check writes, to see whether it stays. */
  const mark = (key: string) => ({ key, failures: 0, in_flight: 0, reserved_at: Date.now(), last_failure_at: null, locked_until: null });

  test('parallel wrong secrets: no more are checked than the limit allows, the rest are refused before the check', async () => {
    const limits = limitOf('parallel-user');
    let checked = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 25 }, () =>
        attempt(flow, {
          limits,
          wrong: ['current_password_incorrect'],
          check: async () => {
            checked++;
            throw new DomainError('current_password_incorrect');
          },
        }),
      ),
    );
    assert.equal(checked, limitRules.passwordChangeUser.limit);
    const refused = results.filter((r) => r.status === 'rejected' && r.reason instanceof LimitReached).length;
    assert.equal(refused, 25 - limitRules.passwordChangeUser.limit);
    const counted = await row(limits[0]!.key);
    assert.equal(Number(counted?.failures), limitRules.passwordChangeUser.limit);
    assert.ok(Number(counted?.locked_until) > Date.now(), 'the limit is locked');
    assert.equal(Number(counted?.in_flight), 0);
  });

  test('a wrong secret: what the check wrote is rolled back, the failure is counted and recorded in one transaction', async () => {
    const limits = limitOf('wrong-user');
    const seen: string[] = [];
    await assert.rejects(
      attempt(flow, {
        limits,
        wrong: ['invalid_code'],
        verify: async (trx) => {
          await trx.insertInto('throttles').values(mark('probe:wrong')).execute();
          throw new DomainError('invalid_code');
        },
        failed: async (trx, refusal, lockouts) => {
          seen.push(refusal.code);
          assert.deepEqual(lockouts, []);
          await trx.insertInto('throttles').values(mark('probe:failure-recorded')).execute();
        },
      }),
      (error: unknown) => error instanceof DomainError && error.code === 'invalid_code',
    );
    assert.deepEqual(seen, ['invalid_code']);
    assert.equal(await row('probe:wrong'), undefined, 'the check wrote nothing that stays');
    assert.ok(await row('probe:failure-recorded'), 'the failure is recorded');
    assert.equal(Number((await row(limits[0]!.key))?.failures), 1);
  });

  test('an error that is not a wrong secret counts nothing and gives the place back', async () => {
    const limits = limitOf('error-user');
    await assert.rejects(
      attempt(flow, {
        limits,
        wrong: ['invalid_code'],
        verify: async () => {
          throw new DomainError('challenge_expired');
        },
        failed: async () => assert.fail('not a failure'),
      }),
      (error: unknown) => error instanceof DomainError && error.code === 'challenge_expired',
    );
    const after = await row(limits[0]!.key);
    assert.equal(Number(after?.failures), 0);
    assert.equal(Number(after?.in_flight), 0);
  });

  test('a success: recorded and the place released in one commit, earlier failures forgotten', async () => {
    const limits = limitOf('success-user');
    await assert.rejects(attempt(flow, { limits, wrong: ['invalid_code'], check: async () => Promise.reject(new DomainError('invalid_code')) }));
    assert.equal(Number((await row(limits[0]!.key))?.failures), 1);
    const result = await attempt(flow, {
      limits,
      wrong: ['invalid_code'],
      verify: async (trx) => {
        await trx.insertInto('throttles').values(mark('probe:success')).execute();
        return 'signed in';
      },
    });
    assert.equal(result, 'signed in');
    assert.ok(await row('probe:success'));
    const cleared = await row(limits[0]!.key);
    assert.equal(Number(cleared?.failures), 0);
    assert.equal(Number(cleared?.in_flight), 0);
  });
});
