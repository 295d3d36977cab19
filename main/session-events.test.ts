// The event-stream client on its own: parsing as the spec says, back-off, and what it does when
// the connection drops or the server no longer knows the session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerConnectionChanged } from '../preload/agentdesk-api.js';
import { createAccount, createUser, enrolTotp, signIn, startTestServer } from '../server/testing/harness.js';
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

test('a 401 on reconnect hands on the reason the server gives', async () => {
  const server = await eventServer((n, _req, res) => {
    if (n === 0) return res.destroy();
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":"unauthenticated","message":"x","reason":"signed_out_by_admin"}}');
  });
  const reason = await new Promise<string>((resolve) => connectSessionEvents({ url: server.url, token: 't', initialDelayMs: 10, onRevoked: resolve }));
  assert.equal(reason, 'signed_out_by_admin');
  await server.close();
});

// Rolling restarts: a draining instance sends `reconnect` and ends the stream. The client opens
// the next one at once (the first retry would otherwise wait its back-off) and says nothing to
// the window: no "connection lost" banner flashes while another instance takes over.
test('`reconnect` reopens the stream at once, with no dropped/restored said', async () => {
  const opened: number[] = [];
  const server = await eventServer((n, _req, res) => {
    opened.push(performance.now());
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('event: ready\ndata: {}\n\n');
    if (n === 0) setTimeout(() => res.end('event: reconnect\ndata: {}\n\n'), 20);
  });
  const changes: string[] = [];
  let connected = 0;
  let wake: () => void = () => {};
  const connection = connectSessionEvents({
    url: server.url,
    token: 't',
    initialDelayMs: 5_000,
    onRevoked: () => assert.fail('a reconnect is not a sign-out'),
    onConnectionChange: (state) => changes.push(state),
    onConnected: () => ++connected === 2 && wake(),
  });
  await new Promise<void>((resolve) => (wake = resolve));
  assert.ok(opened[1]! - opened[0]! < 1_000, `reopened after ${Math.round(opened[1]! - opened[0]!)} ms, not after the 5 s back-off`);
  assert.deepEqual(changes, []);
  connection.close();
  await server.close();
});

test('a draining server that only ever says `reconnect` is not reopened in a tight loop', async () => {
  const server = await eventServer((_n, _req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', connection: 'close' });
    res.end('retry: 500\n\nevent: reconnect\ndata: {}\n\n');
  });
  const changes: string[] = [];
  const connection = connectSessionEvents({ url: server.url, token: 't', initialDelayMs: 300, onRevoked: () => assert.fail('not revoked'), onConnectionChange: (state) => changes.push(state) });
  await new Promise((resolve) => setTimeout(resolve, 200));
  connection.close();
  assert.ok(server.connections <= 4, `${server.connections} connections in 200 ms`);
  assert.deepEqual(changes, ['dropped']);
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

// A rolling restart against the real server: the instance holding the stream shuts down
// gracefully (`reconnect`), and while the client is away an admin signs the user out. The
// client learns it on its next connection, with the admin's reason, not a generic "expired".
test('a graceful shutdown says reconnect; a session revoked meanwhile is learnt on reconnecting, with its reason', async () => {
  const server = await startTestServer({ openSignup: true });
  const changes: string[] = [];
  const log: string[] = [];
  let connection: ReturnType<typeof connectSessionEvents> | undefined;
  try {
    const account = await createAccount(server, 'rolling');
    const admin = await enrolTotp(server, (await signIn(server, 'rolling', account.user.email)).token);
    const agent = await createUser(server, admin.token, 'rolling', 'Ida');
    const session = await signIn(server, 'rolling', agent.email);
    let revokedWith: (reason: string) => void = () => {};
    const revoked = new Promise<string>((resolve) => (revokedWith = resolve));
    connection = connectSessionEvents({
      url: `${server.base}/events`,
      token: session.token,
      // The reconnect after the failed immediate one waits ~3 s: time to restart and sign out.
      initialDelayMs: 3_000,
      maxDelayMs: 3_000,
      onRevoked: (reason) => revokedWith(reason),
      onConnectionChange: (state) => changes.push(state),
      log: (line) => log.push(line),
    });
    await until(() => server.context.events.openStreams === 1, 'the stream is open');

    await server.stop();
    await until(() => log.length >= 2, 'the client reconnects');
    assert.match(log.join('\n'), /asked to reconnect/);
    await server.start();
    const out = await server.call('DELETE', `/account/users/${agent.id}/sessions`, { token: admin.token });
    assert.equal(out.status, 200, JSON.stringify(out.body));

    assert.equal(await revoked, 'signed_out_by_admin');
    assert.deepEqual(changes, ['dropped', 'restored']);
  } finally {
    connection?.close();
    await server.close();
  }
});
