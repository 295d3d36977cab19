// The users list at scale, its CSV export and the bulk invitation (PRODUCT.md "People (admins)"):
// search, filters (2FA none / authenticator app / security key; role; status), sort, pages with
// a total, last sign-in; the export with the same filters, CSV-injection safe; the import's
// dry run with per-row errors, then all rows or none.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { createAccount, createUser, enrolTotp, inviteUser, signIn, startTestServer, tableCounts, type TestServer } from '../testing/harness.js';
import { startSmtpInbox } from '../testing/smtp-inbox.js';

describe('users list, export and import', () => {
  let server: TestServer;
  let adminToken: string;
  const slug = 'list';
  const ids: Record<string, string> = {};

  before(async () => {
    server = await startTestServer({ openSignup: true });
    const acc = await createAccount(server, slug);
    ids.admin = acc.user.id;
    const first = await signIn(server, slug, acc.user.email);
    adminToken = (await enrolTotp(server, first.token)).token ?? first.token;
    for (const name of ['Bea', 'Abe', 'Cy']) ids[name] = (await createUser(server, adminToken, slug, name)).id;
    // Cy has an authenticator app; Abe a security key (a confirmed method row, as the store has it).
    const cy = await signIn(server, slug, 'cy@list.test');
    await enrolTotp(server, cy.token);
    const accountId = (await server.db.selectFrom('accounts').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id;
    await server.db.insertInto('methods').values({ id: 'key-abe', user_id: ids.Abe!, account_id: accountId, type: 'security_key', name: 'Key', confirmed: 1, created_at: Date.now(), last_used_at: null, totp_secret: null, totp_last_step: null, credential_id: 'cred-abe', public_key: 'pk', sign_count: 0, transports: null, clone_warning_at: null, session_id: null } as never).execute();
    await server.db.updateTable('users').set({ has_two_factor: 1, has_security_key: 1 }).where('id', '=', ids.Abe!).execute();
    ids.Dot = (await inviteUser(server, adminToken, { name: '=Dot', email: 'dot@list.test' })).user.id;
  });
  after(() => server.close());

  const list = async (query: string) => {
    const res = await server.call('GET', `/account/users${query}`, { token: adminToken });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { users: { name: string; email: string; status: string; methodTypes: string[]; lastSignInAt: string | null; lockedUntil: string | null }[]; total: number };
  };
  const names = async (query: string) => (await list(query)).users.map((u) => u.name);

  test('pages come with the total; sorted by name by default', async () => {
    const page = await list('?limit=2');
    assert.equal(page.total, 5);
    assert.deepEqual(page.users.map((u) => u.name), ['=Dot', 'Abe']);
    assert.deepEqual(await names('?limit=2&offset=2'), ['Admin list', 'Bea']);
    assert.deepEqual(await names('?limit=2&offset=4'), ['Cy']);
    assert.deepEqual(await names('?sort=-name&limit=1'), ['Cy']);
    assert.deepEqual(await names('?sort=email&limit=2'), ['Abe', 'Admin list']);
  });

  test('search by name or email, and every filter, with totals', async () => {
    assert.deepEqual(await names('?q=BE'), ['Abe', 'Bea']);
    assert.deepEqual(await names('?q=cy%40list'), ['Cy']);
    const none = await list('?twoFactor=none');
    assert.deepEqual(none.users.map((u) => u.name), ['=Dot', 'Bea']);
    assert.equal(none.total, 2);
    assert.deepEqual(await names('?twoFactor=totp'), ['Admin list', 'Cy']);
    assert.deepEqual(await names('?twoFactor=security_key'), ['Abe']);
    assert.deepEqual(await names('?role=admin'), ['Admin list']);
    assert.deepEqual(await names('?status=invited'), ['=Dot']);
    const both = await list('?twoFactor=none&status=active');
    assert.deepEqual(both.users.map((u) => u.name), ['Bea']);
    assert.equal(both.total, 1);
    const kinds = (await list('?q=abe')).users[0]!.methodTypes;
    assert.deepEqual(kinds, ['security_key']);
  });

  test('search finds a substring anywhere in the name or email, in either case, after a rename and not after a deletion; quotes and wildcards are plain text', async () => {
    assert.deepEqual(await names('?q=DMIN%20L'), ['Admin list']);
    assert.deepEqual(await names('?q=t%40list.te'), ['=Dot']);
    // Characters with a meaning to the store's search syntax are only text to match.
    for (const q of ['%22be', 'a%22b', '%25', '_', 'b*', 'NEAR(', 'abe%20OR%20bea']) {
      const res = await list(`?q=${q}`);
      assert.deepEqual(res.users, [], q);
      assert.equal(res.total, 0, q);
    }
    await server.db.updateTable('users').set({ name: 'Beatrix' }).where('id', '=', ids.Bea!).execute();
    assert.deepEqual(await names('?q=trix'), ['Beatrix']);
    await server.db.updateTable('users').set({ name: 'Bea' }).where('id', '=', ids.Bea!).execute();
    assert.deepEqual(await names('?q=trix'), []);
    const zed = await createUser(server, adminToken, slug, 'Zedquarry');
    assert.deepEqual(await names('?q=QUARR'), ['Zedquarry']);
    assert.equal((await server.call('DELETE', `/account/users/${zed.id}`, { token: adminToken })).status, 200);
    assert.deepEqual(await names('?q=quarr'), []);
  });

  test('the impact preview\'s filters: who has no security key, and who of them is signed in now', async () => {
    assert.deepEqual(await names('?twoFactor=no_security_key'), ['=Dot', 'Admin list', 'Bea', 'Cy']);
    const bea = await signIn(server, slug, 'bea@list.test');
    const live = await list('?twoFactor=none&signedIn=true');
    assert.deepEqual(live.users.map((u) => u.name), ['Bea']);
    assert.equal((live.users[0] as unknown as { signedIn: boolean }).signedIn, true);
    assert.deepEqual(await names('?twoFactor=none&signedIn=false'), ['=Dot']);
    await server.call('DELETE', '/sessions/current', { token: bea.token });
    assert.equal((await list('?twoFactor=none&signedIn=true')).total, 0);
  });

  test('last sign-in is recorded and sortable; never signed in sorts as the oldest', async () => {
    // Signed in so far: the admin, Cy (to set up the app), then Bea. Abe and Dot never did.
    const users = (await list('?sort=-lastSignIn')).users;
    assert.deepEqual(users.map((u) => u.name).slice(0, 3), ['Bea', 'Cy', 'Admin list']);
    assert.ok(Date.parse(users[0]!.lastSignInAt!) > Date.now() - 60_000);
    assert.deepEqual(users.slice(3).map((u) => u.lastSignInAt), [null, null]);
    const up = (await list('?sort=lastSignIn')).users;
    assert.deepEqual(up.slice(0, 2).map((u) => u.lastSignInAt), [null, null]);
    assert.deepEqual(up.slice(2).map((u) => u.name), ['Admin list', 'Cy', 'Bea']);
  });

  test('a lock-out shows on the row until it passes', async () => {
    await server.db.updateTable('users').set({ locked_until: Date.now() + 60_000 }).where('id', '=', ids.Bea!).execute();
    assert.notEqual((await list('?q=bea')).users[0]!.lockedUntil, null);
    await server.db.updateTable('users').set({ locked_until: Date.now() - 1 }).where('id', '=', ids.Bea!).execute();
    assert.equal((await list('?q=bea')).users[0]!.lockedUntil, null);
  });

  test('the export is CSV with the same filters, one row per user with methods by kind, and safe from formula injection', async () => {
    // Attack: a user named "=HYPERLINK(...)" runs as a formula in the admin's spreadsheet.
    const res = await fetch(`${server.base}/account/users/export`, { headers: { authorization: `Bearer ${adminToken}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/csv/);
    assert.match(res.headers.get('content-disposition')!, /attachment; filename="list-users-\d{4}-\d\d-\d\d\.csv"/);
    const rows = parse(await res.text()) as string[][];
    assert.deepEqual(rows[0], ['name', 'email', 'role', 'status', 'two-factor methods', 'last sign-in', 'language']);
    assert.equal(rows.length, 6);
    assert.deepEqual(rows[1]!.slice(0, 5), ["'=Dot", 'dot@list.test', 'agent', 'invited', 'none']);
    assert.deepEqual(rows[2]!.slice(0, 5), ['Abe', 'abe@list.test', 'agent', 'active', 'security key']);
    assert.deepEqual(rows.find((r) => r[0] === 'Cy')!.slice(4, 5), ['authenticator app']);
    const filtered = await fetch(`${server.base}/account/users/export?twoFactor=none&status=active`, { headers: { authorization: `Bearer ${adminToken}` } });
    assert.deepEqual((parse(await filtered.text()) as string[][]).slice(1).map((r) => r[0]), ['Bea']);
  });

  test('the export is streamed in batches: every user of a large account, once, in order', async () => {
    const accountId = (await server.db.selectFrom('accounts').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id;
    const rows = Array.from({ length: 2500 }, (_, i) => ({ id: `bulk-${i}`, account_id: accountId, name: `Bulk ${String(i % 1000).padStart(4, '0')}`, email: `bulk${i}@list.test`, password_hash: '', role: 'agent' as const, has_two_factor: 0, created_at: Date.now(), locked_until: null, status: 'invited' as const }));
    for (let i = 0; i < rows.length; i += 400) await server.db.insertInto('users').values(rows.slice(i, i + 400)).execute();
    try {
      const res = await fetch(`${server.base}/account/users/export?q=bulk`, { headers: { authorization: `Bearer ${adminToken}` } });
      const out = (parse(await res.text()) as string[][]).slice(1);
      assert.equal(out.length, 2500);
      assert.equal(new Set(out.map((r) => r[1])).size, 2500);
      const sorted = [...out].sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0));
      assert.deepEqual(out.map((r) => r[0]), sorted.map((r) => r[0]));
    } finally {
      await server.db.deleteFrom('users').where('id', 'like', 'bulk-%').execute();
    }
  });

  const importCsv = (csv: string, dryRun: boolean, token = adminToken) =>
    server.call('POST', `/account/users/import${dryRun ? '?dryRun=true' : ''}`, { token, raw: csv, headers: { 'content-type': 'text/csv' } });

  test('the dry run answers each row\'s errors and the counts, and changes nothing', async () => {
    const csv = ['Name,Email,Role', 'Eve,eve@list.test,agent', '"Fox, Jr",fox@list.test,AGENT', 'Gil,not-an-email,agent', 'Hal,hal@list.test,boss', 'Eve Again,EVE@list.test,agent', 'Bea Two,bea@list.test,agent', ',nameless@list.test,agent'].join('\n');
    const before = await tableCounts(server);
    const res = await importCsv(csv, true);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.counts, { rows: 7, valid: 2, invalid: 5 });
    assert.deepEqual(res.body.errors.map((e: { line: number; code: string }) => [e.line, e.code]), [
      [4, 'invalid_email'],
      [5, 'unknown_role'],
      [6, 'duplicate_in_file'],
      [7, 'email_taken'],
      [8, 'missing_name'],
    ]);
    assert.deepEqual(await tableCounts(server), before);
    // The real import of the same file creates nothing.
    const real = await importCsv(csv, false);
    assert.equal(real.status, 400);
    assert.equal(real.body.error.code, 'import_rejected');
    assert.equal(real.body.error.errors.length, 5);
    assert.deepEqual(await tableCounts(server), before);
  });

  test('the import creates every row in one go, invited, with their links', async () => {
    const csv = '\ufeffname,email,role\r\nIra,ira@list.test,agent\r\n"Jo ""JJ"" Lee",jo@list.test,agent\r\n';
    const res = await importCsv(csv, false);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(res.body.counts, { rows: 2, valid: 2, invalid: 0 });
    assert.equal(res.body.invitations.length, 2);
    assert.equal(res.body.invitations[1].user.name, 'Jo "JJ" Lee');
    assert.match(res.body.invitations[0].link, /#\/invitation\?token=/);
    assert.deepEqual(await names('?status=invited&q=list.test&sort=email'), ['=Dot', 'Ira', 'Jo "JJ" Lee']);
  });

  test('a file that is not a name,email,role CSV is refused and changes nothing', async () => {
    for (const csv of ['', 'just one line', 'name,email\nA,a@list.test', 'name,email,role\n"unterminated,a@list.test,agent']) {
      const before = await tableCounts(server);
      const res = await importCsv(csv, false);
      assert.equal(res.status, 400, csv);
      assert.equal(res.body.error.code, 'invalid_csv', csv);
      assert.deepEqual(await tableCounts(server), before);
    }
    const json = await server.call('POST', '/account/users/import', { token: adminToken, body: { name: 'x' } });
    assert.equal(json.status, 415);
  });

  test('importing admins needs a recent second factor', async () => {
    await server.db.updateTable('sessions').set({ second_factor_at: Date.now() - 11 * 60_000 }).where('user_id', '=', ids.admin!).execute();
    const before = await tableCounts(server);
    const res = await importCsv('name,email,role\nKai,kai@list.test,admin\n', false);
    assert.equal(res.body.error.code, 'reauthentication_required');
    assert.deepEqual(await tableCounts(server), before);
    await server.db.updateTable('sessions').set({ second_factor_at: Date.now() }).where('user_id', '=', ids.admin!).execute();
  });

  test('agents cannot list, export or import', async () => {
    const s = await signIn(server, slug, 'bea@list.test');
    for (const [method, path] of [['GET', '/account/users'], ['GET', '/account/users/export'], ['POST', '/account/users/import?dryRun=true']] as const) {
      const res = await server.call(method, path, { token: s.token, ...(method === 'POST' ? { raw: 'name,email,role\n', headers: { 'content-type': 'text/csv' } } : {}) });
      assert.equal(res.status, 403, path);
    }
  });
});

describe('bulk invitation by mail', () => {
  test('after the import commits, each invitee is emailed their own link', async () => {
    const inbox = await startSmtpInbox();
    const server = await startTestServer({ openSignup: true, smtpUrl: inbox.url });
    try {
      const acc = await createAccount(server, 'bulkmail');
      const first = await signIn(server, 'bulkmail', acc.user.email);
      const token = (await enrolTotp(server, first.token)).token ?? first.token;
      const lines = Array.from({ length: 20 }, (_, i) => `Agent ${i},agent${i}@bulkmail.test,agent`);
      const res = await server.call('POST', '/account/users/import', { token, raw: ['name,email,role', ...lines].join('\n'), headers: { 'content-type': 'text/csv' } });
      assert.equal(res.status, 201);
      assert.equal(res.body.emailed, true);
      assert.equal(res.body.invitations[0].link, undefined);
      for (let i = 0; i < 20; i++) await inbox.waitFor(`agent${i}@bulkmail.test`, undefined, 10_000);
      const tokens = new Set(inbox.received.map((m) => /token=([A-Za-z0-9_-]+)/.exec(m.text)?.[1]));
      assert.equal(tokens.size, 20);
    } finally {
      await server.close();
      await inbox.close();
    }
  });
});
