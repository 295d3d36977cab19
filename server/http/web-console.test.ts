// The web console host: the built renderer at / with its security headers, the API left alone,
// and a page opened at a loopback IP sent to the public origin (WebAuthn refuses an IP as RP ID).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../testing/harness.js';

describe('web console', () => {
  let server: TestServer;
  const root = mkdtempSync(join(tmpdir(), 'agentdesk-webroot-'));

  before(async () => {
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>AgentDesk</title>');
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'assets', 'app-1234.js'), 'console.log(1)');
    server = await startTestServer({ webRoot: root });
  });
  after(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('pages come with a strict CSP; unknown paths get the app; hashed assets are immutable', async () => {
    const page = await fetch(`${server.url}/admin/users`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>AgentDesk<\/title>/);
    assert.match(page.headers.get('content-security-policy')!, /script-src 'self'/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    const asset = await fetch(`${server.url}/assets/app-1234.js`);
    assert.match(asset.headers.get('cache-control')!, /immutable/);
    assert.equal((await fetch(`${server.url}/assets/missing.js`)).status, 404);
  });

  test('the API is not shadowed by the console', async () => {
    const res = await fetch(`${server.url}/api/v1/nope`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'not_found');
  });

  test('a page opened at 127.0.0.1 is sent to the public origin on localhost', async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/security?x=1`, { redirect: 'manual' });
    assert.equal(res.status, 308);
    assert.equal(res.headers.get('location'), `http://localhost:${server.port}/security?x=1`);
  });
});
