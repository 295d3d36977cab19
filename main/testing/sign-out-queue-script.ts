// Run by desktop-session.keychain.test.ts in a child process, inside a private D-Bus session
// with its own gnome-keyring (a real Secret Service). A real identity service is stopped and
// started again on the same port and data folder while a desktop signs out, restarts, and
// reconnects; the script prints what it observed as one JSON line, which the test asserts on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCredentialsAsync } from '@napi-rs/keyring';
import { reserveFreePort } from '../../server/free-port.js';
import { startServer } from '../../server/start.js';
import { DesktopSession } from '../desktop-session.js';
import { KeychainSessionStore } from '../session-store.js';

const service = process.argv[2] ?? 'AgentDeskTest';
const PASSWORD = 'correct horse battery staple';
const dataDir = mkdtempSync(join(tmpdir(), 'agentdesk-signout-queue-'));
const port = await reserveFreePort('127.0.0.1');
const start = () => startServer({ host: '127.0.0.1', port, dataDir, logLevel: 'silent' });
const logs: string[] = [];

/** The server's own view of a token, asked past the desktop's client. */
async function serverKnows(url: string, token: string): Promise<number> {
  const response = await fetch(`${url}/api/v1/sessions/current`, { headers: { authorization: `Bearer ${token}` } });
  await response.body?.cancel();
  return response.status;
}

async function keychainNames(): Promise<string[]> {
  return (await findCredentialsAsync(service)).map((c) => c.account).sort();
}

function desktop(url: string, store: KeychainSessionStore, retryMs = 60_000) {
  return new DesktopSession({
    server: url,
    storeKey: url,
    store,
    onRevoked: () => {},
    log: (line) => logs.push(line),
    events: { initialDelayMs: 50, maxDelayMs: 200 },
    revocationRetry: { initialDelayMs: retryMs, maxDelayMs: retryMs },
  });
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

const out: Record<string, unknown> = {};
let server = await start();
try {
  const url = server.url;
  await fetch(`${url}/api/v1/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ name: 'Acme Support', slug: 'acme', admin: { name: 'Ada Admin', email: 'ada@acme.test', password: PASSWORD } }),
  });

  // 1. Sign in, then sign out while the server is down; quit the app.
  const store1 = new KeychainSessionStore({ service, log: (line) => logs.push(line) });
  out.kind = await store1.probe();
  const first = desktop(url, store1);
  await first.signIn({ account: 'acme', email: 'ada@acme.test', password: PASSWORD });
  const token = (await store1.list(url))[0]?.token ?? '';
  await server.close();
  let signOutError: string | null = null;
  try {
    await first.signOut();
  } catch (error) {
    signOutError = error instanceof Error ? error.message : String(error);
  }
  out.signOutError = signOutError;
  out.signedInAfterSignOut = first.signedIn;
  out.sessionsAfterSignOut = (await store1.list(url)).length;
  out.queuedAfterSignOut = (await store1.pendingRevocations(url)).map((t) => t === token);
  out.keychainAfterSignOut = await keychainNames();
  first.close();

  // 2. The server is back on the same port; the session still lives there, since nobody told it.
  server = await start();
  out.serverWhileQueued = await serverKnows(url, token);

  // 3. The app starts again: its first look at the keychain sends the queue.
  const store2 = new KeychainSessionStore({ service, log: (line) => logs.push(line) });
  await store2.probe();
  const second = desktop(url, store2, 200);
  out.restored = (await second.restore()) !== null;
  out.serverAfterRestart = await serverKnows(url, token);
  out.queuedAfterRestart = (await store2.pendingRevocations(url)).length;
  out.keychainAfterRestart = await keychainNames();

  // 4. Signed in again, the server goes away, sign out; the server comes back and nothing else
  // happens: the back-off retry alone sends the revocation.
  await second.signIn({ account: 'acme', email: 'ada@acme.test', password: PASSWORD });
  const token2 = (await store2.list(url))[0]?.token ?? '';
  await server.close();
  await second.signOut();
  out.queuedWhileDown = (await store2.pendingRevocations(url)).length;
  await new Promise((resolve) => setTimeout(resolve, 300));
  server = await start();
  out.serverBeforeRetry = await serverKnows(url, token2);
  out.retrySentIt = await until(async () => (await store2.pendingRevocations(url)).length === 0, 8_000);
  out.serverAfterRetry = await serverKnows(url, token2);
  second.close();

  // 5. A queued token the server no longer knows (401) leaves the queue too.
  await store2.queueRevocation(url, 'a-token-the-server-never-issued');
  const third = desktop(url, store2);
  await third.flushRevocations();
  out.queuedAfterUnknown = (await store2.pendingRevocations(url)).length;
  third.close();

  // The device token outlives the sign-outs (when the server issues one).
  out.deviceToken = (await store2.getDeviceToken(url)) !== null;
} finally {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(JSON.stringify({ ...out, logs }));
process.exit(0);
