// The window's rules on plain Node: which senders main answers, which links leave the app, and
// that the app:// protocol cannot be walked out of the renderer's folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { contentTypeOf, externalLink, isOwnTopFrame, rendererContentSecurityPolicy, rendererFileFor } from './window-policy.js';

test('only our own top-level frame may call main', () => {
  assert.equal(isOwnTopFrame({ url: 'app://agentdesk/index.html', isTopFrame: true }), true);
  assert.equal(isOwnTopFrame({ url: 'app://agentdesk/admin/security', isTopFrame: true }), true);
  assert.equal(isOwnTopFrame({ url: 'app://agentdesk/index.html', isTopFrame: false }), false, 'an iframe');
  for (const url of ['app://evil/index.html', 'app://agentdesk.evil/', 'https://agentdesk/', 'file:///index.html', 'http://localhost:4800/', 'app://user@agentdesk:1/', 'not a url', '']) {
    assert.equal(isOwnTopFrame({ url, isTopFrame: true }), false, url);
  }
  assert.equal(isOwnTopFrame(null), false);
});

test('only parsed http(s) links open in the system browser', () => {
  assert.equal(externalLink('https://support.example.com/2fa?x=1'), 'https://support.example.com/2fa?x=1');
  assert.equal(externalLink('http://example.com'), 'http://example.com/');
  for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'ms-settings:', 'app://agentdesk/', 'https://user:pw@example.com/', '//example.com', 'example.com']) {
    assert.equal(externalLink(url), null, url);
  }
});

test('app:// serves files of the renderer folder only', () => {
  const root = resolve('/opt/agentdesk/renderer');
  assert.equal(rendererFileFor('app://agentdesk/', root), join(root, 'index.html'));
  assert.equal(rendererFileFor('app://agentdesk/index.html', root), join(root, 'index.html'));
  assert.equal(rendererFileFor('app://agentdesk/assets/index-abc.js', root), join(root, 'assets/index-abc.js'));
  assert.equal(rendererFileFor('app://agentdesk/admin/security', root), join(root, 'index.html'), 'a screen of the app');
  for (const url of ['app://agentdesk/../../etc/passwd.txt', 'app://agentdesk/%2e%2e/%2e%2e/etc/passwd.txt', 'app://agentdesk/assets/..%2f..%2f..%2fsecret.js', 'app://agentdesk/a%5c..%5c..%5cx.js', 'app://agentdesk/%00.js', 'app://other/index.html', 'file:///index.html', 'app://agentdesk/%E0%A4%A.js']) {
    const file = rendererFileFor(url, root);
    assert.ok(file === null || file.startsWith(root + '/'), `${url} → ${file}`);
  }
  // The URL parser folds dot segments first, so they can only land inside the root.
  assert.equal(rendererFileFor('app://agentdesk/%2e%2e/%2e%2e/etc/passwd.txt', root), join(root, 'etc/passwd.txt'));
  assert.equal(rendererFileFor('app://agentdesk/assets/..%2f..%2f..%2fsecret.js', root), null);
  assert.equal(contentTypeOf('x/index-abc.JS'), 'text/javascript; charset=utf-8');
  assert.equal(contentTypeOf('x/unknown.bin'), 'application/octet-stream');
});

test('the renderer policy allows no remote or inline code', () => {
  const directives = new Map(rendererContentSecurityPolicy.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
  assert.deepEqual(directives.get('default-src'), ["'none'"]);
  assert.deepEqual(directives.get('script-src'), ["'self'"]);
  assert.deepEqual(directives.get('object-src'), ["'none'"]);
  assert.deepEqual(directives.get('frame-ancestors'), ["'none'"]);
  assert.ok(!rendererContentSecurityPolicy.includes('unsafe-'));
});
