// Slow and greedy clients over real sockets: headers or a body dripped byte by byte, a kept-alive
// connection left idle, one address opening connection after connection. Each is cut off by a
// limit (configured short here), while an event stream, a long-lived answer, stays open.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { createAccount, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { openSocket } from '../testing/raw-http.js';

/** Resolves with what the server sent and how long it took, once it closes the connection. */
function closedByServer(socket: Socket, startedAt = Date.now()): Promise<{ ms: number; data: string }> {
  return new Promise((resolve) => {
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('error', () => {});
    socket.on('close', () => resolve({ ms: Date.now() - startedAt, data }));
  });
}

/** Writes `chunks` one every `everyMs` while the socket is open. */
function drip(socket: Socket, chunks: string[], everyMs: number): NodeJS.Timeout {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || i >= chunks.length) return clearInterval(timer);
    socket.write(chunks[i++]!);
  }, everyMs);
  return timer;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('request timeouts', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ headersTimeoutMs: 600, requestTimeoutMs: 1_000, keepAliveTimeoutMs: 400, maxConnectionsPerAddress: 1_000 });
  });
  after(() => server.close());

  // Attack (slowloris): headers sent a few bytes at a time keep a connection, and a slot,
  // forever. Past the headers timeout the server answers 408 and closes.
  test('headers dripped slowly are cut off at the headers timeout', async () => {
    const socket = await openSocket(server.port);
    const closed = closedByServer(socket);
    socket.write('GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n');
    const timer = drip(socket, Array.from({ length: 100 }, (_, i) => `X-Slow-${i}: y\r\n`), 100);
    const { ms, data } = await closed;
    clearInterval(timer);
    assert.ok(ms < 2_500, `closed after ${ms} ms`);
    assert.match(data, /^HTTP\/1\.1 408 /);
    assert.equal(JSON.parse(data.slice(data.indexOf('\r\n\r\n') + 4)).error.code, 'request_timeout');
  });

  // Attack (slow POST / R.U.D.Y.): a body dripped a byte at a time, well inside the body limit,
  // ties up the connection. Past the request timeout it is answered 408 and closed.
  test('a body dripped slowly is cut off at the request timeout', async () => {
    const socket = await openSocket(server.port);
    const closed = closedByServer(socket);
    socket.write('POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n{');
    const timer = drip(socket, Array.from({ length: 200 }, () => ' '), 50);
    const { ms, data } = await closed;
    clearInterval(timer);
    assert.ok(ms < 2_500, `closed after ${ms} ms`);
    assert.match(data, /^HTTP\/1\.1 408 /);
  });

  test('300 slow bodies and 50 slow headers at once are all cut off', async () => {
    const started = Date.now();
    const sockets = await Promise.all(Array.from({ length: 350 }, () => openSocket(server.port)));
    const closed = sockets.map((s) => closedByServer(s, started));
    const timers = sockets.map((socket, i) => {
      if (i % 7 === 0) {
        socket.write('GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n');
        return drip(socket, Array.from({ length: 100 }, () => 'X-A: b\r\n'), 100);
      }
      socket.write('POST /api/v1/accounts HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n');
      return drip(socket, Array.from({ length: 200 }, () => ' '), 100);
    });
    const results = await Promise.all(closed);
    for (const t of timers) clearInterval(t);
    const slowest = Math.max(...results.map((r) => r.ms));
    // Without the timeouts every one of them was still open after 90 s; with 0.6 s / 1 s limits
    // the last goes within seconds even on a loaded 2-core machine.
    assert.ok(slowest < 15_000, `the last slow client was closed after ${slowest} ms`);
    // The server still answers everyone else.
    assert.equal((await server.call('GET', '/health')).status, 200);
  });

  test('a kept-alive connection left idle is closed at the keep-alive timeout', async () => {
    const socket = await openSocket(server.port);
    const closed = closedByServer(socket);
    socket.write('GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const { ms, data } = await closed;
    assert.match(data, /^HTTP\/1\.1 200 /);
    assert.ok(ms < 2_000, `idle connection closed after ${ms} ms`);
  });

  test('an event stream outlives the request timeout and still gets its event', async () => {
    const acc = await createAccount(server, 'slow');
    const s = await signIn(server, 'slow', acc.user.email);
    const socket = await openSocket(server.port);
    const closed = closedByServer(socket);
    socket.write(`GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${s.token}\r\n\r\n`);
    await sleep(2_500); // longer than the headers, request and keep-alive timeouts together
    assert.equal(socket.destroyed, false, 'the event stream was closed by a timeout');
    assert.equal((await server.call('DELETE', '/sessions/current', { token: s.token })).status, 204);
    const { data } = await closed;
    assert.match(data, /event: ready/);
    assert.match(data, /event: session\.revoked\ndata: \{"reason":"signed_out"\}/);
  });
});

describe('connections per client address', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ maxConnectionsPerAddress: 10 });
  });
  after(() => server.close());

  // Attack: one address opens connections until the process runs out of file descriptors, and
  // nobody else can connect. Past the limit, a new connection from that address is closed at once.
  test('connections beyond the limit from one address are closed at once', async () => {
    const held = await Promise.all(Array.from({ length: 10 }, () => openSocket(server.port)));
    for (const s of held) s.on('error', () => {});
    const extra = await openSocket(server.port);
    const { ms, data } = await closedByServer(extra);
    assert.equal(data, '');
    assert.ok(ms < 1_000, `closed after ${ms} ms`);
    // A held one still works; once one closes, a new connection is served again.
    const first = held[0]!;
    const answered = closedByServer(first);
    first.write('GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    assert.match((await answered).data, /^HTTP\/1\.1 200 /);
    await sleep(50);
    const again = await openSocket(server.port);
    const answeredAgain = closedByServer(again);
    again.write('GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    assert.match((await answeredAgain).data, /^HTTP\/1\.1 200 /);
    for (const s of held) s.destroy();
  });
});
