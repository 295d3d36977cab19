// Event streams end with their session, are capped per session and per user, and carry
// `account.updated` when an admin saves the security settings (to other instances too, on
// PostgreSQL).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiClient, createAccount, PASSWORD, signIn, startTestServer, type ApiClient, type TestServer } from '../testing/harness.js';
import { openEvents } from '../testing/event-stream.js';
import { totpCode } from '../testing/totp-reference.js';
import { freshPostgresDatabase } from '../testing/postgres.js';
import { startServer } from '../start.js';
import { MAX_STREAMS_PER_SESSION, MAX_STREAMS_PER_USER } from './routes/events.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Status of GET /events without keeping the stream (a refused one answers JSON). */
async function streamStatus(base: string, token: string): Promise<{ status: number; code?: string; close: () => void }> {
  const controller = new AbortController();
  const res = await fetch(`${base}/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  if (res.status === 200) return { status: 200, close: () => controller.abort() };
  const body = (await res.json()) as { error: { code: string } };
  return { status: res.status, code: body.error.code, close: () => {} };
}

/** An admin who has passed a second factor just now (so may save the security settings). */
async function adminWithSecondFactor(server: TestServer, slug: string) {
  const acc = await createAccount(server, slug);
  const first = await signIn(server, slug, acc.user.email);
  const start = await server.call('POST', '/me/methods/totp', { token: first.token, body: {} });
  const confirm = await server.call('POST', `/me/methods/totp/${start.body.id}/confirm`, { token: first.token, body: { code: totpCode(start.body.secret) } });
  assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
  return { acc, token: (confirm.body.token as string | undefined) ?? first.token };
}

describe('event streams', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ openSignup: true });
  });
  after(() => server.close());

  // An idle-expired session kept its stream open (keep-alives, no event) although the API
  // promises `session.revoked` with reason `expired`: a stolen token's stream outlived it.
  test('a stream ends with session.revoked "expired" when its session expires', async () => {
    const acc = await createAccount(server, 'expiry');
    const s = await signIn(server, 'expiry', acc.user.email);
    const row = await server.db.selectFrom('sessions').select('id').where('user_id', '=', acc.user.id).executeTakeFirstOrThrow();
    await server.db.updateTable('sessions').set({ expires_at: Date.now() + 700 }).where('id', '=', row.id).execute();
    const stream = openEvents(server.base, s.token);
    await stream.ready;
    const started = performance.now();
    const revoked = await stream.next('session.revoked', 3_000);
    assert.deepEqual(revoked.data, { reason: 'expired' });
    assert.ok(revoked.at - started < 1_500, `ended ${Math.round(revoked.at - started)} ms after opening`);
    stream.close();
    assert.equal((await server.call('GET', '/me', { token: s.token })).status, 401);
  });

  test('a session used elsewhere (its expiry moved) keeps its stream until the new expiry', async () => {
    const acc = await createAccount(server, 'moved');
    const s = await signIn(server, 'moved', acc.user.email);
    const row = await server.db.selectFrom('sessions').select('id').where('user_id', '=', acc.user.id).executeTakeFirstOrThrow();
    await server.db.updateTable('sessions').set({ expires_at: Date.now() + 600 }).where('id', '=', row.id).execute();
    const stream = openEvents(server.base, s.token);
    await stream.ready;
    // Another request moved the idle expiry on (as a request after the touch interval does).
    const movedTo = Date.now() + 1_800;
    await server.db.updateTable('sessions').set({ expires_at: movedTo }).where('id', '=', row.id).execute();
    await sleep(1_000);
    assert.equal(stream.events.some((e) => e.event === 'session.revoked'), false, 'ended at the stale expiry');
    const revoked = await stream.next('session.revoked', 3_000);
    assert.deepEqual(revoked.data, { reason: 'expired' });
    assert.ok(Date.now() >= movedTo - 50, 'ended before the moved expiry');
    stream.close();
  });

  // Attack: one token opens thousands of streams, each a socket and memory held by the server.
  test(`a session holds at most ${MAX_STREAMS_PER_SESSION} streams; the next is refused with too_many_streams`, async () => {
    const acc = await createAccount(server, 'capped');
    const s = await signIn(server, 'capped', acc.user.email);
    const open = [];
    for (let i = 0; i < MAX_STREAMS_PER_SESSION; i++) {
      const stream = await streamStatus(server.base, s.token);
      assert.equal(stream.status, 200, `stream ${i + 1}`);
      open.push(stream);
    }
    const refused = await streamStatus(server.base, s.token);
    assert.equal(refused.status, 429);
    assert.equal(refused.code, 'too_many_streams');
    // Closing one frees its place.
    open.pop()!.close();
    // The server frees the place when it sees the socket close: a moment later, however loaded.
    let again = await streamStatus(server.base, s.token);
    for (let i = 0; again.status !== 200 && i < 50; i++) {
      await sleep(100);
      again = await streamStatus(server.base, s.token);
    }
    assert.equal(again.status, 200);
    again.close();
    for (const stream of open) stream.close();
  });

  test(`a user holds at most ${MAX_STREAMS_PER_USER} streams across sessions`, async () => {
    const acc = await createAccount(server, 'many');
    const sessions = [];
    const need = Math.ceil(MAX_STREAMS_PER_USER / MAX_STREAMS_PER_SESSION) + 1;
    for (let i = 0; i < need; i++) sessions.push(await signIn(server, 'many', acc.user.email));
    const open = [];
    for (let i = 0; i < MAX_STREAMS_PER_USER; i++) {
      const stream = await streamStatus(server.base, sessions[Math.floor(i / MAX_STREAMS_PER_SESSION)]!.token);
      assert.equal(stream.status, 200, `stream ${i + 1}`);
      open.push(stream);
    }
    const refused = await streamStatus(server.base, sessions[need - 1]!.token);
    assert.equal(refused.status, 429);
    assert.equal(refused.code, 'too_many_streams');
    for (const stream of open) stream.close();
  });

  test('saving the security settings pushes account.updated to every stream of the account, and only that account', async () => {
    const { acc, token: admin } = await adminWithSecondFactor(server, 'pushed');
    const other = await createAccount(server, 'elsewhere');
    const outsider = await signIn(server, 'elsewhere', other.user.email);
    const adminStream = openEvents(server.base, admin);
    const agentStream = openEvents(server.base, (await inviteAndSignIn(server, admin, 'pushed', 'pia@pushed.test')).token);
    const outsiderStream = openEvents(server.base, outsider.token);
    await Promise.all([adminStream.ready, agentStream.ready, outsiderStream.ready]);

    const on = await server.call('PUT', '/account/security-settings', { token: admin, body: { requireTwoFactor: true, acknowledged: true } });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.deepEqual((await adminStream.next('account.updated')).data, { requireTwoFactor: true });
    // The agent without a method is signed out instead: its stream ends with the revocation.
    assert.deepEqual((await agentStream.next('session.revoked')).data, { reason: 'two_factor_required' });

    adminStream.events.length = 0;
    const off = await server.call('PUT', '/account/security-settings', { token: admin, body: { requireTwoFactor: false, acknowledged: false } });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.deepEqual((await adminStream.next('account.updated')).data, { requireTwoFactor: false });
    await sleep(100);
    assert.equal(outsiderStream.events.some((e) => e.event === 'account.updated'), false, 'another account heard it');
    assert.equal(acc.account.slug, 'pushed');
    for (const s of [adminStream, agentStream, outsiderStream]) s.close();
  });
});

/** The admin invites an agent, who accepts with a password and signs in. */
async function inviteAndSignIn(server: ApiClient, admin: string, slug: string, email: string) {
  const invited = await server.call('POST', '/account/users', { token: admin, body: { name: 'Pia Agent', email, role: 'agent' } });
  assert.equal(invited.status, 201, JSON.stringify(invited.body));
  const link = new URL(invited.body.invitation.link as string);
  const invitation = new URLSearchParams(link.hash.split('?')[1]).get('token');
  const accepted = await server.call('POST', '/invitations/accept', { body: { token: invitation, password: PASSWORD } });
  assert.ok(accepted.status < 300, JSON.stringify(accepted.body));
  return signIn(server, slug, email);
}

const pgUrl = process.env.AGENTDESK_TEST_DATABASE_URL;

describe('account.updated across instances', { skip: pgUrl ? false : 'no PostgreSQL: set AGENTDESK_TEST_DATABASE_URL' }, () => {
  test('a save on one instance reaches the account\'s streams held by another', async () => {
    const db = await freshPostgresDatabase(pgUrl!);
    const dirs = [mkdtempSync(join(tmpdir(), 'agentdesk-a-')), mkdtempSync(join(tmpdir(), 'agentdesk-b-'))];
    const secretKey = 'ab'.repeat(32);
    const common = { host: '127.0.0.1', port: 0, logLevel: 'silent', databaseUrl: db.url, secretKey, openSignup: true };
    const a = await startServer({ ...common, dataDir: dirs[0]! });
    const b = await startServer({ ...common, dataDir: dirs[1]! });
    try {
      const clientA = { ...apiClient(`${a.url}/api/v1`), db: a.context.db } as unknown as TestServer;
      const { token } = await adminWithSecondFactor(clientA, 'relay');
      const stream = openEvents(`${b.url}/api/v1`, token);
      await stream.ready;
      const saved = await clientA.call('PUT', '/account/security-settings', { token, body: { requireTwoFactor: true, acknowledged: true } });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      assert.deepEqual((await stream.next('account.updated', 2_000)).data, { requireTwoFactor: true });
      stream.close();
    } finally {
      await a.close();
      await b.close();
      await db.drop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });
});
