// bench:sso — single sign-on end to end against a local OpenID Provider (issue 20, "Figures"):
// the server in a process of its own (SQLite), the provider (server/testing/oidc-provider.ts:
// oidc-provider, OpenID-certified, on a loopback port) and the user agent (its `Browser`, a
// fresh one per sign-in: no cookie of an earlier sign-in at either end) in this process.
//
// One sign-in is the web console's whole flow: POST /sessions/sso (state, nonce, PKCE stored)
// → the provider's authorization endpoint → its interaction (the login, programmatic) → back to
// the provider → our callback (the code exchanged at the provider's token endpoint, the ID token
// validated, the user matched by verified email, the session created, its cookie set) → the
// console. Timed from the start request to the console's URL; each session is then checked to
// be `active` (the provider trusted for MFA, its amr ["pwd","otp"]), untimed. N sign-ins at c=1
// and at c=4, after a warm-up; p50 / p99 and sign-ins per second. The provider and the browser
// share this process's one core with each other: the figures are of the whole loop, not of the
// server alone (server CPU per sign-in is given beside them).
//
//   npm run bench -- sso
//   BENCH_SSO_SIGNINS=200 npx tsx bench/sso.ts
import { Browser, startOpenIdProvider, type OpLogin, type TestOpenIdProvider } from '../server/testing/oidc-provider.js';
import { totpCode } from '../server/testing/totp-reference.js';
import type { UsersTable } from '../server/store/schema.js';
import { isMain, percentile, table, writeResults, type Figure } from './lib/report.js';
import { withSeededServer } from './lib/scenario.js';
import { cpuMsOf } from './lib/server-process.js';
import { BENCH_PASSWORD, benchPasswordHash, insertMany, seedAccount, userRow } from './lib/seed.js';

const SIGN_INS = Number(process.env.BENCH_SSO_SIGNINS ?? 200);
const WARMUP = 20;
const USERS = 100;
const LEVELS = [1, 4];

