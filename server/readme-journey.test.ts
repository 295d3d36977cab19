// The README's curl journey (docs/curl-journey.sh), run as a user would: `npm run server` on an
// empty data directory, then the script. Keeps the README's walkthrough true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reserveFreePort } from './free-port.js';

const missing = ['curl', 'jq'].filter((tool) => spawnSync('which', [tool]).status !== 0);

test('the README journey works with curl: sign-in → enforce → forced enrolment', { skip: missing.length ? `needs ${missing.join(' and ')}` : false, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentdesk-readme-'));
  const port = await reserveFreePort('127.0.0.1');
  const server = spawn('npm', ['run', '-s', 'server'], {
    env: { ...process.env, AGENTDESK_DATA_DIR: join(dir, 'data'), PORT: String(port), LOG_LEVEL: 'warn', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('server did not start')), 60_000);
      server.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const eventsFile = join(dir, 'events.txt');
    const run = spawnSync('bash', ['docs/curl-journey.sh'], {
      env: { ...process.env, API: `http://localhost:${port}/api/v1`, EVENTS_FILE: eventsFile },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.match(run.stdout, /\{"method":"[^"]+","session":"active"\}/);
    // The recovery codes are shown, not only counted: a user of the README keeps them.
    const codes = lines.find((line) => line.startsWith('["'));
    assert.ok(codes, run.stdout);
    assert.equal(new Set(JSON.parse(codes) as string[]).size, 10);
    for (const code of JSON.parse(codes) as string[]) assert.match(code, /^[a-z2-9]{6}(?:-[a-z2-9]{6}){3}$/);
    assert.match(run.stdout, /\{"requireTwoFactor":true,"signedOutUsers":1,"revokedSessions":1,"scheduledAt":null\}/);
    assert.match(readFileSync(eventsFile, 'utf8'), /event: session.revoked\ndata: \{"reason":"two_factor_required"\}/);
    assert.match(lines.at(-2)!, /"reason":"two_factor_required"/);
    assert.match(lines.at(-1)!, /"state":"enrollment_required"/);
  } finally {
    process.kill(-server.pid!, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
});
