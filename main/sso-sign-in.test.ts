// Single sign-on from the desktop through main's IPC handlers, on plain Node: the renderer asks
// `signInWithSso`, main listens on its loopback, "opens the system browser" (here a scripted
// browser through a real OpenID Provider), exchanges the code and holds the token; the renderer
// gets the session, never the token.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, PASSWORD, signIn, startTestServer, type TestServer } from '../server/testing/harness.js';
import { Browser, startOpenIdProvider, type TestOpenIdProvider } from '../server/testing/oidc-provider.js';
import { createDesktopHandlers, dispatch } from './desktop-handlers.js';
import { DesktopSession } from './desktop-session.js';
import type { InvokeName, IpcResult } from './ipc-channels.js';
import { SecurityKeyCeremonies, securityKeyAuthenticatorFromEnvironment } from './security-key-ceremony.js';
import { MemorySessionStore } from './session-store.js';

describe('desktop: sign in with the account\'s identity provider', () => {
  let server: TestServer;
  let op: TestOpenIdProvider;
  let opened: string[];
  let invoke: <T = unknown>(name: InvokeName, ...args: unknown[]) => Promise<IpcResult<T>>;
  let providerId: string;
  /** The system browser: a fresh one per test (one that kept the provider's session would sign the same user in again). */
  let browser: Browser;
  /** What the browser does with the page it is given; by default, it follows it to the end. */
  let browserAction: (url: string) => Promise<unknown>;

  before(async () => {
    server = await startTestServer({ openSignup: true });
    op = await startOpenIdProvider({ redirectUris: [`${server.url}/api/v1/sso/oidc/callback`] });
    await createAccount(server, 'desk');
    const admin = await signIn(server, 'desk', 'admin@desk.test', PASSWORD);
    const added = await server.call('POST', '/account/identity-providers', {
      token: admin.token,
      body: { type: 'oidc', name: 'Okta', issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret, trustMfa: true, jitProvisioning: false },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    providerId = added.body.provider.id;
    op.users.set('admin-sub', { email: 'admin@desk.test', email_verified: true });
    const store = new MemorySessionStore();
    const session = new DesktopSession({ server: server.url, storeKey: server.url, store, onRevoked: () => {}, log: () => {}, ssoTimeoutMs: 1500 });
    const securityKeys = new SecurityKeyCeremonies({ authenticator: securityKeyAuthenticatorFromEnvironment({}), origin: new URL(server.url).origin, onProgress: () => {} });
    opened = [];
    const handlers = createDesktopHandlers({
      session,
      securityKeys,
      openExternal: async (url) => {
        opened.push(url);
        await browserAction(url);
      },
    });
    invoke = (name, ...args) => dispatch(handlers, name, args, () => {}) as never;
  });
  beforeEach(() => {
    browser = new Browser();
    browserAction = (url) => browser.visit(url);
  });
  after(async () => {
    await op.close();
    await server.close();
  });

  test('the system browser signs in; main keeps the token, the renderer gets the session', async () => {
    op.nextLogin = { accountId: 'admin-sub', amr: ['pwd', 'otp'] };
    const result = await invoke<{ session: { state: string }; user: { email: string } }>('signInWithSso', { account: 'desk', provider: providerId });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.value.session.state, 'active');
    assert.equal(result.value.user.email, 'admin@desk.test');
    assert.ok(!('token' in result.value), 'the token stays in main');
    assert.equal(opened.length, 1);
    assert.ok(opened[0]!.startsWith(`${op.issuer}/`), 'the provider opened in the system browser');
    const current = await invoke<{ user: { email: string } } | null>('getCurrentSession');
    assert.ok(current.ok && current.value?.user.email === 'admin@desk.test', 'main holds the session');
  });

  test('a refusal comes back to the renderer with the server\'s code', async () => {
    op.users.set('stranger', { email: 'stranger@desk.test', email_verified: true });
    op.nextLogin = { accountId: 'stranger', amr: ['pwd'] };
    const result = await invoke('signInWithSso', { account: 'desk', provider: providerId });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'sso_user_unknown');
  });

  test('a browser that never comes back ends in sso_timeout; no session is held and the loopback is closed', async () => {
    await invoke('signOut');
    op.nextLogin = { accountId: 'admin-sub', amr: ['pwd', 'otp'] };
    let redirect: URL | undefined;
    // The user signs in at the provider, but the browser never reaches the app's loopback.
    browserAction = async (url) => {
      redirect = (await browser.visit(url, { stopAt: (u) => u.hostname === '127.0.0.1' && u.pathname === '/sso/callback' })).url;
    };
    const started = Date.now();
    const result = await invoke('signInWithSso', { account: 'desk', provider: providerId });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'sso_timeout');
    assert.ok(Date.now() - started < 10_000);
    const current = await invoke('getCurrentSession');
    assert.ok(current.ok && current.value === null, 'nothing held');
    assert.equal(redirect?.pathname, '/sso/callback', 'the provider sent the browser to the loopback');
    assert.ok(redirect?.searchParams.get('code'), 'with a code');
    await assert.rejects(fetch(redirect!), 'the loopback listens no more: a late code is not taken');
  });

  test('Cancel while the browser is out: sso_cancelled at once, nothing held, the loopback closed, a late code not taken', async () => {
    await invoke('signOut');
    op.nextLogin = { accountId: 'admin-sub', amr: ['pwd', 'otp'] };
    let redirect: URL | undefined;
    let cancelled: Promise<IpcResult<unknown>> | undefined;
    // The agent gives up while the browser sits on the provider's page: the provider's answer
    // reaches the browser only after the app stopped waiting.
    browserAction = async (url) => {
      redirect = (await browser.visit(url, { stopAt: (u) => u.hostname === '127.0.0.1' && u.pathname === '/sso/callback' })).url;
      cancelled = invoke('cancelSignInWithSso');
    };
    const started = Date.now();
    const result = await invoke('signInWithSso', { account: 'desk', provider: providerId });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'sso_cancelled');
    assert.ok((await cancelled!).ok);
    assert.ok(Date.now() - started < 1_400, 'ended by the cancel, not by the 1.5 s timeout');
    const current = await invoke('getCurrentSession');
    assert.ok(current.ok && current.value === null, 'nothing held');
    assert.ok(redirect?.searchParams.get('code'), 'the provider had answered');
    await assert.rejects(fetch(redirect!), 'the loopback listens no more: the late code is not taken');
    // Cancelling with nothing in flight is harmless, and the next sign-in works.
    assert.ok((await invoke('cancelSignInWithSso')).ok);
    browserAction = (url) => browser.visit(url);
    op.nextLogin = { accountId: 'admin-sub', amr: ['pwd', 'otp'] };
    const again = await invoke<{ session: { state: string } }>('signInWithSso', { account: 'desk', provider: providerId });
    assert.ok(again.ok && again.value.session.state === 'active', JSON.stringify(again));
    // Signed out again: a held session keeps its event stream (and its reconnects) alive.
    await invoke('signOut');
  });

  test('the arguments are checked before anything leaves main', async () => {
    const before = opened.length;
    const result = await invoke('signInWithSso', { account: 'desk', provider: providerId, redirectUri: 'http://evil.example/' });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'invalid_request');
    assert.equal(opened.length, before, 'no browser opened');
  });
});
