// Each user's language kept on the server (PRODUCT.md "Languages", issue 19): chosen under My
// security (PUT /me/language), answered by GET /me and at sign-in so it follows the user to
// another desk, audited, set by the inviting admin, shown in the users list and its export.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { createAccount, createUser, enrolTotp, signIn, startTestServer, tableCounts, type TestServer } from '../testing/harness.js';
import { languageOfAcceptLanguage } from '../mail/languages.js';

describe('a user\'s language', () => {
  let server: TestServer;
  let adminToken: string;
  let agentToken: string;
  let agentId: string;
  const slug = 'lang';

  before(async () => {
    server = await startTestServer({ openSignup: true });
    const acc = await createAccount(server, slug);
    const first = await signIn(server, slug, acc.user.email);
    adminToken = (await enrolTotp(server, first.token)).token ?? first.token;
    agentId = (await createUser(server, adminToken, slug, 'Ana')).id;
    agentToken = (await signIn(server, slug, `ana@${slug}.test`)).token;
  });
  after(() => server.close());

  const languageOf = async (id: string) => (await server.db.selectFrom('users').select('language').where('id', '=', id).executeTakeFirstOrThrow()).language ?? null;

  test('null until chosen: the device decides', async () => {
    const me = await server.call('GET', '/me', { token: agentToken });
    assert.equal(me.status, 200);
    assert.equal(me.body.user.language, null);
  });

  test('chosen under My security, it is answered by GET /me and at the next sign-in on another desk, and audited', async () => {
    const res = await server.call('PUT', '/me/language', { token: agentToken, body: { language: 'pt-PT' } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { language: 'pt-PT' });
    assert.equal((await server.call('GET', '/me', { token: agentToken })).body.user.language, 'pt-PT');
    // Another desk: the sign-in answer and the session carry it.
    const elsewhere = await server.call('POST', '/sessions', { body: { account: slug, email: `ana@${slug}.test`, password: 'correct horse battery staple' }, headers: { 'accept-language': 'en-US' } });
    assert.equal(elsewhere.status, 201);
    assert.equal(elsewhere.body.user.language, 'pt-PT');
    assert.equal((await server.call('GET', '/sessions/current', { token: elsewhere.body.token })).body.user.language, 'pt-PT');

    const audit = await server.call('GET', '/account/audit-events?action=user.language_changed', { token: adminToken });
    assert.equal(audit.status, 200);
    const entry = audit.body.events.find((e: { details: { userId: string } }) => e.details.userId === agentId);
    assert.ok(entry, 'an audit entry');
    assert.deepEqual(entry.details.language, { from: null, to: 'pt-PT' });
    assert.equal(entry.actor.email, `ana@${slug}.test`);

    // The same choice again changes nothing and records nothing.
    const entries = (await server.db.selectFrom('audit_events').select('id').where('action', '=', 'user.language_changed').execute()).length;
    assert.equal((await server.call('PUT', '/me/language', { token: agentToken, body: { language: 'pt-PT' } })).status, 200);
    assert.equal((await server.db.selectFrom('audit_events').select('id').where('action', '=', 'user.language_changed').execute()).length, entries);

    // Back to "as the device".
    assert.deepEqual((await server.call('PUT', '/me/language', { token: agentToken, body: { language: null } })).body, { language: null });
    assert.equal(await languageOf(agentId), null);
  });

  test('a language we do not speak, or a malformed body, is refused with invalid_request and changes nothing', async () => {
    await server.call('PUT', '/me/language', { token: agentToken, body: { language: 'es' } });
    for (const body of [{ language: 'fr' }, { language: 'pt' }, { language: 'PT-pt' }, { language: 'es-MX' }, { language: '' }, { language: 1 }, {}, { language: 'es', name: 'x' }]) {
      const counts = await tableCounts(server);
      const res = await server.call('PUT', '/me/language', { token: agentToken, body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, 'invalid_request', JSON.stringify(body));
      assert.deepEqual(await tableCounts(server), counts);
      assert.equal(await languageOf(agentId), 'es');
    }
    const anonymous = await server.call('PUT', '/me/language', { body: { language: 'en' } });
    assert.equal(anonymous.status, 401);
    assert.equal(await languageOf(agentId), 'es');
  });

  test('one user\'s choice is their own: it never changes another user of the account', async () => {
    const before = await languageOf(agentId);
    await server.call('PUT', '/me/language', { token: adminToken, body: { language: 'pt-BR' } });
    assert.equal(await languageOf(agentId), before);
    await server.call('PUT', '/me/language', { token: adminToken, body: { language: null } });
  });

  test('the inviting admin may set the invitee\'s language; the users list and the export show it', async () => {
    const res = await server.call('POST', '/account/users', { token: adminToken, body: { name: 'Bia', email: `bia@${slug}.test`, role: 'agent', language: 'pt-BR' } });
    assert.equal(res.status, 201);
    assert.equal(res.body.user.language, 'pt-BR');
    assert.equal(await languageOf(res.body.user.id), 'pt-BR');
    const without = await server.call('POST', '/account/users', { token: adminToken, body: { name: 'Cid', email: `cid@${slug}.test`, role: 'agent' } });
    assert.equal(without.body.user.language, null, 'no language given: the device decides');

    const list = await server.call('GET', '/account/users?sort=name', { token: adminToken });
    const byName = Object.fromEntries(list.body.users.map((u: { name: string; language: string | null }) => [u.name, u.language]));
    assert.equal(byName.Bia, 'pt-BR');
    assert.equal(byName.Cid, null);
    assert.equal(byName.Ana, 'es');

    const csv = await fetch(`${server.base}/account/users/export`, { headers: { authorization: `Bearer ${adminToken}` } });
    const rows = parse(await csv.text()) as string[][];
    const column = rows[0]!.indexOf('language');
    assert.ok(column > 0);
    assert.equal(rows.find((r) => r[0] === 'Bia')![column], 'pt-BR');
    assert.equal(rows.find((r) => r[0] === 'Cid')![column], '');

    const counts = await tableCounts(server);
    const bad = await server.call('POST', '/account/users', { token: adminToken, body: { name: 'Dan', email: `dan@${slug}.test`, role: 'agent', language: 'de' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_request');
    assert.deepEqual(await tableCounts(server), counts);
  });

  test('a bulk invitation may carry a language column; a language we do not speak is a row error', async () => {
    const csv = (body: string) => server.call('POST', '/account/users/import', { token: adminToken, raw: body, headers: { 'content-type': 'text/csv' } });
    const rejected = await csv('name,email,role,language\nEva,eva@lang.test,agent,es\nFil,fil@lang.test,agent,fr\n');
    assert.equal(rejected.status, 400);
    assert.deepEqual(rejected.body.error.errors.map((e: { line: number; code: string }) => [e.line, e.code]), [[3, 'unknown_language']]);
    const done = await csv('name,email,role,language\nEva,eva@lang.test,agent,ES\nFil,fil@lang.test,agent,\nGil,gil@lang.test,agent,pt-pt\n');
    assert.equal(done.status, 201);
    const languages = Object.fromEntries(done.body.invitations.map((i: { user: { name: string; language: string | null } }) => [i.user.name, i.user.language]));
    assert.deepEqual(languages, { Eva: 'es', Fil: null, Gil: 'pt-PT' });
  });
});

test('Accept-Language: the first of ours by quality; Portuguese by region; nothing of ours is none', () => {
  assert.equal(languageOfAcceptLanguage('pt-BR,pt;q=0.9,en;q=0.8'), 'pt-BR');
  assert.equal(languageOfAcceptLanguage('fr-FR,fr;q=0.9,es;q=0.8,en;q=0.7'), 'es');
  assert.equal(languageOfAcceptLanguage('en;q=0.5, pt-PT'), 'pt-PT', 'by quality, not by order');
  assert.equal(languageOfAcceptLanguage('pt'), 'pt-PT');
  assert.equal(languageOfAcceptLanguage('pt-AO'), 'pt-PT');
  assert.equal(languageOfAcceptLanguage('es-419'), 'es');
  assert.equal(languageOfAcceptLanguage('es;q=0, en'), 'en', 'q=0 is "not this one"');
  assert.equal(languageOfAcceptLanguage('de, fr'), null);
  assert.equal(languageOfAcceptLanguage('*'), null);
  assert.equal(languageOfAcceptLanguage('!!!, ;;;, es'), 'es', 'what does not parse is skipped');
  assert.equal(languageOfAcceptLanguage(undefined), null);
  assert.equal(languageOfAcceptLanguage(`${'x-'.repeat(5000)}`), null, 'a huge header is read bounded');
});
