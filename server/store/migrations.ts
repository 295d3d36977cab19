// Schema migrations, in order. Column types are the portable subset (text, integer, bigint) so
// the same migrations run on SQLite and PostgreSQL.
import { PostgresAdapter, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

const initial: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('accounts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('slug', 'text', (c) => c.notNull().unique())
      .addColumn('require_two_factor', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('user_verification', 'text', (c) => c.notNull().defaultTo('discouraged'))
      .addColumn('settings_updated_at', 'bigint')
      .addColumn('settings_updated_by', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('has_two_factor', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('users_account_email', ['account_id', 'email'])
      .execute();
    await db.schema
      .createIndex('users_account_two_factor')
      .on('users')
      .columns(['account_id', 'has_two_factor'])
      .execute();

    await db.schema
      .createTable('methods')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('confirmed', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint')
      .addColumn('totp_secret', 'text')
      .addColumn('totp_last_step', 'bigint')
      .addColumn('credential_id', 'text')
      .addColumn('public_key', 'text')
      .addColumn('sign_count', 'bigint')
      .addColumn('transports', 'text')
      .addColumn('clone_warning_at', 'bigint')
      .execute();
    await db.schema.createIndex('methods_user').on('methods').column('user_id').execute();
    await db.schema
      .createIndex('methods_credential')
      .on('methods')
      .column('credential_id')
      .unique()
      .execute();

    await db.schema
      .createTable('recovery_codes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('code_hash', 'text', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();
    await db.schema.createIndex('recovery_codes_user').on('recovery_codes').column('user_id').execute();

    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('second_factor_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .addColumn('revoked_reason', 'text')
      .addColumn('client_address', 'text')
      .addColumn('user_agent', 'text')
      .execute();
    await db.schema.createIndex('sessions_user').on('sessions').columns(['user_id', 'revoked_at']).execute();

    await db.schema
      .createTable('challenges')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('session_id', 'text', (c) => c.notNull().references('sessions.id').onDelete('cascade'))
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('challenge', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('challenges_session').on('challenges').columns(['session_id', 'purpose']).execute();

    await db.schema
      .createTable('throttles')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('window_started_at', 'bigint', (c) => c.notNull())
      .addColumn('locked_until', 'bigint')
      .execute();

    await db.schema
      .createTable('audit_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('details', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('audit_events_account').on('audit_events').columns(['account_id', 'id']).execute();
  },
};

/**
 * Revoking sessions (an enforcement save revokes every session of every user without 2FA) sets
 * revoked_at, which sessions_user indexed: every revoked row then had its index entry rewritten,
 * and on PostgreSQL no revocation could be a HOT update, so each also got new entries in the
 * primary-key and token_hash indexes (bench/enforce.ts, EXPLAIN ANALYZE: 15 buffer hits a row,
 * 2.2 s of a 3.1 s save over 100,000 agents). The lookups only need user_id: a user has a few
 * sessions, and revoked_at is checked on the row. On PostgreSQL, pages of sessions also keep
 * room for the updated row version (fillfactor), so revocations and last-seen touches stay on
 * the page without touching any index.
 */
const sessionsIndexWithoutRevokedAt: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();
    await db.schema.dropIndex('sessions_user').execute();
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      await sql`alter table sessions set (fillfactor = 70)`.execute(db);
    }
  },
};

export const migrations: Record<string, Migration> = {
  '2026-11-29-initial': initial,
  '2026-11-29-sessions-index-without-revoked-at': sessionsIndexWithoutRevokedAt,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
