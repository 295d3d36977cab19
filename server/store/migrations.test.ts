// Upgrading a store that already holds people: the migration that added users.has_totp, the
// per-flag list indexes and (on SQLite) the trigram search index, and the one that makes the
// audit keep who, must bring existing rows in, not only rows written after them. A store at the
// migration before each is filled, then migrated.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import { migrationProvider, migrations } from './migrations.js';
import { filteredUsers } from '../people/users.js';
import { freshPostgresDatabase } from '../testing/postgres.js';
import type { Database } from './schema.js';

const FLAGS_AND_SEARCH = '2026-12-02-users-status-invitations-and-resets-search-index-role-status-method-flags';
const AUDIT_KEEPS_WHO = '2026-12-07-throttles-user-id-audit-keeps-who';
const USERS_LANGUAGE = '2026-12-07-throttles-user-id-password-at-and-recovery-codes-under-keys-only-users-language';
const MEMBER_FLAGS = '2026-12-08-keys-outside-rule-impact-preview-postponed-until-member-flags';

test('every migration name fits Kysely\'s migration table on PostgreSQL (varchar(255)), and the newest sorts last', () => {
  // A name of 256 characters once stopped every start on PostgreSQL while SQLite ran it.
  const names = Object.keys(migrations);
  for (const name of names) assert.ok(name.length <= 255, `${name.length} characters: ${name.slice(0, 40)}…`);
  // Kysely runs them by name: the one written last must come last, or a store that ran the
  // others would refuse it as out of order.
  assert.equal([...names].sort().at(-1), names.at(-1));
});

