// Groups (PRODUCT.md "Authentication policies") against a real server on a real port: an admin
// creates, renames, deletes groups and replaces their members; bad input is refused with a
// stable code and changes nothing; agents can neither read nor change them; deleting a user or
// a group removes the memberships; every change is in the audit log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGroup, findGroup, listGroups, addMembers, removeMembers, setMembers } from './groups.js';
import { createAccount, createUser, enrolTotp, signIn, startTestServer, type TestServer } from '../testing/harness.js';

describe('groups', () => {
  let server: TestServer;
  let adminToken: string;
  let accountId: string;
  const slug = 'groupdesk';
  const users: Record<string, string> = {};

  before(async () => {
    server = await startTestServer({ openSignup: true });
    const acc = await createAccount(server, slug);
    accountId = acc.account.id;
    adminToken = (await enrolTotp(server, (await signIn(server, slug, acc.user.email)).token)).token;
    for (const name of ['Ana', 'Bea', 'Cai', 'Dan']) users[name] = (await createUser(server, adminToken, slug, name)).id;
  });
  after(() => server.close());

  const call = (method: string, path: string, body?: unknown, token = adminToken) => server.call(method, path, { token, body });
  const members = async (id: string) => ((await call('GET', `/account/groups/${id}/members`)).body.userIds as string[]).sort();
  const groupRows = async () => JSON.stringify({
    groups: await server.db.selectFrom('groups').selectAll().orderBy('id').execute(),
    members: await server.db.selectFrom('group_members').selectAll().orderBy('group_id').orderBy('user_id').execute(),
  });

  test('an admin creates, lists, renames and deletes a group, each audited', async () => {
    const created = await call('POST', '/account/groups', { name: 'Supervisors' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.group.id as string;
    assert.equal(created.body.group.name, 'Supervisors');
    assert.equal(created.body.group.memberCount, 0);

    const renamed = await call('PATCH', `/account/groups/${id}`, { name: 'Team leads' });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.group.name, 'Team leads');
    const list = await call('GET', '/account/groups');
    assert.deepEqual(list.body.groups.map((g: { name: string }) => g.name), ['Team leads']);

    const deleted = await call('DELETE', `/account/groups/${id}`);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assert.equal((await call('GET', '/account/groups')).body.groups.length, 0);
    assert.equal((await call('DELETE', `/account/groups/${id}`)).body.error.code, 'not_found');

    const actions = (await server.db.selectFrom('audit_events').select(['action', 'actor_id', 'details']).where('account_id', '=', accountId).where('action', 'like', 'group.%').orderBy('id').execute());
    assert.deepEqual(actions.map((a) => a.action), ['group.created', 'group.renamed', 'group.deleted']);
    assert.ok(actions.every((a) => a.actor_id !== null));
    assert.deepEqual(JSON.parse(actions[1]!.details).name, { from: 'Supervisors', to: 'Team leads' });
  });

  test('names are unique in the account whatever their case, and a bad name changes nothing', async () => {
    const first = await call('POST', '/account/groups', { name: 'Night shift' });
    assert.equal(first.status, 201);
    const before = await groupRows();
    for (const name of ['night SHIFT', '  Night shift  ']) {
      const res = await call('POST', '/account/groups', { name });
      assert.equal(res.status, 409, name);
      assert.equal(res.body.error.code, 'group_name_taken');
    }
    for (const body of [{ name: '' }, { name: '   ' }, { name: 'Evil\nLine' }, { name: 'Ana \u202Enimda' }, { name: 'x'.repeat(81) }, {}, { name: 'ok', extra: 1 }]) {
      const res = await call('POST', '/account/groups', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.error.code, /^invalid_request$/);
    }
    const other = await call('POST', '/account/groups', { name: 'Day shift' });
    assert.equal((await call('PATCH', `/account/groups/${other.body.group.id}`, { name: 'NIGHT shift' })).body.error.code, 'group_name_taken');
    // Its own name in another case is a rename.
    assert.equal((await call('PATCH', `/account/groups/${other.body.group.id}`, { name: 'DAY shift' })).status, 200);
    assert.notEqual(await groupRows(), before);
    assert.equal((await server.db.selectFrom('groups').select('name').where('id', '=', other.body.group.id).executeTakeFirstOrThrow()).name, 'DAY shift');
  });

  test('PUT members replaces them all or nothing: an unknown or another account\'s user id is refused with unknown_users', async () => {
    const group = (await call('POST', '/account/groups', { name: 'Billing' })).body.group;
    const set = await call('PUT', `/account/groups/${group.id}/members`, { userIds: [users.Ana, users.Bea, users.Ana] });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual({ added: set.body.added, removed: set.body.removed, memberCount: set.body.memberCount }, { added: 2, removed: 0, memberCount: 2 });
    assert.deepEqual(await members(group.id), [users.Ana!, users.Bea!].sort());

    const elsewhere = await createAccount(server, 'othergroups');
    const before = await groupRows();
    for (const userIds of [[users.Cai, 'no-such-user'], [users.Cai, elsewhere.user.id]]) {
      const res = await call('PUT', `/account/groups/${group.id}/members`, { userIds });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'unknown_users');
      assert.deepEqual(res.body.error.userIds, [userIds[1]]);
    }
    for (const body of [{}, { userIds: 'x' }, { userIds: ['bad id!'] }, { userIds: Array.from({ length: 10_001 }, (_, i) => `u${i}`) }]) {
      const res = await call('PUT', `/account/groups/${group.id}/members`, body);
      assert.equal(res.status === 400 || res.status === 413, true, `${JSON.stringify(body).slice(0, 60)}: ${res.status}`);
    }
    assert.equal(await groupRows(), before);

    const replaced = await call('PUT', `/account/groups/${group.id}/members`, { userIds: [users.Bea, users.Cai] });
    assert.deepEqual({ added: replaced.body.added, removed: replaced.body.removed, memberCount: replaced.body.memberCount }, { added: 1, removed: 1, memberCount: 2 });
    assert.deepEqual(await members(group.id), [users.Bea!, users.Cai!].sort());
    const entry = await server.db.selectFrom('audit_events').select('details').where('action', '=', 'group.members_changed').orderBy('id', 'desc').executeTakeFirstOrThrow();
    assert.deepEqual(JSON.parse(entry.details).addedUserIds, [users.Cai]);
    assert.deepEqual(JSON.parse(entry.details).removedUserIds, [users.Ana]);
    // Another account's admin cannot see or touch it.
    const foreign = (await enrolTotp(server, (await signIn(server, 'othergroups', elsewhere.user.email)).token)).token;
    assert.equal((await call('GET', `/account/groups/${group.id}/members`, undefined, foreign)).body.error.code, 'not_found');
    assert.equal((await call('PUT', `/account/groups/${group.id}/members`, { userIds: [] }, foreign)).body.error.code, 'not_found');
    assert.equal((await call('GET', '/account/groups', undefined, foreign)).body.groups.length, 0);
  });

  test('deleting a user or a group removes the memberships', async () => {
    const gone = await createUser(server, adminToken, slug, 'Eve');
    const group = (await call('POST', '/account/groups', { name: 'Temporary' })).body.group;
    await call('PUT', `/account/groups/${group.id}/members`, { userIds: [gone.id, users.Dan] });
    assert.equal((await call('DELETE', `/account/users/${gone.id}`)).status, 200);
    assert.deepEqual(await members(group.id), [users.Dan]);
    assert.equal((await call('GET', '/account/groups')).body.groups.find((g: { id: string }) => g.id === group.id).memberCount, 1);
    await call('DELETE', `/account/groups/${group.id}`);
    const left = await server.db.selectFrom('group_members').select('user_id').where('group_id', '=', group.id).execute();
    assert.equal(left.length, 0);
  });

  test('Attack: an agent reads or changes the groups (to leave the one the requirement applies to)', async () => {
    // Attack: an agent calls the admin's group operations with their own session, to see the
    // account's structure or to take themselves out of a group that must use 2FA.
    const group = (await call('POST', '/account/groups', { name: 'Must use 2FA' })).body.group;
    await call('PUT', `/account/groups/${group.id}/members`, { userIds: [users.Dan] });
    const agent = (await signIn(server, slug, `dan@${slug}.test`)).token;
    const before = await groupRows();
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', '/account/groups'],
      ['GET', `/account/groups/${group.id}/members`],
      ['POST', '/account/groups', { name: 'Mine' }],
      ['PATCH', `/account/groups/${group.id}`, { name: 'Renamed' }],
      ['PUT', `/account/groups/${group.id}/members`, { userIds: [] }],
      ['DELETE', `/account/groups/${group.id}`],
    ];
    for (const [method, path, body] of attempts) {
      const res = await call(method, path, body, agent);
      assert.equal(res.status, 403, `${method} ${path}: ${res.status}`);
      assert.equal(res.body.error.code, 'forbidden');
    }
    assert.equal(await groupRows(), before);
  });

  test('the domain functions SCIM uses: find by external id, add and remove members, audited as the token', async () => {
    const actor = { kind: 'scim_token' as const, id: 'tok-1', name: 'Okta' };
    const group = await createGroup(server.db, server.context.events, { accountId, actor, name: 'Okta: Sales', externalId: 'okta-00g1', memberIds: [users.Ana!] });
    assert.equal((await findGroup(server.db, accountId, { externalId: 'okta-00g1' }))?.id, group.id);
    assert.equal(await findGroup(server.db, 'another-account', { externalId: 'okta-00g1' }), null);
    assert.deepEqual(await addMembers(server.db, server.context.events, { accountId, actor, groupId: group.id, userIds: [users.Ana!, users.Bea!] }), { added: 1, removed: 0, memberCount: 2, revokedSessions: 0 });
    assert.deepEqual(await removeMembers(server.db, server.context.events, { accountId, actor, groupId: group.id, userIds: [users.Ana!, 'not-a-member'] }), { added: 0, removed: 1, memberCount: 1, revokedSessions: 0 });
    await assert.rejects(setMembers(server.db, server.context.events, { accountId, actor, groupId: group.id, userIds: ['nobody'] }), { code: 'unknown_users' });
    assert.ok((await listGroups(server.db, accountId)).some((g) => g.id === group.id && g.externalId === 'okta-00g1' && g.memberCount === 1));
    const entry = await server.db.selectFrom('audit_events').select(['actor_id', 'actor_name', 'details']).where('action', '=', 'group.created').orderBy('id', 'desc').executeTakeFirstOrThrow();
    // An id that is no user's: the log's API shows the token as the actor (a null id shows none).
    assert.equal(entry.actor_id, 'scim-token:tok-1');
    assert.equal(entry.actor_name, 'SCIM: Okta');
    assert.equal(JSON.parse(entry.details).scimTokenId, 'tok-1');
  });
});
