// SCIM 2.0 provisioning (PRODUCT.md "Enterprise sign-in"; RFC 7643/7644), driven over real HTTP
// against a real server with the request sequences Okta and Entra ID send: find by userName,
// create, patch `active` off (the user is signed out everywhere at once, their stream told) and
// on again; pagination; filters we do not support refused plainly; per-account tokens that are
// shown once, hashed and revocable; and the attacks on them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashToken } from '../crypto/tokens.js';
import { createAccount, createUser, signIn, startTestServer, tableCounts, type TestServer } from '../testing/harness.js';
import { openEvents } from '../testing/event-stream.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

describe('SCIM 2.0 provisioning', () => {
  let server: TestServer;
  let adminToken: string;
  let otherAdminToken: string;
  const slug = 'scim';

  /** A request to /scim/v2 as an identity provider sends it (application/scim+json). */
  async function scim(method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${server.url}/scim/v2${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }

  async function newToken(admin: string, name: string) {
    const res = await server.call('POST', '/account/scim-tokens', { token: admin, body: { name } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; name: string; token: string };
  }

  function assertScimError(res: { status: number; body: { schemas: string[]; status: string; scimType?: string }; headers: Headers }, status: number, scimType?: string) {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.match(res.headers.get('content-type') ?? '', /^application\/scim\+json/);
    assert.deepEqual(res.body.schemas, [ERROR]);
    assert.equal(res.body.status, String(status));
    if (scimType) assert.equal(res.body.scimType, scimType);
  }

  before(async () => {
    server = await startTestServer({ openSignup: true });
    const acc = await createAccount(server, slug);
    adminToken = (await signIn(server, slug, acc.user.email)).token;
    const other = await createAccount(server, 'other');
    otherAdminToken = (await signIn(server, 'other', other.user.email)).token;
  });
  after(() => server.close());

  test('a SCIM token is answered once, stored only as its SHA-256, listed with when it was last used, and audited', async () => {
    const created = await newToken(adminToken, 'Listing');
    assert.match(created.token, /^scim_[A-Za-z0-9_-]{43}$/);
    const row = await server.db.selectFrom('scim_tokens').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    assert.equal(row.token_hash, hashToken(created.token));
    assert.ok(!JSON.stringify(row).includes(created.token));
    const before = await server.call('GET', '/account/scim-tokens', { token: adminToken });
    assert.equal(before.status, 200);
    assert.equal(before.body.baseUrl, `${server.url}/scim/v2`);
    const listed = before.body.tokens.find((t: { id: string }) => t.id === created.id);
    assert.equal(listed.lastUsedAt, null);
    assert.ok(!JSON.stringify(before.body).includes(created.token), 'the token is never listed');
    assert.equal((await scim('GET', '/ServiceProviderConfig', created.token)).status, 200);
    const afterUse = await server.call('GET', '/account/scim-tokens', { token: adminToken });
    assert.ok(afterUse.body.tokens.find((t: { id: string }) => t.id === created.id).lastUsedAt);
    const audit = await server.call('GET', '/account/audit-events', { token: adminToken });
    assert.ok(audit.body.events.some((e: { action: string; details: { tokenId?: string } }) => e.action === 'scim_token.created' && e.details.tokenId === created.id));
  });

  test('Okta: find an existing agent by userName, link its externalId, deactivate (signed out everywhere, stream told), reactivate', async () => {
    const okta = await newToken(adminToken, 'Okta');
    const agent = await createUser(server, adminToken, slug, 'Olga');
    const desk = await signIn(server, slug, agent.email);
    const stream = openEvents(server.base, desk.token);
    await stream.ready;

    // Okta looks the user up first, by userName (any case), before creating one.
    const found = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${agent.email.toUpperCase()}"`)}&startIndex=1&count=100`, okta.token);
    assert.equal(found.status, 200);
    assert.match(found.headers.get('content-type') ?? '', /^application\/scim\+json/);
    assert.equal(found.body.totalResults, 1);
    assert.equal(found.body.Resources[0].id, agent.id);
    assert.equal(found.body.Resources[0].active, true);

    const linked = await scim('PUT', `/Users/${agent.id}`, okta.token, { schemas: [USER], userName: agent.email, externalId: '00u1okta', name: { givenName: 'Olga', familyName: 'Costa' }, active: true, emails: [{ value: agent.email, primary: true, type: 'work' }] });
    assert.equal(linked.status, 200, JSON.stringify(linked.body));
    assert.equal(linked.body.externalId, '00u1okta');
    assert.equal(linked.body.displayName, 'Olga Costa');
    const byExternal = await scim('GET', `/Users?filter=${encodeURIComponent('externalId eq "00u1okta"')}`, okta.token);
    assert.equal(byExternal.body.totalResults, 1);

    // Okta's dialect: no path, the value an object of attributes.
    const off = await scim('PATCH', `/Users/${agent.id}`, okta.token, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.equal(off.body.active, false);
    assert.equal((await stream.next('session.revoked')).data.reason, 'deactivated');
    stream.close();
    const me = await server.call('GET', '/me', { token: desk.token });
    assert.equal(me.status, 401);
    const audit = await server.call('GET', '/account/audit-events', { token: adminToken });
    const entry = audit.body.events.find((e: { action: string; subject?: { id: string } }) => e.action === 'user.deactivated' && e.subject?.id === agent.id);
    assert.equal(entry.actor.name, 'SCIM: Okta', 'audited as the token');
    assert.deepEqual(entry.details.scimToken, { id: okta.id, name: 'Okta' });
    assert.equal(entry.details.revokedSessions, 1);

    const on = await scim('PATCH', `/Users/${agent.id}`, okta.token, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] });
    assert.equal(on.body.active, true);
    await signIn(server, slug, agent.email);
  });

  test('Okta: create a user who is not there yet (an agent, active), and a second create of the same userName is 409 uniqueness', async () => {
    const okta = await newToken(adminToken, 'Okta create');
    const none = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "new.hire@scim.test"')}`, okta.token);
    assert.equal(none.status, 200);
    assert.equal(none.body.totalResults, 0);
    assert.deepEqual(none.body.Resources, []);
    const body = { schemas: [USER], userName: 'new.hire@scim.test', name: { givenName: 'New', familyName: 'Hire' }, emails: [{ primary: true, value: 'new.hire@scim.test', type: 'work' }], active: true, externalId: '00u2okta' };
    const created = await scim('POST', '/Users', okta.token, body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.headers.get('location'), `${server.url}/scim/v2/Users/${created.body.id}`);
    assert.equal(created.body.userName, 'new.hire@scim.test');
    assert.equal(created.body.displayName, 'New Hire');
    assert.equal(created.body.meta.resourceType, 'User');
    const row = await server.db.selectFrom('users').select(['role', 'status', 'provisioned_via']).where('id', '=', created.body.id).executeTakeFirstOrThrow();
    assert.deepEqual(row, { role: 'agent', status: 'active', provisioned_via: 'scim' });
    const again = await scim('POST', '/Users', okta.token, body);
    assertScimError(again, 409, 'uniqueness');
    // Deactivated and reactivated, a provisioned user is active again (no invitation to accept).
    await scim('PATCH', `/Users/${created.body.id}`, okta.token, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
    const back = await scim('PATCH', `/Users/${created.body.id}`, okta.token, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] });
    assert.equal(back.body.active, true);
    assert.equal((await server.db.selectFrom('users').select('status').where('id', '=', created.body.id).executeTakeFirstOrThrow()).status, 'active');
  });

  test('Entra ID: create, find by userName, path-based PATCH with "Replace" and "False" strings, name parts, re-activate, DELETE', async () => {
    const entra = await newToken(adminToken, 'Entra ID');
    const agent = await createUser(server, adminToken, slug, 'Enzo');
    const session = await signIn(server, slug, agent.email);
    const stream = openEvents(server.base, session.token);
    await stream.ready;

    // Entra's provisioning cycle: query by userName, then by the matching attribute.
    const probe = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${agent.email}"`)}`, entra.token);
    assert.equal(probe.body.totalResults, 1);
    const patched = await scim('PATCH', `/Users/${agent.id}`, entra.token, {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'Add', path: 'externalId', value: 'b1c2-entra' },
        { op: 'Replace', path: 'name.familyName', value: 'Ferreira' },
        { op: 'Add', path: 'emails[type eq "work"].value', value: agent.email },
        { op: 'Replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'Sales' },
        { op: 'Replace', path: 'active', value: 'False' },
      ],
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.externalId, 'b1c2-entra');
    assert.equal(patched.body.displayName, 'Enzo Ferreira');
    assert.equal(patched.body.active, false);
    assert.equal((await stream.next('session.revoked')).data.reason, 'deactivated');
    stream.close();
    assert.equal((await server.call('GET', '/me', { token: session.token })).status, 401);

    const reactivated = await scim('PATCH', `/Users/${agent.id}`, entra.token, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: 'True' }] });
    assert.equal(reactivated.body.active, true);
    await signIn(server, slug, agent.email);

    const created = await scim('POST', '/Users', entra.token, { schemas: [USER], externalId: 'e-9', userName: 'ana.entra@scim.test', active: true, displayName: 'Ana Entra', name: { formatted: 'Ana Entra', familyName: 'Entra', givenName: 'Ana' } });
    assert.equal(created.status, 201);
    const deleted = await scim('DELETE', `/Users/${created.body.id}`, entra.token);
    assert.equal(deleted.status, 204);
    assertScimError(await scim('GET', `/Users/${created.body.id}`, entra.token), 404);
    const audit = await server.call('GET', '/account/audit-events', { token: adminToken });
    const entry = audit.body.events.find((e: { action: string; details: { userId?: string } }) => e.action === 'user.deleted' && e.details.userId === created.body.id);
    assert.equal(entry.actor.name, 'SCIM: Entra ID');
  });

  test('pagination: startIndex is 1-based, count bounds the page, totalResults is the whole', async () => {
    const token = (await newToken(adminToken, 'Pager')).token;
    for (const n of [1, 2, 3]) assert.equal((await scim('POST', '/Users', token, { schemas: [USER], userName: `page${n}@scim.test` })).status, 201);
    const all = await scim('GET', '/Users?count=200', token);
    const total = all.body.totalResults;
    assert.ok(total >= 5, `seeded users: ${total}`);
    assert.equal(all.body.Resources.length, total);
    const page = await scim('GET', '/Users?startIndex=2&count=2', token);
    assert.equal(page.body.totalResults, total);
    assert.equal(page.body.startIndex, 2);
    assert.equal(page.body.itemsPerPage, 2);
    assert.deepEqual(page.body.Resources.map((r: { id: string }) => r.id), all.body.Resources.slice(1, 3).map((r: { id: string }) => r.id));
    const past = await scim('GET', `/Users?startIndex=${total + 1}`, token);
    assert.equal(past.body.totalResults, total);
    assert.deepEqual(past.body.Resources, []);
    const countOnly = await scim('GET', '/Users?count=0', token);
    assert.equal(countOnly.body.totalResults, total);
    assert.equal(countOnly.body.Resources.length, 0);
    assertScimError(await scim('GET', '/Users?count=abc', token), 400, 'invalidValue');
  });

  test('filters other than userName eq and externalId eq are refused as invalidFilter', async () => {
    const token = (await newToken(adminToken, 'Filters')).token;
    for (const filter of ['userName sw "a"', 'displayName eq "x"', 'userName eq "a" or userName eq "b"', 'userName eq', 'userName eq unquoted', 'emails[type eq "work"].value eq "a@b.c"', '']) {
      assertScimError(await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`, token), 400, 'invalidFilter');
    }
  });

  test('bad input is a SCIM 400 and changes nothing', async () => {
    const token = (await newToken(adminToken, 'Bad input')).token;
    const agent = await createUser(server, adminToken, slug, 'Bea');
    const counts = await tableCounts(server);
    const cases: [string, string, unknown, string][] = [
      ['POST', '/Users', { schemas: [USER], userName: 'not an email' }, 'invalidValue'],
      ['POST', '/Users', { schemas: [USER] }, 'invalidValue'],
      ['POST', '/Users', { schemas: [USER], userName: 'x@scim.test', displayName: 'Evil\u202Eadmin' }, 'invalidValue'],
      ['POST', '/Users', { schemas: [USER], userName: 'x@scim.test', active: 'maybe' }, 'invalidValue'],
      ['POST', '/Users', { schemas: ['urn:wrong'], userName: 'x@scim.test' }, 'invalidSyntax'],
      ['POST', '/Users', '{"userName": ', 'invalidSyntax'],
      ['POST', '/Users', [1, 2], 'invalidValue'],
      ['PATCH', `/Users/${agent.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: 'False' }, { op: 'explode', path: 'active' }] }, 'invalidSyntax'],
      ['PATCH', `/Users/${agent.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: 'False' }, { op: 'remove' }] }, 'noTarget'],
      ['PATCH', `/Users/${agent.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: 'perhaps' }] }, 'invalidValue'],
      ['PATCH', `/Users/${agent.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'bad path!', value: 'x' }] }, 'invalidPath'],
      ['PATCH', `/Users/${agent.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'userName' }] }, 'mutability'],
      ['PATCH', `/Users/${agent.id}`, { schemas: [PATCH_OP], Operations: [] }, 'invalidSyntax'],
      ['PATCH', `/Users/${agent.id}`, { schemas: [PATCH_OP], Operations: Array.from({ length: 101 }, () => ({ op: 'replace', path: 'active', value: 'False' })) }, 'tooMany'],
      ['PATCH', `/Users/${agent.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: 'False' }, { op: 'replace', path: 'userName', value: 'admin@scim.test' }] }, 'uniqueness'],
      ['PUT', `/Users/${agent.id}`, { schemas: [USER], userName: 'admin@scim.test', active: false }, 'uniqueness'],
    ];
    for (const [method, path, body, scimType] of cases) {
      const res = await scim(method, path, token, body);
      assertScimError(res, scimType === 'uniqueness' ? 409 : 400, scimType);
    }
    assertScimError(await scim('POST', '/Users', token, 'x'.repeat(300 * 1024)), 413);
    assertScimError(await scim('GET', '/Users/nope', token), 404);
    assertScimError(await scim('GET', '/Nope', token), 404);
    assert.deepEqual(await tableCounts(server), counts);
    const still = await server.db.selectFrom('users').select(['email', 'status']).where('id', '=', agent.id).executeTakeFirstOrThrow();
    assert.deepEqual(still, { email: agent.email, status: 'active' }, 'a refused PATCH applied none of its operations');
  });

  test('Attack: a PATCH path or attribute names Object.prototype (__proto__, constructor.prototype) to pollute every object in the server — refused or ignored, nothing polluted', async () => {
    // Attack: prototype pollution through a PATCH path. scim-patch 0.8.3 (evaluated for
    // user-patch.ts) writes `__proto__.x` and `constructor.prototype.x` onto Object.prototype;
    // this pins that ours does not, whatever applies the operations.
    const token = (await newToken(adminToken, 'Pollution')).token;
    const agent = await createUser(server, adminToken, slug, 'Pia');
    const bodies = [
      { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: '__proto__.scimPolluted', value: 'yes' }] },
      { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'constructor.prototype.scimPolluted', value: 'yes' }] },
      { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'name.__proto__', value: { scimPolluted: 'yes' } }] },
      '{"schemas":["' + PATCH_OP + '"],"Operations":[{"op":"replace","value":{"__proto__":{"scimPolluted":"yes"}}}]}',
    ];
    for (const body of bodies) {
      const res = await scim('PATCH', `/Users/${agent.id}`, token, body);
      assert.ok(res.status === 200 || res.status === 400, `${res.status} ${JSON.stringify(res.body)}`);
      assert.equal(({} as Record<string, unknown>).scimPolluted, undefined, `Object.prototype polluted by ${JSON.stringify(body)}`);
    }
    const still = await server.db.selectFrom('users').select(['email', 'status']).where('id', '=', agent.id).executeTakeFirstOrThrow();
    assert.deepEqual(still, { email: agent.email, status: 'active' });
  });

  test("an admin's email is not the provider's to change (it is where a password reset goes)", async () => {
    const token = (await newToken(adminToken, 'Admin email')).token;
    const admin = await server.db.selectFrom('users').select(['id', 'email']).where('email', '=', 'admin@scim.test').executeTakeFirstOrThrow();
    const res = await scim('PATCH', `/Users/${admin.id}`, token, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'userName', value: 'attacker@evil.test' }] });
    assertScimError(res, 400, 'mutability');
    assert.equal((await server.db.selectFrom('users').select('email').where('id', '=', admin.id).executeTakeFirstOrThrow()).email, admin.email);
  });

  test('Groups, Okta then Entra ID: push a group with members, find it, add and remove members in both dialects, rename, delete; all as the token', async () => {
    const okta = await newToken(adminToken, 'Okta groups');
    const a = await createUser(server, adminToken, slug, 'Gail');
    const b = await createUser(server, adminToken, slug, 'Gus');
    const c = await createUser(server, adminToken, slug, 'Gia');
    const created = await scim('POST', '/Groups', okta.token, { schemas: [GROUP], displayName: 'Night shift', externalId: '00g1', members: [{ value: a.id, display: 'Gail' }] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.headers.get('location'), `${server.url}/scim/v2/Groups/${created.body.id}`);
    assert.deepEqual(created.body.members.map((m: { value: string }) => m.value), [a.id]);
    const id = created.body.id as string;
    const byName = await scim('GET', `/Groups?filter=${encodeURIComponent('displayName eq "night shift"')}&excludedAttributes=members`, okta.token);
    assert.equal(byName.body.totalResults, 1);
    assert.equal(byName.body.Resources[0].members, undefined, 'excludedAttributes=members leaves them out');
    assert.equal((await scim('GET', `/Groups?filter=${encodeURIComponent('externalId eq "00g1"')}`, okta.token)).body.totalResults, 1);
    // Okta: add, then remove by a filtered path, then rename without a path.
    await scim('PATCH', `/Groups/${id}`, okta.token, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: b.id }, { value: c.id }] }] });
    await scim('PATCH', `/Groups/${id}`, okta.token, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${a.id}"]` }] });
    const renamed = await scim('PATCH', `/Groups/${id}`, okta.token, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { id, displayName: 'Night crew' } }] });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.displayName, 'Night crew');
    assert.deepEqual(renamed.body.members.map((m: { value: string }) => m.value).sort(), [b.id, c.id].sort());
    // Entra ID: "Remove" with the members as the value, "Replace" on a path.
    const entra = await scim('PATCH', `/Groups/${id}`, okta.token, { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: 'members', value: [{ value: b.id }] }, { op: 'Replace', path: 'externalId', value: 'entra-g1' }] });
    assert.deepEqual(entra.body.members.map((m: { value: string }) => m.value), [c.id]);
    assert.equal(entra.body.externalId, 'entra-g1');
    // The admin's view is the same group, changed through the same functions.
    const listed = await server.call('GET', '/account/groups', { token: adminToken });
    assert.ok(listed.body.groups.some((g: { id: string; name: string; memberCount: number }) => g.id === id && g.name === 'Night crew' && g.memberCount === 1));
    const audit = await server.call('GET', '/account/audit-events', { token: adminToken });
    const change = audit.body.events.find((e: { action: string; details: { groupId?: string } }) => e.action === 'group.members_changed' && e.details.groupId === id);
    assert.equal(change.details.scimTokenId, okta.id);
    assert.equal(change.actor.name, 'SCIM: Okta groups', 'audited as the token');
    assert.equal((await scim('DELETE', `/Groups/${id}`, okta.token)).status, 204);
    assertScimError(await scim('GET', `/Groups/${id}`, okta.token), 404);
  });

  test("Attack: a SCIM token puts another account's user in its group, or reads another account's group — refused, nothing changed", async () => {
    const mine = await newToken(adminToken, 'Groups mine');
    const theirs = await newToken(otherAdminToken, 'Groups theirs');
    const stranger = (await server.db.selectFrom('users').select('id').where('email', '=', 'admin@other.test').executeTakeFirstOrThrow()).id;
    const counts = await tableCounts(server);
    assertScimError(await scim('POST', '/Groups', mine.token, { schemas: [GROUP], displayName: 'Smuggled', members: [{ value: stranger }] }), 400, 'invalidValue');
    assert.deepEqual(await tableCounts(server), counts);
    const group = await scim('POST', '/Groups', mine.token, { schemas: [GROUP], displayName: 'Private' });
    assertScimError(await scim('PATCH', `/Groups/${group.body.id}`, mine.token, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Renamed' }, { op: 'add', path: 'members', value: [{ value: stranger }] }] }), 400, 'invalidValue');
    assert.equal((await scim('GET', `/Groups/${group.body.id}`, mine.token)).body.displayName, 'Private', 'a refused PATCH renamed nothing');
    assertScimError(await scim('GET', `/Groups/${group.body.id}`, theirs.token), 404);
    assertScimError(await scim('DELETE', `/Groups/${group.body.id}`, theirs.token), 404);
    assert.equal((await scim('GET', '/Groups', theirs.token)).body.Resources.some((g: { id: string }) => g.id === group.body.id), false);
    assertScimError(await scim('POST', '/Groups', mine.token, { schemas: [GROUP], displayName: 'private' }), 409, 'uniqueness');
    assertScimError(await scim('GET', `/Groups?filter=${encodeURIComponent('members eq "x"')}`, mine.token), 400, 'invalidFilter');
  });

  test('ServiceProviderConfig, ResourceTypes and Schemas describe what is supported', async () => {
    const token = (await newToken(adminToken, 'Discovery')).token;
    const config = await scim('GET', '/ServiceProviderConfig', token);
    assert.equal(config.body.patch.supported, true);
    assert.equal(config.body.filter.supported, true);
    assert.equal(config.body.bulk.supported, false);
    assert.equal(config.body.authenticationSchemes[0].type, 'oauthbearertoken');
    const types = await scim('GET', '/ResourceTypes', token);
    assert.ok(types.body.Resources.some((r: { id: string; endpoint: string }) => r.id === 'User' && r.endpoint === '/Users'));
    assert.ok(types.body.Resources.some((r: { id: string; endpoint: string }) => r.id === 'Group' && r.endpoint === '/Groups'));
    const schemas = await scim('GET', '/Schemas', token);
    assert.ok(schemas.body.Resources.some((s: { id: string }) => s.id === USER));
    assert.equal((await scim('GET', `/Schemas/${USER}`, token)).body.name, 'User');
  });

  test('Attack: a revoked SCIM token keeps provisioning — refused at its next request', async () => {
    const t = await newToken(adminToken, 'Revoked');
    assert.equal((await scim('GET', '/Users', t.token)).status, 200);
    const revoked = await server.call('DELETE', `/account/scim-tokens/${t.id}`, { token: adminToken });
    assert.equal(revoked.status, 200);
    assert.ok(revoked.body.revokedAt);
    const counts = await tableCounts(server);
    const res = await scim('POST', '/Users', t.token, { schemas: [USER], userName: 'after.revoke@scim.test' });
    assertScimError(res, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /Bearer/);
    assertScimError(await scim('GET', '/Users', t.token), 401);
    assert.deepEqual(await tableCounts(server), counts);
    const audit = await server.call('GET', '/account/audit-events', { token: adminToken });
    assert.ok(audit.body.events.some((e: { action: string; details: { tokenId?: string } }) => e.action === 'scim_token.revoked' && e.details.tokenId === t.id));
  });

  test("Attack: an admin revokes or lists another account's SCIM token — not found, and it keeps working for its owner", async () => {
    const theirs = await newToken(otherAdminToken, 'Theirs');
    const res = await server.call('DELETE', `/account/scim-tokens/${theirs.id}`, { token: adminToken });
    assert.equal(res.status, 404);
    const mine = await server.call('GET', '/account/scim-tokens', { token: adminToken });
    assert.ok(!mine.body.tokens.some((t: { id: string }) => t.id === theirs.id));
    assert.equal((await scim('GET', '/Users', theirs.token)).status, 200);
  });

  test("Attack: one account's SCIM token reads and changes the users of another account — it sees only its own", async () => {
    const theirs = await newToken(otherAdminToken, 'Cross');
    const victim = await createUser(server, adminToken, slug, 'Vic');
    const found = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${victim.email}"`)}`, theirs.token);
    assert.equal(found.status, 200);
    assert.equal(found.body.totalResults, 0);
    const all = await scim('GET', '/Users?count=200', theirs.token);
    assert.ok(all.body.Resources.every((r: { userName: string }) => r.userName.endsWith('@other.test')), 'only the other account’s users');
    assertScimError(await scim('GET', `/Users/${victim.id}`, theirs.token), 404);
    assertScimError(await scim('PATCH', `/Users/${victim.id}`, theirs.token, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] }), 404);
    assertScimError(await scim('DELETE', `/Users/${victim.id}`, theirs.token), 404);
    assert.equal((await server.db.selectFrom('users').select('status').where('id', '=', victim.id).executeTakeFirstOrThrow()).status, 'active');
  });

  test('Attack: an agent (or admin) session calls /scim/v2 — refused; and a SCIM token on /api/v1 is no session', async () => {
    const agent = await createUser(server, adminToken, slug, 'Sam');
    const session = await signIn(server, slug, agent.email);
    assertScimError(await scim('GET', '/Users', session.token), 401);
    assertScimError(await scim('POST', '/Users', adminToken, { schemas: [USER], userName: 'via.session@scim.test' }), 401);
    // The web console's cookie is not looked at either.
    assertScimError(await scim('GET', '/Users', undefined, undefined, { cookie: `agentdesk_session=${adminToken}` }), 401);
    const t = await newToken(adminToken, 'Not a session');
    assert.equal((await server.call('GET', '/account/users', { token: t.token })).status, 401);
    assert.equal((await server.call('GET', '/me', { token: t.token })).status, 401);
  });

  test('Attack: an agent creates a SCIM token for themselves — creating and listing tokens is for admins', async () => {
    const agent = await createUser(server, adminToken, slug, 'Tia');
    const session = await signIn(server, slug, agent.email);
    assert.equal((await server.call('POST', '/account/scim-tokens', { token: session.token, body: { name: 'mine' } })).status, 403);
    assert.equal((await server.call('GET', '/account/scim-tokens', { token: session.token })).status, 403);
  });
});
