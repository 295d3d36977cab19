// Names (people, accounts, methods) refuse control characters and bidirectional controls at
// every door they come in by: account creation, an invitation, the CSV bulk import and a
// method's name. Ordinary names in any script still pass.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, tableCounts, type TestServer } from '../testing/harness.js';
import { accountWithAdmin, signInOn } from '../testing/rollout-helpers.js';

// One of each class: C0 (CR, LF, tab, NUL, ESC), DEL, C1 (NEL, CSI), the line and paragraph
// separators, and the bidirectional marks, embeddings, overrides and isolates.
const FORBIDDEN = ['\r', '\n', '\t', '\u0000', '\u001B', '\u007F', '\u0085', '\u009B', '\u2028', '\u2029', '\u061C', '\u200E', '\u200F', '\u202A', '\u202D', '\u202E', '\u2066', '\u2069'];
const hex = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

describe('names refuse control characters and bidirectional controls', () => {
  let server: TestServer;
  let admin: Awaited<ReturnType<typeof accountWithAdmin>>;
  const slug = 'names';

  before(async () => {
    server = await startTestServer({ openSignup: true });
    admin = await accountWithAdmin(server, slug);
  });
  after(() => server.close());

  async function refused(method: string, path: string, init: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> }, code = 'invalid_request') {
    const before = await tableCounts(server);
    const res = await server.call(method, path, init);
    assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(init.body ?? init.raw)}: ${res.status} ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, code);
    assert.deepEqual(await tableCounts(server), before, `${method} ${path} changed the store`);
    return res;
  }

  test('an invitation whose name holds a line break or a right-to-left override is refused, nothing created', async () => {
    // Attack: a display-name spoof — "Eve" + U+202E + "nimda" shows as "Eve admin" in the users
    // list and the audit; a CR/LF forges a line of its own in mails and the audit's CSV.
    for (const c of FORBIDDEN) {
      await refused('POST', '/account/users', { token: admin.token, body: { name: `Eve${c}nimda`, email: `eve${FORBIDDEN.indexOf(c)}@names.test`, role: 'agent' } });
    }
    const fine = await server.call('POST', '/account/users', { token: admin.token, body: { name: 'José Ñúñez-محمد 李', email: 'jose@names.test', role: 'agent' } });
    assert.equal(fine.status, 201, JSON.stringify(fine.body));
    assert.equal(fine.body.user.name, 'José Ñúñez-محمد 李');
  });

  test('a new account refuses them in its own name and its admin’s', async () => {
    // Attack: a display-name spoof in the account's name (shown in every invitation mail) or its first admin's.
    for (const c of ['\n', '\u202E', '\u0085', '\u2066']) {
      const admin = { name: 'Ana', email: 'ana@new-names.test', password: 'correct horse battery staple' };
      await refused('POST', '/accounts', { body: { name: `New${c}Names`, slug: 'new-names', admin } });
      await refused('POST', '/accounts', { body: { name: 'New Names', slug: 'new-names', admin: { ...admin, name: `Ana${c}` } } });
    }
  });

  test('the CSV bulk import refuses the file with a row error for such a name, nothing created', async () => {
    // Attack: the same spoof by the bulk import, where a quoted CSV field may hold a line break.
    const csv = `name,email,role\nGood Name,good@names.test,agent\n"Mallory\u202Enimda",mallory@names.test,agent\n"Two\r\nLines",two@names.test,agent\n`;
    const dry = await server.call('POST', '/account/users/import?dryRun=true', { token: admin.token, raw: csv, headers: { 'content-type': 'text/csv' } });
    assert.equal(dry.status, 200, JSON.stringify(dry.body));
    assert.deepEqual(dry.body.errors.map((e: any) => [e.line, e.code]), [[3, 'invalid_name'], [4, 'invalid_name']]);
    assert.deepEqual(dry.body.counts, { rows: 3, valid: 1, invalid: 2 });
    const real = await refused('POST', '/account/users/import', { token: admin.token, raw: csv, headers: { 'content-type': 'text/csv' } }, 'import_rejected');
    assert.equal(real.body.error.errors.length, 2);
  });

  test('a method’s name refuses them too', async () => {
    // Attack: a security key named with a right-to-left override reads as another key in the lists and the audit.
    const u = await server.call('POST', '/account/users', { token: admin.token, body: { name: 'Kai', email: 'kai@names.test', role: 'agent' } });
    assert.equal(u.status, 201);
    const token = new URL(u.body.invitation.link.replace('#/', '')).searchParams.get('token');
    assert.ok((await server.call('POST', '/invitations/accept', { body: { token, password: 'correct horse battery staple' } })).status < 300);
    const s = await signInOn(server, slug, 'kai@names.test');
    for (const c of ['\n', '\u202E', '\u200F']) {
      const res = await server.call('POST', '/me/methods/totp', { token: s.token, body: { name: `Phone${c}` } });
      assert.equal(res.status, 400, `${hex(c)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'invalid_request');
    }
  });
});
