// The audit log: sign-ins and method changes carry address, device and user agent; filters by
// user, action and time; the CSV export; bad filters are refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { accountWithAdmin, addTotp, addUser, passTotp, signInOn } from '../testing/rollout-helpers.js';
import { en } from '../../renderer/src/i18n/messages/en.js';
import { AUDIT_ACTIONS } from './audit.js';

describe('Audit log', () => {
  test('every action the server writes has words in the admin\'s catalogue (no raw action names in the log)', () => {
    const missing = AUDIT_ACTIONS.filter((action) => !Object.hasOwn(en, `audit.action.${action}`));
    assert.deepEqual(missing, []);
  });


  let server: TestServer;
  let admin: Awaited<ReturnType<typeof accountWithAdmin>>;
  const slug = 'audited';

  before(async () => {
    server = await startTestServer({ openSignup: true });
    admin = await accountWithAdmin(server, slug);
  });
  after(() => server.close());

  const list = async (query: string) => {
    const res = await server.call('GET', `/account/audit-events?limit=200${query}`, { token: admin.token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.events as any[];
  };

  test('sign-ins (success and failure) and method changes carry address, device and user agent', async () => {
    const ua = { 'user-agent': 'AgentDesk-Test/2.0 (Linux)' };
    const u = await addUser(server, admin.token, slug, 'Kim');
    const wrong = await server.call('POST', '/sessions', { body: { account: slug, email: u.email, password: 'not the password at all' }, headers: ua });
    assert.equal(wrong.status, 401);
    const ok = await server.call('POST', '/sessions', { body: { account: slug, email: u.email, password: 'correct horse battery staple' }, headers: ua });
    assert.equal(ok.status, 201);
    await addTotp(server, ok.body.token);
    const entries = await list(`&userId=${u.id}`);
    const failed = entries.find((e) => e.action === 'sign_in.failed');
    const succeeded = entries.find((e) => e.action === 'sign_in.succeeded');
    const added = entries.find((e) => e.action === 'method.added');
    for (const e of [failed, succeeded, added]) {
      assert.ok(e, JSON.stringify(entries.map((x) => x.action)));
      assert.match(e.address, /127\.0\.0\.1/);
    }
    assert.equal(failed.userAgent, ua['user-agent']);
    assert.equal(succeeded.userAgent, ua['user-agent']);
    assert.ok(succeeded.deviceId && added.deviceId);
    assert.equal(failed.subject.id, u.id);
  });

  test('filters by user, action and time, newest first, with pages', async () => {
    const all = await list('');
    assert.ok(all.length > 5);
    const ids = all.map((e) => e.id);
    assert.deepEqual([...ids].sort().reverse(), ids, 'newest first');
    const added = await list('&action=method.added');
    assert.ok(added.length >= 2 && added.every((e) => e.action === 'method.added'));
    const mine = await list(`&userId=${admin.adminId}`);
    assert.ok(mine.every((e) => e.actor?.id === admin.adminId || e.subject?.id === admin.adminId));
    const middle = all[Math.floor(all.length / 2)];
    const from = await list(`&from=${encodeURIComponent(middle.at)}`);
    assert.ok(from.length > 0 && from.every((e) => e.at >= middle.at), `${middle.at}: ${JSON.stringify(from.map((e) => e.at))}`);
    const to = await list(`&to=${encodeURIComponent(middle.at)}`);
    assert.ok(to.every((e) => e.at < middle.at), `${middle.at}: ${JSON.stringify(to.map((e) => [e.at, e.action]))}`);
    assert.equal(from.length + to.length, all.length);
    const page = await server.call('GET', '/account/audit-events?limit=1&action=method.added', { token: admin.token });
    assert.ok(page.body.nextCursor);
    const next = await server.call('GET', `/account/audit-events?limit=1&action=method.added&before=${page.body.nextCursor}`, { token: admin.token });
    assert.equal(next.body.events.length, 1);
    assert.ok(next.body.events.every((e: any) => e.action === 'method.added' && e.id < page.body.nextCursor));
  });

  test('the CSV export has the filtered rows, readable columns, and neutralises formulas', async () => {
    // Attack: CSV injection — a method named like a spreadsheet formula, opened by an admin in Excel.
    const u = await addUser(server, admin.token, slug, 'Lee');
    const s = await signInOn(server, slug, u.email);
    const start = await server.call('POST', '/me/methods/totp', { token: s.token, body: { name: '=HYPERLINK("http://evil.test","x")' } });
    assert.equal(start.status, 201);
    const { totpCode } = await import('../testing/totp-reference.js');
    assert.equal((await server.call('POST', `/me/methods/totp/${start.body.id}/confirm`, { token: s.token, body: { code: totpCode(start.body.secret) } })).status, 200);

    const res = await fetch(`${server.base}/account/audit-events/export?action=method.added`, { headers: { authorization: `Bearer ${admin.token}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="audit-audited-\d{4}-\d{2}-\d{2}\.csv"/);
    const lines = (await res.text()).trim().split('\r\n');
    assert.equal(lines[0], 'time,action,actor,actor_email,user,user_email,address,device,user_agent,details');
    const rows = lines.slice(1);
    assert.equal(rows.length, (await list('&action=method.added')).length);
    assert.ok(rows.every((r) => r.split(',')[1] === 'method.added'));
    const lee = rows.find((r) => r.includes('lee@audited.test'))!;
    assert.ok(lee);
    // The details cell starts with '{', and no cell starts with a bare '=' for a spreadsheet.
    assert.ok(!/(^|,)=/.test(lee), lee);
  });

  test('the audit keeps who: after a user is deleted, entries by and about them still name them, in the API and the CSV', async () => {
    // Attack: covering tracks — an admin invites a backdoor admin and is then deleted; "who invited
    // the backdoor admin" must not become blank (the entry keeps the name and email as they were).
    const dana = await addUser(server, admin.token, slug, 'Dana', 'admin');
    const first = await signInOn(server, slug, dana.email);
    const { secret } = await addTotp(server, first.token);
    const danaToken = await passTotp(server, (await signInOn(server, slug, dana.email, first.deviceToken)).token, secret);
    const invited = await server.call('POST', '/account/users', { token: danaToken, body: { name: 'Backdoor', email: 'backdoor@audited.test', role: 'admin' } });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const backdoorId = invited.body.user.id as string;
    const deleted = await server.call('DELETE', `/account/users/${dana.id}`, { token: admin.token });
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));

    const danaAsShown = { id: dana.id, name: 'Dana', email: dana.email };
    const invitation = (await list('&action=user.invited')).find((e) => e.subject?.id === backdoorId);
    assert.deepEqual(invitation?.actor, danaAsShown);
    assert.deepEqual(invitation?.subject, { id: backdoorId, name: 'Backdoor', email: 'backdoor@audited.test' });
    const deletion = (await list('&action=user.deleted')).find((e) => e.subject?.id === dana.id);
    assert.deepEqual(deletion?.subject, danaAsShown);
    assert.equal(deletion?.actor?.email, admin.email);
    const hers = await list(`&userId=${dana.id}`);
    assert.ok(hers.some((e) => e.action === 'sign_in.succeeded'));
    for (const e of hers) {
      if (e.actor?.id === dana.id) assert.deepEqual(e.actor, danaAsShown, e.action);
      if (e.subject?.id === dana.id) assert.deepEqual(e.subject, danaAsShown, e.action);
    }

    const res = await fetch(`${server.base}/account/audit-events/export?action=user.invited`, { headers: { authorization: `Bearer ${admin.token}` } });
    assert.equal(res.status, 200);
    const row = (await res.text()).split('\r\n').find((r) => r.includes('backdoor@audited.test'));
    assert.ok(row?.includes(',user.invited,Dana,dana@audited.test,Backdoor,backdoor@audited.test,'), row);
  });

  test('a password alone into forced enrolment is audited as its own action, not as a sign-in', async () => {
    // Attack: a stolen password used where 2FA is required reads in the log like a real sign-in
    // ("Signed in"), hiding that only the password was passed and the session may only enrol.
    const other = await accountWithAdmin(server, 'audited-enrol');
    const u = await addUser(server, other.token, 'audited-enrol', 'Nia');
    const on = await server.call('PUT', '/account/security-settings', { token: other.token, body: { requireTwoFactor: true, acknowledged: true } });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    const s = await signInOn(server, 'audited-enrol', u.email);
    assert.equal(s.state, 'enrollment_required');
    const res = await server.call('GET', `/account/audit-events?userId=${u.id}`, { token: other.token });
    const actions = (res.body.events as any[]).map((e) => e.action);
    assert.ok(actions.includes('sign_in.enrollment_required'), JSON.stringify(actions));
    assert.ok(!actions.includes('sign_in.succeeded'), JSON.stringify(actions));
    const filtered = await server.call('GET', '/account/audit-events?action=sign_in.enrollment_required', { token: other.token });
    assert.equal(filtered.status, 200);
    assert.deepEqual(filtered.body.events.map((e: any) => [e.actor.id, e.details.state]), [[u.id, 'enrollment_required']]);
  });

  test('bad filters are refused with a clear code', async () => {
    const cases = [
      '?action=method.eaten',
      '?action=DROP TABLE',
      '?from=yesterday',
      '?to=2026-13-45T99:00:00Z',
      `?from=${encodeURIComponent('2026-12-02T10:00:00Z')}&to=${encodeURIComponent('2026-12-01T10:00:00Z')}`,
      '?userId=' + 'x'.repeat(65),
      '?limit=0',
      '?limit=201',
      '?colour=red',
    ];
    for (const q of cases) {
      for (const path of ['/account/audit-events', '/account/audit-events/export']) {
        const res = await server.call('GET', path + q, { token: admin.token });
        if (path.endsWith('export') && /limit/.test(q)) {
          assert.equal(res.status, 400, `${path}${q}`);
          continue;
        }
        assert.equal(res.status, 400, `${path}${q}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, 'invalid_request', `${path}${q}`);
      }
    }
    const agent = await addUser(server, admin.token, slug, 'Max');
    const s = await signInOn(server, slug, agent.email);
    const refused = await server.call('GET', '/account/audit-events/export', { token: s.token });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'forbidden');
  });
});