describe('migrations on a store that already has data', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  async function openRaw(): Promise<Kysely<any>> {
    let db: Kysely<any>;
    if (process.env.AGENTDESK_TEST_DATABASE_URL) {
      const database = await freshPostgresDatabase(process.env.AGENTDESK_TEST_DATABASE_URL);
      db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) }) });
      cleanups.push(() => database.drop());
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'agentdesk-migrations-'));
      db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLite(join(dir, 'agentdesk.sqlite')) }) });
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    }
    cleanups.push(() => db.destroy());
    return db;
  }

  test('existing users get has_totp from their methods and are found by the search', async () => {
    const names = Object.keys(migrations).sort();
    const before = names[names.indexOf(FLAGS_AND_SEARCH) - 1]!;
    assert.ok(before, 'the migration before it');
    const db = await openRaw();
    const migrator = new Migrator({ db, provider: migrationProvider });
    assert.equal((await migrator.migrateTo(before)).error, undefined);

    const now = Date.now();
    await db.insertInto('accounts').values({ id: 'acc', slug: 'upgrade', name: 'Upgrade', require_two_factor: 0, created_at: now }).execute();
    const user = (id: string, name: string, hasTwoFactor: number, hasKey: number) => ({
      id, account_id: 'acc', name, email: `${id}@upgrade.test`, password_hash: 'x', role: 'agent', has_two_factor: hasTwoFactor, has_security_key: hasKey, created_at: now,
    });
    await db.insertInto('users').values([user('app', 'Apolline Okafor', 1, 0), user('key', 'Keanu Kowalski', 1, 1), user('none', 'Nadia Novak', 0, 0)]).execute();
    const method = (id: string, userId: string, type: string, confirmed: number) => ({ id, user_id: userId, account_id: 'acc', type, name: type, confirmed, created_at: now });
    await db.insertInto('methods').values([method('m1', 'app', 'totp', 1), method('m2', 'key', 'security_key', 1), method('m3', 'none', 'totp', 0)]).execute();

    assert.equal((await migrator.migrateToLatest()).error, undefined);

    const flags = await db.selectFrom('users').select(['id', 'has_totp', 'has_security_key']).orderBy('id').execute();
    assert.deepEqual(flags.map((f) => [f.id, Number(f.has_totp), Number(f.has_security_key)]), [['app', 1, 0], ['key', 0, 1], ['none', 0, 0]]);
    const found = async (q: string) => (await filteredUsers(db as Kysely<Database>, 'acc', { q }).select('u.name').orderBy('u.name').execute()).map((r) => r.name);
    assert.deepEqual(await found('okaf'), ['Apolline Okafor']);
    assert.deepEqual(await found('KOWAL'), ['Keanu Kowalski']);
    assert.deepEqual(await found('none@upgrade'), ['Nadia Novak']);
    assert.deepEqual(await found('an'), ['Keanu Kowalski']);
    assert.deepEqual(await found('OV'), ['Nadia Novak']);
    const byKind = async (twoFactor: 'totp' | 'security_key' | 'none') => (await filteredUsers(db as Kysely<Database>, 'acc', { twoFactor }).select('u.id').execute()).map((r) => r.id);
    assert.deepEqual(await byKind('totp'), ['app']);
    assert.deepEqual(await byKind('security_key'), ['key']);
    assert.deepEqual(await byKind('none'), ['none']);
  });

  test('existing audit entries and deployment days keep who: from users, or from the entry of their deletion', async () => {
    const names = Object.keys(migrations).sort();
    const before = names[names.indexOf(AUDIT_KEEPS_WHO) - 1]!;
    const db = await openRaw();
    const migrator = new Migrator({ db, provider: migrationProvider });
    assert.equal((await migrator.migrateTo(before)).error, undefined);

    const now = Date.now();
    await db.insertInto('accounts').values({ id: 'acc', slug: 'upgrade', name: 'Upgrade', require_two_factor: 0, created_at: now, two_factor_scheduled_at: now + 60_000, two_factor_scheduled_by: 'gone' }).execute();
    await db.insertInto('users').values({ id: 'kept', account_id: 'acc', name: 'Kept Admin', email: 'kept@upgrade.test', password_hash: 'x', role: 'admin', has_two_factor: 1, created_at: now }).execute();
    const entry = (id: string, actor: string | null, subject: string | null, action: string, details: object = {}) => ({
      id, account_id: 'acc', actor_id: actor, subject_user_id: subject, action, details: JSON.stringify(details), at: now,
    });
    await db.insertInto('audit_events').values([
      entry('e1', 'gone', 'kept', 'user.role_changed'),
      entry('e2', 'kept', 'gone', 'user.deleted', { userId: 'gone', name: 'Gone Admin', email: 'gone@upgrade.test' }),
      entry('e3', null, 'kept', 'sign_in.failed'),
      entry('e4', 'never-known', null, 'method.added'),
    ]).execute();

    assert.equal((await migrator.migrateToLatest()).error, undefined);

    const rows = await db.selectFrom('audit_events').select(['id', 'actor_name', 'actor_email', 'subject_name', 'subject_email']).orderBy('id').execute();
    assert.deepEqual(rows.map((r) => [r.id, r.actor_name, r.actor_email, r.subject_name, r.subject_email]), [
      ['e1', 'Gone Admin', 'gone@upgrade.test', 'Kept Admin', 'kept@upgrade.test'],
      ['e2', 'Kept Admin', 'kept@upgrade.test', 'Gone Admin', 'gone@upgrade.test'],
      ['e3', null, null, 'Kept Admin', 'kept@upgrade.test'],
      ['e4', null, null, null, null],
    ]);
    const account = await db.selectFrom('accounts').select(['two_factor_scheduled_by_name', 'two_factor_scheduled_by_email']).executeTakeFirstOrThrow();
    assert.deepEqual(account, { two_factor_scheduled_by_name: 'Gone Admin', two_factor_scheduled_by_email: 'gone@upgrade.test' });
  });
  test('existing users and security notifications have no language after the upgrade: the device, and the mail, decide as before', async () => {
    const names = Object.keys(migrations).sort();
    const before = names[names.indexOf(USERS_LANGUAGE) - 1]!;
    const db = await openRaw();
    const migrator = new Migrator({ db, provider: migrationProvider });
    assert.equal((await migrator.migrateTo(before)).error, undefined);
    const now = Date.now();
    await db.insertInto('accounts').values({ id: 'acc', slug: 'upgrade', name: 'Upgrade', require_two_factor: 0, created_at: now }).execute();
    await db.insertInto('users').values({ id: 'old', account_id: 'acc', name: 'Olga Old', email: 'old@upgrade.test', password_hash: 'x', role: 'agent', has_two_factor: 0, created_at: now }).execute();
    await db.insertInto('security_notifications').values({ id: 'n1', account_id: 'acc', user_id: 'old', kind: 'password_changed', details: '{}', created_at: now }).execute();

    assert.equal((await migrator.migrateToLatest()).error, undefined);

    assert.equal((await db.selectFrom('users').select('language').executeTakeFirstOrThrow()).language, null);
    assert.equal((await db.selectFrom('security_notifications').select('language').executeTakeFirstOrThrow()).language, null);
    await db.updateTable('users').set({ language: 'pt-BR' }).where('id', '=', 'old').execute();
    assert.equal((await db.selectFrom('users').select('language').executeTakeFirstOrThrow()).language, 'pt-BR');
  });

  test("existing group memberships get their users' method flags, and keep them in step after the upgrade", async () => {
    const names = Object.keys(migrations).sort();
    const before = names[names.indexOf(MEMBER_FLAGS) - 1]!;
    const db = await openRaw();
    const migrator = new Migrator({ db, provider: migrationProvider });
    assert.equal((await migrator.migrateTo(before)).error, undefined);
    const now = Date.now();
    await db.insertInto('accounts').values({ id: 'acc', slug: 'upgrade', name: 'Upgrade', require_two_factor: 0, created_at: now }).execute();
    const user = (id: string, hasTwoFactor: number, hasKey: number) => ({
      id, account_id: 'acc', name: id, email: `${id}@upgrade.test`, password_hash: 'x', role: 'agent', has_two_factor: hasTwoFactor, has_security_key: hasKey, created_at: now,
    });
    await db.insertInto('users').values([user('app', 1, 0), user('key', 1, 1), user('none', 0, 0)]).execute();
    await db.insertInto('groups').values({ id: 'g', account_id: 'acc', name: 'Old group', name_key: 'old group', external_id: null, created_at: now }).execute();
    await db.insertInto('group_members').values([{ group_id: 'g', user_id: 'app' }, { group_id: 'g', user_id: 'key' }, { group_id: 'g', user_id: 'none' }]).execute();

    assert.equal((await migrator.migrateToLatest()).error, undefined);

    const copies = async () =>
      Object.fromEntries(
        (await db.selectFrom('group_members').select(['user_id', 'has_two_factor', 'has_security_key']).orderBy('user_id').execute()).map((r: any) => [r.user_id, [Number(r.has_two_factor), Number(r.has_security_key)]]),
      );
    assert.deepEqual(await copies(), { app: [1, 0], key: [1, 1], none: [0, 0] });
    // After the upgrade the store keeps them: a flags change, and a membership made later.
    await db.updateTable('users').set({ has_two_factor: 1, has_security_key: 1 }).where('id', '=', 'none').execute();
    await db.updateTable('users').set({ has_two_factor: 0 }).where('id', '=', 'app').execute();
    await db.insertInto('groups').values({ id: 'h', account_id: 'acc', name: 'New group', name_key: 'new group', external_id: null, created_at: now }).execute();
    await db.insertInto('group_members').values({ group_id: 'h', user_id: 'key' }).execute();
    assert.deepEqual(await copies(), { app: [0, 0], key: [1, 1], none: [1, 1] });
    const inNew = await db.selectFrom('group_members').select(['has_two_factor', 'has_security_key']).where('group_id', '=', 'h').executeTakeFirstOrThrow();
    assert.deepEqual([Number(inNew.has_two_factor), Number(inNew.has_security_key)], [1, 1]);
  });
});
