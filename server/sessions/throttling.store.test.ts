// Deadlock between reservations: on PostgreSQL each reservation locks its limits' rows; rows
// locked in whatever order the scan met them (heap order, which every update changes) let two
// instances' reservations each hold a row the other waits for, and one of them ended in a 500
// ("deadlock detected") instead of a sign-in. Many reservations over shared limits, from two
// instances of the service at once, must all end in a place or a clean 429, never an error.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../store/database.js';
import { freshPostgresDatabase } from '../testing/postgres.js';
import { LimitReached, limitKeys, passwordLimits, Throttle, type Limit } from './throttling.js';

describe('throttle reservations from two instances at once', () => {
  let stores: Store[] = [];
  let dataDir: string;
  let pg: Awaited<ReturnType<typeof freshPostgresDatabase>> | undefined;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'agentdesk-throttle-'));
    const url = process.env.AGENTDESK_TEST_DATABASE_URL;
    pg = url ? await freshPostgresDatabase(url) : undefined;
    stores = [await openStore({ dataDir, databaseUrl: pg?.url })];
    stores.push(pg ? await openStore({ dataDir, databaseUrl: pg.url }) : stores[0]!);
  });
  after(async () => {
    await stores[0]?.db.destroy();
    if (stores[1] !== stores[0]) await stores[1]?.db.destroy();
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('overlapping limits reserved and finished in parallel never fail with a store error', async () => {
    const throttles = stores.map((s) => new Throttle(s.db));
    // Several users behind a few addresses: each attempt's limits share rows with others'.
    const subjects = Array.from({ length: 6 }, (_, i) => `floor:agent${i}@example.com`);
    const addresses = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
    const errors: unknown[] = [];
    let placed = 0;
    let refused = 0;
    const attempt = async (k: number) => {
      const throttle = throttles[k % 2]!;
      const limits: Limit[] = [
        ...passwordLimits({ subject: subjects[k % subjects.length]!, address: addresses[(k >> 1) % addresses.length]! }),
        // A second address-wide limit, so that attempts share two rows in differing pairs.
        { name: 'passkeyAddress', key: limitKeys.passkeyAddress(addresses[(k >> 2) % addresses.length]!) },
      ];
      try {
        const reservation = await throttle.reserve(limits);
        placed++;
        await reservation.succeed();
      } catch (error) {
        if (error instanceof LimitReached) refused++;
        else errors.push(error);
      }
    };
    for (let round = 0; round < 5; round++) await Promise.all(Array.from({ length: 60 }, (_, k) => attempt(round * 60 + k)));
    assert.deepEqual(errors.map((e) => String(e)), []);
    assert.ok(placed > 0, `${placed} placed, ${refused} refused`);
  });
});
