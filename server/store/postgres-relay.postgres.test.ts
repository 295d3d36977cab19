// The LISTEN/NOTIFY relay on its own: payloads stay under PostgreSQL's limit, an instance skips
// its own notifications, and a dropped listening connection is re-established and catches up.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { REVOCATION_REASONS, SessionEvents, type SessionRevokedEvent } from '../sessions/events.js';
import { openStore, type Store } from './database.js';
import { PostgresRelay, REVOCATION_CHANNEL, revocationPayloads } from './postgres-relay.js';
import { freshPostgresDatabase } from '../testing/postgres.js';

const adminUrl = process.env.AGENTDESK_TEST_DATABASE_URL || undefined;
const required = process.env.CI === 'true' || process.env.CI === '1' || process.env.AGENTDESK_REQUIRE_POSTGRES === '1';
const skip = adminUrl || required ? false : 'no PostgreSQL: set AGENTDESK_TEST_DATABASE_URL to run the relay tests';

test('revocation payloads stay under 8000 bytes and carry every id once, in order', () => {
  const ids = Array.from({ length: 5000 }, (_, i) => `id${i}`.padEnd(16, 'x'));
  const payloads = revocationPayloads('instance-1', ids, 'two_factor_required');
  assert.ok(payloads.length > 1);
  const back: string[] = [];
  for (const p of payloads) {
    assert.ok(Buffer.byteLength(p) < 8000, `${Buffer.byteLength(p)} bytes`);
    const parsed = JSON.parse(p);
    assert.equal(parsed.i, 'instance-1');
    assert.equal(parsed.r, 'two_factor_required');
    back.push(...parsed.s.split(' '));
  }
  assert.deepEqual(back, ids);
  assert.deepEqual(revocationPayloads('i', [], 'signed_out'), []);
});

describe('PostgreSQL revocation relay', { skip }, () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let store: Store;
  const dataDir = mkdtempSync(join(tmpdir(), 'agentdesk-relay-'));
  const relays: PostgresRelay[] = [];

  before(async () => {
    assert.ok(adminUrl, 'AGENTDESK_TEST_DATABASE_URL is required here (CI)');
    database = await freshPostgresDatabase(adminUrl);
    store = await openStore({ dataDir, databaseUrl: database.url });
  });
  after(async () => {
    await Promise.all(relays.map((r) => r.close()));
    await store?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function instance() {
    const events = new SessionEvents();
    const relay = new PostgresRelay({ databaseUrl: database.url, db: store.db, events });
    events.useRelay(relay);
    await relay.start();
    relays.push(relay);
    return { events, relay };
  }

  // What a stream hears, with the moment of revocation checked and set aside (it varies).
  function listen(events: SessionEvents, sessionId: string) {
    return new Promise<Omit<SessionRevokedEvent, 'revokedAt'>>((resolve) =>
      events.subscribe(sessionId, ({ revokedAt, ...event }) => {
        assert.equal(typeof revokedAt, 'number', 'the moment of revocation travels with it');
        resolve(event);
      }),
    );
  }

  test('other instances deliver; the sender does not deliver twice', async () => {
    const a = await instance();
    const b = await instance();
    const onA: SessionRevokedEvent[] = [];
    a.events.subscribe('s1', (e) => onA.push(e));
    const onB = listen(b.events, 's1');
    await a.events.publishRevoked(['s1', 's2'], 'signed_out');
    assert.deepEqual(await onB, { type: 'session.revoked', reason: 'signed_out' });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(onA.length, 1, 'delivered locally once, its own notification skipped');
    assert.equal(a.relay.received, 0);
  });

  // A reason the relay did not know was dropped on the other instances: the stream never heard.
  test('every revocation reason reaches the other instances as it was given', { timeout: 10_000 }, async () => {
    const a = await instance();
    const b = await instance();
    for (const reason of REVOCATION_REASONS) {
      const onB = listen(b.events, `reason-${reason}`);
      await a.events.publishRevoked([`reason-${reason}`], reason);
      assert.deepEqual(await onB, { type: 'session.revoked', reason });
    }
  });

  test('notifications that are not ours are ignored', async () => {
    const b = await instance();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      for (const payload of ['not json', JSON.stringify({ i: 'x', r: 'nonsense', s: 's9' }), JSON.stringify({ i: 'x', r: 'expired' })]) {
        await client.query('select pg_notify($1, $2)', [REVOCATION_CHANNEL, payload]);
      }
    } finally {
      await client.end();
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(b.relay.received, 0);
  });

  test('a dropped LISTEN connection reconnects, and revocations made meanwhile reach its streams', async () => {
    const a = await instance();
    const b = await instance();
    // A real session row, so the catch-up after reconnecting can find it revoked.
    const now = Date.now();
    await store.db.insertInto('accounts').values({ id: 'acc', name: 'Acc', slug: 'acc', require_two_factor: 0, user_verification: 'discouraged', settings_updated_at: null, settings_updated_by: null, created_at: now }).execute();
    await store.db.insertInto('users').values({ id: 'u1', account_id: 'acc', name: 'U', email: 'u@acc.test', password_hash: 'x', role: 'agent', has_two_factor: 0, created_at: now }).execute();
    for (const id of ['gap', 'later']) {
      await store.db.insertInto('sessions').values({ id, token_hash: `h-${id}`, user_id: 'u1', account_id: 'acc', state: 'active', created_at: now, last_seen_at: now, expires_at: now + 3_600_000, second_factor_at: null, revoked_at: null, revoked_reason: null, client_address: null, user_agent: null }).execute();
    }
    const gap = listen(b.events, 'gap');
    const later = listen(b.events, 'later');

    // Cut B's listening connection (only that one) from the server side.
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      assert.ok(b.relay.listenerPid, 'B is listening');
      const { rows } = await admin.query<{ ok: boolean }>('select pg_terminate_backend($1) as ok', [b.relay.listenerPid]);
      assert.equal(rows[0]!.ok, true);
    } finally {
      await admin.end();
    }
    // While B is away: revoked in the store and notified (B misses the notification).
    await store.db.updateTable('sessions').set({ revoked_at: Date.now(), revoked_reason: 'two_factor_reset' }).where('id', '=', 'gap').execute();
    await a.events.publishRevoked(['gap'], 'two_factor_reset');
    assert.deepEqual(await gap, { type: 'session.revoked', reason: 'two_factor_reset' }, 'caught up after reconnecting');

    // And listening again for what comes next.
    const deadline = Date.now() + 5_000;
    let delivered: Omit<SessionRevokedEvent, 'revokedAt'> | undefined;
    later.then((e) => (delivered = e));
    while (!delivered && Date.now() < deadline) {
      await a.events.publishRevoked(['later'], 'signed_out');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(delivered, { type: 'session.revoked', reason: 'signed_out' });
  });
});
