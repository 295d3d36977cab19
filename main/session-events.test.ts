// The event-stream client on its own: parsing as the spec says, back-off, and what it does when
// the connection drops or the server no longer knows the session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerConnectionChanged } from '../preload/agentdesk-api.js';
import { createAccount, startTestServer } from '../server/testing/harness.js';
import { DesktopSession } from './desktop-session.js';
import { EventStreamParser, backoffDelay, connectSessionEvents } from './session-events.js';
import { MemorySessionStore } from './session-store.js';

test('the parser handles CRLF, split chunks, comments and multi-line data', () => {
  const parser = new EventStreamParser();
  assert.deepEqual(parser.push(': keep-alive\r\n\r\nretry: 3000\r\n\r\nevent: ready\r\nda'), []);
  assert.deepEqual(parser.push('ta: {}\r'), []);
  assert.deepEqual(parser.push('\n\r\nevent: session.revoked\ndata: {"reason":\ndata: "x"}\n\n'), [
    { event: 'ready', data: '{}' },
    { event: 'session.revoked', data: '{"reason":\n"x"}' },
  ]);
});

test('back-off doubles up to the cap, with jitter', () => {
  assert.equal(backoffDelay(0, 1000, 30_000, () => 0.5), 1000);
  assert.equal(backoffDelay(3, 1000, 30_000, () => 0.5), 8000);
  assert.equal(backoffDelay(20, 1000, 30_000, () => 0.5), 30_000);
  assert.equal(backoffDelay(0, 1000, 30_000, () => 0), 800);
  assert.equal(backoffDelay(0, 1000, 30_000, () => 1), 1200);
});

/** A stand-in for GET /events whose behaviour each test scripts, connection by connection. */
async function eventServer(answer: (n: number, req: http.IncomingMessage, res: http.ServerResponse) => void) {
  let connections = 0;
  const server = http.createServer((req, res) => answer(connections++, req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/events`,
    get connections() {
      return connections;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

test('a dropped stream is reopened with back-off and the bearer token, then a revocation ends it', async () => {
  const tokens: (string | undefined)[] = [];
  const server = await eventServer((n, req, res) => {
    tokens.push(req.headers.authorization);
    if (n === 0) return res.destroy(); // network drop before anything
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('event: ready\ndata: {}\n\n');
    if (n === 1) return res.end(); // server restart: stream ends
    setTimeout(() => res.end('event: session.revoked\ndata: {"reason":"two_factor_reset"}\n\n'), 20);
  });
  const reasons: string[] = [];
  const changes: string[] = [];
  let connected = 0;
  await new Promise<void>((resolve) => {
    connectSessionEvents({
      url: server.url,
      token: 'tok',
      initialDelayMs: 10,
      maxDelayMs: 50,
      onConnected: () => connected++,
      onConnectionChange: (state) => changes.push(state),
      onRevoked: (reason) => {
        reasons.push(reason);
        resolve();
      },
    });
  });
  assert.deepEqual(reasons, ['two_factor_reset']);
  assert.deepEqual(changes, ['dropped', 'restored', 'dropped', 'restored'], 'each drop and each return, once');
  assert.equal(connected, 2);
  assert.equal(server.connections, 3);
  assert.deepEqual(new Set(tokens), new Set(['Bearer tok']));
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(server.connections, 3, 'no reconnect after the revocation');
  await server.close();
});

test('a reconnect the server refuses with 401 means the session ended while away', async () => {
  const server = await eventServer((n, _req, res) => {
    if (n === 0) return res.destroy();
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":"unauthenticated","message":"x"}}');
  });
  const changes: string[] = [];
  const reason = await new Promise<string>((resolve) => connectSessionEvents({ url: server.url, token: 't', initialDelayMs: 10, onRevoked: resolve, onConnectionChange: (state) => changes.push(state) }));
  assert.equal(reason, 'expired');
  assert.deepEqual(changes, ['dropped', 'restored'], 'a 401 is an answer: the server is back');
  await server.close();
});

test('a silent connection (no heartbeat) is dropped and reopened; close stops everything', async () => {
  const server = await eventServer((_n, _req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('event: ready\ndata: {}\n\n'); // then nothing, ever
  });
  let connected = 0;
  let wake: () => void = () => {};
  const connection = connectSessionEvents({ url: server.url, token: 't', initialDelayMs: 10, idleTimeoutMs: 100, onRevoked: () => assert.fail('not revoked'), onConnected: () => ++connected >= 2 && wake() });
  await new Promise<void>((resolve) => (wake = resolve));
  connection.close();
  assert.equal(connection.closed, true);
  const count = server.connections;
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(server.connections, count);
  await server.close();
});

test('account.updated is handed on with its setting; the stream stays open', async () => {
  const server = await eventServer((_n, _req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('event: ready\ndata: {}\n\n');
    res.write('event: account.updated\ndata: {"requireTwoFactor":true}\n\n');
    res.write('event: account.updated\ndata: not json\n\n');
    setTimeout(() => res.write('event: account.updated\ndata: {"requireTwoFactor":false}\n\n'), 20);
  });
  const updates: boolean[] = [];
  const connection = await new Promise<ReturnType<typeof connectSessionEvents>>((resolve) => {
    const c = connectSessionEvents({
      url: server.url,
      token: 'tok',
      onRevoked: () => assert.fail('not revoked'),
      onAccountUpdated: ({ requireTwoFactor }) => {
        updates.push(requireTwoFactor);
        if (updates.length === 2) resolve(c);
      },
    });
  });
  assert.deepEqual(updates, [true, false]);
  assert.equal(connection.closed, false);
  connection.close();
  await server.close();
});

/** Resolves once `check` holds, polling; fails after `timeoutMs`. */
async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) assert.fail(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// Issue 19: main did not tell the window when its own event stream dropped; the banner came up
// only when a call failed. Now the window hears `dropped` once per outage, then `restored`.
test('the server stopped and started again: main tells the window its stream dropped, once, then that it is back', async () => {
  const server = await startTestServer({ openSignup: true });
  const changes: ServerConnectionChanged[] = [];
  let session: DesktopSession | undefined;
  try {
    const account = await createAccount(server, 'outage');
    session = new DesktopSession({
      server: server.url,
      store: new MemorySessionStore(),
      onRevoked: () => assert.fail('the session outlives a server restart'),
      onServerConnection: (event) => changes.push(event),
      events: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    const signedIn = await session.signIn({ account: 'outage', email: account.user.email, password: 'correct horse battery staple' });
    assert.equal(signedIn.session.state, 'active');
    await until(() => server.context.events.openStreams === 1, 'main holds the stream');
    assert.deepEqual(changes, [], 'nothing to say while the stream is up');

    await server.stop();
    await until(() => changes.length >= 1, 'dropped');
    // Several reconnects fail meanwhile: the window is told once.
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.deepEqual(changes, [{ state: 'dropped' }]);

    await server.start();
    await until(() => changes.length >= 2, 'restored');
    assert.deepEqual(changes, [{ state: 'dropped' }, { state: 'restored' }]);
    assert.equal(session.signedIn, true);
    assert.equal((await session.current())?.session.state, 'active', 'the same session, served by the restarted server');
  } finally {
    session?.close();
    await server.close();
  }
});