async function call(base: string, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

export async function runSso(log: (s: string) => void = (s) => console.log(s)): Promise<Figure[]> {
  const scenario = await withSeededServer('sso', async (db, box) => {
    const hash = await benchPasswordHash();
    const account = await seedAccount(db, box, 'bench', hash);
    const now = Date.now();
    const users: UsersTable[] = Array.from({ length: USERS }, (_, i) => userRow(account.accountId, i, account.slug, hash, false, now));
    await insertMany(db, 'users', users);
    return { account, emails: users.map((u) => u.email) };
  });
  const { server, seeded } = scenario;
  // The API at 127.0.0.1; the browser at the server's public origin (its callback's, its cookies').
  const api = `http://${server.host}:${server.port}/api/v1`;
  const origin = server.origin;
  const consoleHost = new URL(origin).host;
  let op: TestOpenIdProvider | undefined;
  try {
    op = await startOpenIdProvider({ redirectUris: [`${origin}/api/v1/sso/oidc/callback`] });
    for (const [i, email] of seeded.emails.entries()) op.users.set(`agent-${i}`, { email, email_verified: true, name: `Agent ${i}` });
    // Each interaction signs in the next agent in turn, with two factors at the provider.
    let turn = 0;
    Object.defineProperty(op, 'nextLogin', { get: (): OpLogin => ({ accountId: `agent-${turn++ % USERS}`, amr: ['pwd', 'otp'] }), set: () => {} });

    // The admin adds the provider as in the console (discovery answered first), its MFA trusted.
    const first = await call(api, 'POST', '/sessions', undefined, { account: seeded.account.slug, email: seeded.account.admin.email, password: BENCH_PASSWORD });
    const second = await call(api, 'POST', '/sessions/current/second-factor', first.token, { method: 'totp', code: totpCode(seeded.account.admin.totpSecret) });
    const adminToken: string = second.token ?? first.token;
    const added = await call(api, 'POST', '/account/identity-providers', adminToken, { type: 'oidc', name: 'Bench IdP', issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret, trustMfa: true, jitProvisioning: false });
    const providerId: string = added.provider.id;

    /** One whole sign-in: its time, and the session it left (checked afterwards). */
    async function signIn(): Promise<{ ms: number; token: string | undefined; error?: string }> {
      const browser = new Browser();
      const t0 = performance.now();
      try {
        const start = await browser.post(`${origin}/api/v1/sessions/sso`, { account: seeded.account.slug, provider: providerId, client: 'web' });
        if (start.status !== 200) return { ms: performance.now() - t0, token: undefined, error: `start ${start.status} ${JSON.stringify(start.body).slice(0, 200)}` };
        const end = await browser.visit(start.body.authorizationUrl, { stopAt: (u) => u.host === consoleHost && u.pathname === '/' });
        const ms = performance.now() - t0;
        const token = browser.cookie(consoleHost, 'agentdesk_session');
        if (end.url.host !== consoleHost || !token) return { ms, token: undefined, error: `ended at ${end.url.href} (${end.status}) ${end.body.slice(0, 200)}` };
        return { ms, token };
      } catch (error) {
        return { ms: performance.now() - t0, token: undefined, error: String(error) };
      }
    }

    async function level(concurrency: number, count: number) {
      const latencies: number[] = [];
      const tokens: string[] = [];
      const errorSamples: string[] = [];
      let errors = 0;
      let next = 0;
      const cpu0 = cpuMsOf(server.pid);
      const ownCpu0 = process.cpuUsage();
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next++ < count) {
            const r = await signIn();
            latencies.push(r.ms);
            if (r.token) tokens.push(r.token);
            else {
              errors++;
              if (errorSamples.length < 3) errorSamples.push(r.error ?? 'no session');
            }
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const serverCpuMsPerSignIn = (cpuMsOf(server.pid) - cpu0) / count;
      const ownCpu = process.cpuUsage(ownCpu0);
      // The provider's and the browser's share (this process), for comparison.
      const benchCpuMsPerSignIn = (ownCpu.user + ownCpu.system) / 1000 / count;
      // Every session is what the trusted provider's two factors give: active.
      for (const token of tokens) {
        const state = (await call(api, 'GET', '/sessions/current', token)).session.state;
        if (state !== 'active') {
          errors++;
          if (errorSamples.length < 3) errorSamples.push(`session ${state}`);
        }
      }
      latencies.sort((a, b) => a - b);
      return { concurrency, count, seconds, perSecond: count / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors, errorSamples, serverCpuMsPerSignIn, benchCpuMsPerSignIn };
    }

    await level(1, WARMUP);
    const figures: Figure[] = [];
    for (const c of LEVELS) {
      const r = await level(c, SIGN_INS);
      log(`  c=${c}: ${r.count} sign-ins in ${r.seconds.toFixed(1)} s, ${r.perSecond.toFixed(1)}/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, server CPU ${r.serverCpuMsPerSignIn.toFixed(1)} ms/sign-in (provider + browser ${r.benchCpuMsPerSignIn.toFixed(1)} ms), ${r.errors} errors${r.errorSamples.length ? `: ${r.errorSamples.join(' | ')}` : ''}`);
      figures.push({
        figure: `SSO sign-in end to end (OIDC, local provider and browser in the bench process) c=${c}, SQLite`,
        value: r.perSecond,
        unit: '/s',
        latency: { p50: r.p50, p99: r.p99 },
        cpuPerOpMs: r.serverCpuMsPerSignIn,
        target: '0 errors',
        pass: r.errors === 0,
        details: { signIns: r.count, providerAndBrowserCpuMsPerSignIn: r.benchCpuMsPerSignIn, seconds: r.seconds, errors: r.errors, errorSamples: r.errorSamples, warmup: WARMUP, users: USERS },
      });
    }
    return figures;
  } finally {
    await op?.close();
    await scenario.close();
  }
}

if (isMain(import.meta.url)) {
  const figures = await runSso();
  writeResults('sso', figures);
  console.log(table(figures));
}
