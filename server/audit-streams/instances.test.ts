// Two server processes on one PostgreSQL database (AGENTDESK_TEST_DATABASE_URL; several instances
// need PostgreSQL: SQLite is one process's store), as a deployment behind a load balancer runs them, both delivering audit
// streams: every entry, written through either, reaches the receiver exactly once and in order
// (one claimant per stream). Then the one holding the stream is killed with SIGKILL in the middle
// of a delivery: the survivor takes the stream over when the dead one's claim runs out, and
// nothing is lost.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { reserveFreePort } from '../free-port.js';
import { createAccount, enrolTotp, signIn } from '../testing/harness.js';
import { startInstance, type Instance } from '../testing/instances.js';
import { freshPostgresDatabase } from '../testing/postgres.js';
import { startWebhookReceiver, type WebhookReceiver } from '../testing/webhook-receiver.js';

const adminUrl = process.env.AGENTDESK_TEST_DATABASE_URL;
const noPostgres = adminUrl ? false : 'several instances need PostgreSQL: set AGENTDESK_TEST_DATABASE_URL (CI does)';

describe('audit streams delivered by two instances on one database', { skip: noPostgres }, () => {
  let a: Instance;
  let b: Instance;
  let receiver: WebhookReceiver;
  let dropDatabase: (() => Promise<void>) | undefined;
  let databaseUrl: string;
  let dataDir: string;
  let tokenOf: Map<Instance, string>;
  let methodId: string;
  const slug = 'twodesk';

  before(async () => {
    receiver = await startWebhookReceiver();
    dataDir = mkdtempSync(join(tmpdir(), 'agentdesk-streams-instances-'));
    const database = await freshPostgresDatabase(adminUrl!);
    dropDatabase = database.drop;
    databaseUrl = database.url;
    const ports = [await reserveFreePort('127.0.0.1'), await reserveFreePort('127.0.0.1')];
    const env: Record<string, string> = {
      HOST: '127.0.0.1',
      AGENTDESK_SECRET_KEY: randomBytes(32).toString('hex'),
      AGENTDESK_PUBLIC_URL: `http://localhost:${ports[0]}`,
      AGENTDESK_ORIGINS: ports.map((p) => `http://localhost:${p}`).join(','),
      AGENTDESK_OPEN_SIGNUP: '1',
      AGENTDESK_DATA_DIR: dataDir,
      AGENTDESK_AUDIT_STREAMS_ALLOW_PRIVATE_TARGETS: '1',
      AGENTDESK_AUDIT_STREAMS_RETRY_MAX_SECONDS: '1',
      // A claim lasts 3 attempt timeouts: 3 s here, so the takeover after SIGKILL is quick.
      AGENTDESK_AUDIT_STREAMS_TIMEOUT_SECONDS: '1',
      LOG_LEVEL: 'warn',
      DATABASE_URL: database.url,
    };
    // One after the other: the first runs the migrations.
    a = await startInstance('A', ports[0]!, env);
    b = await startInstance('B', ports[1]!, env);
    const acc = await createAccount(a, slug);
    const enrolled = await enrolTotp(a, (await signIn(a, slug, acc.user.email)).token);
    methodId = enrolled.methodId;
    // The same session works on both: they share the database.
    tokenOf = new Map([
      [a, enrolled.token],
      [b, enrolled.token],
    ]);
    const added = await a.call('POST', '/account/audit-streams', { token: enrolled.token, body: { type: 'webhook', url: receiver.url } });
    assert.equal(added.status, 201, JSON.stringify(added.body));
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await receiver.close();
    await dropDatabase?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const rename = async (via: Instance, name: string) => {
    const res = await via.call('PATCH', `/me/methods/${methodId}`, { token: tokenOf.get(via)!, body: { name } });
    assert.equal(res.status, 200, `${via.name}: ${res.status} ${JSON.stringify(res.body)}\n${via.output().slice(-2000)}`);
  };
  const renamed = () => receiver.events().filter((e) => e.action === 'method.renamed').map((e) => String(e.details.name));

  test('each entry, written through either instance, is delivered exactly once and in order', async () => {
    const names = Array.from({ length: 60 }, (_, i) => `Desk ${i}`);
    for (const [i, name] of names.entries()) await rename(i % 2 === 0 ? a : b, name);
    await receiver.until(() => renamed().length >= names.length, 30_000);
    // Let any second claimant have its chance to send a batch again.
    await new Promise((r) => setTimeout(r, 1_000));
    assert.deepEqual(renamed(), names, 'once each, in the order written');
    const ids = receiver.events().map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, 'no entry delivered twice');
    assert.deepEqual([...ids].sort(), ids, 'in id order');
  });

  test('the instance holding the stream is killed (SIGKILL) mid-delivery: the other takes over, nothing lost', async () => {
    // The receiver takes requests and never answers: the instance holding the stream's lease is
    // stuck in a delivery. That instance (named by the lease: host:pid:…) is the one killed.
    receiver.setMode('hang');
    const names = Array.from({ length: 10 }, (_, i) => `Killed ${i}`);
    for (const [i, name] of names.entries()) await rename(i % 2 === 0 ? a : b, name);
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    let holder: Instance | undefined;
    try {
      for (let t = 0; t < 100 && !holder; t++) {
        const { rows } = await db.query<{ lease_owner: string | null }>('select lease_owner from audit_streams');
        const pid = Number(rows[0]?.lease_owner?.split(':')[1]);
        holder = [a, b].find((i) => i.process.pid === pid);
        if (!holder) await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await db.end();
    }
    assert.ok(holder, 'an instance holds the stream');
    const survivor = holder === a ? b : a;
    holder.process.kill('SIGKILL');
    await holder.stop();
    receiver.setMode('ok');
    // The survivor takes the stream once the dead instance's claim runs out (3 s here).
    await receiver.until(() => names.every((n) => renamed().includes(n)), 30_000);
    assert.equal(survivor.process.exitCode, null);
    const seen = renamed().filter((n) => n.startsWith('Killed'));
    // At least once: a batch the dead instance had sent may come again, never out of order.
    const firsts = seen.filter((n, i) => seen.indexOf(n) === i);
    assert.deepEqual(firsts, names);
  });
});
