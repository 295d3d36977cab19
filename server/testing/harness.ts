// Test harness: a real server on a random port over a temporary SQLite file (or PostgreSQL when
// AGENTDESK_TEST_DATABASE_URL is set), and a small HTTP client for it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { startServer } from '../start.js';
import { totpCode } from './totp-reference.js';
import { freshPostgresDatabase } from './postgres.js';

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export type TestServer = Awaited<ReturnType<typeof startTestServer>>;

/** A small JSON client for the API at `base` (…/api/v1): what the helpers below need. */
export function apiClient(base: string) {
  async function call<T = any>(
    method: string,
    path: string,
    options: { token?: string | undefined; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* keep text */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }
  return { base, call };
}

export type ApiClient = Pick<ReturnType<typeof apiClient>, 'call'>;

export async function startTestServer(overrides: Partial<Config> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'agentdesk-test-'));
  const pg = process.env.AGENTDESK_TEST_DATABASE_URL ? await freshPostgresDatabase(process.env.AGENTDESK_TEST_DATABASE_URL) : undefined;
  const config = { host: '127.0.0.1', port: 0, dataDir, logLevel: process.env.AGENTDESK_TEST_LOG ?? 'silent', databaseUrl: pg?.url, ...overrides };
  const server = await startServer(config);
  const base = `${server.url}/api/v1`;
  let running = server;

  const { call } = apiClient(base);

  return {
    ...server,
    base,
    dataDir,
    call,
    db: server.context.db,
    /** Stops the server as a restart or an outage would, keeping its store for `start()`. */
    async stop() {
      await running.close();
    },
    /**
     * Starts it again after `stop()`, on the same port over the same store. `db` and `context`
     * above are still the first instance's (closed): use the API after a restart.
     */
    async start() {
      running = await startServer({ ...config, port: Number(new URL(server.url).port) });
    },
    async close() {
      await running.close();
      await pg?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const PASSWORD = 'correct horse battery staple';

/**
 * Creates an account with its admin through the API (open signup). New accounts let a first
 * method be set up only from a known device or with an enrolment code (enforcement/
 * enrollment-policy.ts, tested in enforcement/rollout.test.ts); the tests built on this helper
 * follow the article's flow, where the password is enough, unless they ask for `known_device`.
 */
export async function createAccount(server: ApiClient & { db?: TestServer['db'] }, slug: string, enrollment: 'password' | 'known_device' = 'password') {
  const res = await server.call('POST', '/accounts', {
    body: { name: `${slug} Ltd`, slug, admin: { name: `Admin ${slug}`, email: `admin@${slug}.test`, password: PASSWORD } },
  });
  if (res.status !== 201) throw new Error(`create account: ${res.status} ${JSON.stringify(res.body)}`);
  if (enrollment === 'password' && server.db) await server.db.updateTable('accounts').set({ enrollment_policy: 'password' }).where('id', '=', res.body.account.id).execute();
  return res.body as { account: { id: string; slug: string }; user: { id: string; email: string } };
}

export async function signIn(server: ApiClient, account: string, email: string, password = PASSWORD) {
  const res = await server.call('POST', '/sessions', { body: { account, email, password } });
  if (res.status !== 201) throw new Error(`sign in: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { token: string; session: { state: string }; methods: { id: string; type: string }[] };
}

/** A new account with its admin signed in by password (no method yet): its id, slug and the admin's token. */
export async function accountWithSignedInAdmin(server: ApiClient & { db?: TestServer['db'] }, slug: string) {
  const created = await createAccount(server, slug);
  const admin = await signIn(server, slug, `admin@${slug}.test`);
  return { id: created.account.id as string, slug, adminToken: admin.token };
}

/**
 * A user who can sign in with PASSWORD: invited by the admin, then the invitation accepted
 * through the API with the link's token (answered to the admin when mail is not configured).
 */
export async function createUser(server: ApiClient, adminToken: string, account: string, name: string, role: 'agent' | 'admin' = 'agent') {
  const email = `${name.toLowerCase()}@${account}.test`;
  const invited = await inviteUser(server, adminToken, { name, email, role });
  const accepted = await server.call('POST', '/invitations/accept', { body: { token: invited.token, password: PASSWORD } });
  if (accepted.status !== 200) throw new Error(`accept invitation: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  return { ...(invited.user as { id: string }), email };
}

/** The token of a link the server built (`…#/invitation?token=…`). */
export function linkToken(link: string): string {
  const token = new URL(link.replace('#/', '')).searchParams.get('token');
  if (!token) throw new Error(`no token in ${link}`);
  return token;
}

/** Invites a user (no mail configured): the new user and their invitation's token. */
export async function inviteUser(server: ApiClient, adminToken: string, input: { name: string; email: string; role?: 'agent' | 'admin' }) {
  const res = await server.call('POST', '/account/users', { token: adminToken, body: { role: 'agent', ...input } });
  if (res.status !== 201) throw new Error(`invite user: ${res.status} ${JSON.stringify(res.body)}`);
  if (!res.body.invitation?.link) throw new Error('invite user: no link in the answer (is mail configured?)');
  return { user: res.body.user as { id: string; email: string; status: string }, token: linkToken(res.body.invitation.link), link: res.body.invitation.link as string };
}

/** Adds and confirms an authenticator app; returns its secret and the recovery codes. */
export async function enrolTotp(server: ApiClient, token: string, atMs = Date.now()) {
  const start = await server.call('POST', '/me/methods/totp', { token, body: {} });
  if (start.status !== 201) throw new Error(`totp start: ${start.status} ${JSON.stringify(start.body)}`);
  const confirm = await server.call('POST', `/me/methods/totp/${start.body.id}/confirm`, { token, body: { code: totpCode(start.body.secret, atMs) } });
  if (confirm.status !== 200) throw new Error(`totp confirm: ${confirm.status} ${JSON.stringify(confirm.body)}`);
  // Confirming passes the second factor: the session goes on under the new token it answers.
  return { secret: start.body.secret as string, methodId: start.body.id as string, recoveryCodes: confirm.body.recoveryCodes as string[], token: confirm.body.token as string };
}

/** Signs in with password and the authenticator app (a code of the next step, so it is unused). */
export async function signInWithTotp(server: ApiClient, account: string, email: string, secret: string, atMs = Date.now() + 30_000) {
  const first = await signIn(server, account, email);
  const res = await server.call('POST', '/sessions/current/second-factor', { token: first.token, body: { method: 'totp', code: totpCode(secret, atMs) } });
  if (res.status !== 200) throw new Error(`second factor: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token as string;
}

/** Row counts of every table: "changes nothing" is checked by comparing two of these. */
export async function tableCounts(server: TestServer) {
  const tables = ['accounts', 'users', 'methods', 'recovery_codes', 'sessions', 'challenges', 'audit_events', 'user_links', 'audit_streams', 'groups', 'group_members', 'scim_tokens'] as const;
  const out: Record<string, number> = {};
  for (const t of tables) {
    const row = await server.db.selectFrom(t).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    out[t] = Number(row.n);
  }
  return out;
}
