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

/**
 * Session assurance and devices: a session records the device it came from; a device is known
 * to the users who completed a sign-in on it; an unconfirmed method belongs to the session that
 * started it; limits count failures and in-flight attempts apart, with a lock that grows. The
 * old throttles rows are fixed windows with no meaning in the new scheme: the table is rebuilt.
 */
const sessionAssuranceAndDevices: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('devices')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('created_address', 'text')
      .addColumn('last_address', 'text')
      .addColumn('user_agent', 'text')
      .execute();
    await db.schema
      .createTable('device_users')
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('first_signed_in_at', 'bigint', (c) => c.notNull())
      .addColumn('last_signed_in_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('device_users_pk', ['device_id', 'user_id'])
      .execute();
    await db.schema.createIndex('device_users_user').on('device_users').column('user_id').execute();
    await db.schema.alterTable('sessions').addColumn('device_id', 'text').execute();
    // Enforcement ends every session that never passed a second factor: found by this index.
    await db.schema
      .createIndex('sessions_account_without_second_factor')
      .on('sessions')
      .column('account_id')
      .where(sql.ref('second_factor_at'), 'is', null)
      .execute();
    await db.schema.alterTable('users').addColumn('locked_until', 'bigint').execute();
    await db.schema.alterTable('methods').addColumn('session_id', 'text').execute();
    await db.schema.dropTable('throttles').execute();
    await db.schema
      .createTable('throttles')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('in_flight', 'integer', (c) => c.notNull())
      .addColumn('reserved_at', 'bigint', (c) => c.notNull())
      .addColumn('last_failure_at', 'bigint')
      .addColumn('locked_until', 'bigint')
      .execute();
  },
};

/**
 * Rolling 2FA out (issue 12): a deployment day (when the requirement takes effect and who
 * scheduled it), when the requirement last took effect (devices used before it count as known),
 * who may enrol at next sign-in (existing accounts keep the article's `password`; new accounts
 * are created with `known_device`), one-time enrolment codes, each user's security activity,
 * and the request an audit entry came from.
 */
const rolloutEnrolmentPolicyAndSecurityActivity: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('accounts').addColumn('two_factor_scheduled_at', 'bigint').execute();
    await db.schema.alterTable('accounts').addColumn('two_factor_scheduled_by', 'text').execute();
    await db.schema.alterTable('accounts').addColumn('two_factor_required_since', 'bigint').execute();
    await db.schema
      .alterTable('accounts')
      .addColumn('enrollment_policy', 'text', (c) => c.notNull().defaultTo('password'))
      .execute();
    await db
      .updateTable('accounts')
      .set({ two_factor_required_since: sql`coalesce(settings_updated_at, created_at)` })
      .where('require_two_factor', '=', 1)
      .execute();
    // Instances look for due schedules every few seconds: by index, among the few that have one.
    await db.schema
      .createIndex('accounts_two_factor_scheduled')
      .on('accounts')
      .column('two_factor_scheduled_at')
      .where(sql.ref('two_factor_scheduled_at'), 'is not', null)
      .execute();

    await db.schema
      .createTable('enrollment_codes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('code_hash', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .addColumn('used_session_id', 'text')
      .execute();
    await db.schema.createIndex('enrollment_codes_user').on('enrollment_codes').column('user_id').execute();
    await db.schema.createIndex('enrollment_codes_session').on('enrollment_codes').column('used_session_id').execute();

    await db.schema
      .createTable('security_notifications')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('details', 'text', (c) => c.notNull())
      .addColumn('address', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('read_at', 'bigint')
      .addColumn('not_me_at', 'bigint')
      .addColumn('alert_resolved_at', 'bigint')
      .addColumn('alert_resolved_by', 'text')
      .addColumn('mailed_at', 'bigint')
      .execute();
    await db.schema.createIndex('security_notifications_user').on('security_notifications').columns(['user_id', 'id']).execute();
    // The mail outbox (notifications/security-mail.ts) finds what is left to send by this index.
    await db.schema
      .createIndex('security_notifications_unmailed')
      .on('security_notifications')
      .column('created_at')
      .where(sql.ref('mailed_at'), 'is', null)
      .execute();
    await db.schema
      .createIndex('security_notifications_open_alerts')
      .on('security_notifications')
      .column('account_id')
      .where(sql.ref('not_me_at'), 'is not', null)
      .execute();

    await db.schema.alterTable('audit_events').addColumn('subject_user_id', 'text').execute();
    await db.schema.alterTable('audit_events').addColumn('address', 'text').execute();
    await db.schema.alterTable('audit_events').addColumn('user_agent', 'text').execute();
    await db.schema.alterTable('audit_events').addColumn('device_id', 'text').execute();
    await db.schema.createIndex('audit_events_account_action').on('audit_events').columns(['account_id', 'action', 'id']).execute();
  },
};

/**
 * Passkeys and the second-factor policy (issue 13): a security key registered for sign-in
 * without a password holds a discoverable credential (methods.discoverable); the account may
 * allow that (passwordless_sign_in, off by default) and may accept security keys only
 * (second_factor_policy). users.has_security_key is kept in step with methods like
 * has_two_factor, so enforcement finds the users without a key by index. A passkey sign-in has
 * no session yet: its challenge is a row of its own, taken once by id.
 */
const passkeysAndSecondFactorPolicy: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('accounts').addColumn('passwordless_sign_in', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('accounts').addColumn('second_factor_policy', 'text', (c) => c.notNull().defaultTo('any')).execute();
    await db.schema.alterTable('methods').addColumn('discoverable', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('users').addColumn('has_security_key', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db
      .updateTable('users')
      .set({ has_security_key: 1 })
      .where('id', 'in', (eb: any) =>
        eb.selectFrom('methods').select('user_id').where('type', '=', 'security_key').where('confirmed', '=', 1),
      )
      .execute();
    await db.schema.createIndex('users_account_security_key').on('users').columns(['account_id', 'has_security_key']).execute();
    await db.schema
      .createTable('passkey_challenges')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_slug', 'text', (c) => c.notNull())
      .addColumn('challenge', 'text', (c) => c.notNull().unique())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('passkey_challenges_expires').on('passkey_challenges').column('expires_at').execute();
  },
};

/**
 * People management (issue 11): a user is `invited` (no usable password yet), `active` or
 * `deactivated`; the last sign-in is kept for the users list and the compliance report. One
 * table holds the one-time links (invitations and password resets), stored as SHA-256 only.
 * The users list sorts and pages an account's users by name, email, last sign-in or creation:
 * each has an index led by account_id, so a page is an index range scan and the total an
 * index-only count. On PostgreSQL, the search (a substring of the name or email) uses trigram
 * indexes where the pg_trgm extension is available.
 */
const usersStatusInvitationsAndResets: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('users').addColumn('status', 'text', (c) => c.notNull().defaultTo('active')).execute();
    await db.schema.alterTable('users').addColumn('last_sign_in_at', 'bigint').execute();
    await db.schema.createIndex('users_account_name').on('users').columns(['account_id', 'name', 'id']).execute();
    // Never signed in sorts as the oldest: first going up, last going down, on both stores
    // (SQLite's natural order of NULL; PostgreSQL's index is told so).
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      await sql`create index users_account_last_sign_in on users (account_id, last_sign_in_at nulls first, id)`.execute(db);
    } else {
      await db.schema.createIndex('users_account_last_sign_in').on('users').columns(['account_id', 'last_sign_in_at', 'id']).execute();
    }
    await db.schema.createIndex('users_account_created').on('users').columns(['account_id', 'created_at', 'id']).execute();
    await db.schema
      .createTable('user_links')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('user_links_user_purpose').on('user_links').columns(['user_id', 'purpose']).execute();
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      const available = await sql<{ n: number }>`select count(*)::int as n from pg_available_extensions where name = 'pg_trgm'`.execute(db);
      if (available.rows[0]!.n > 0) {
        await sql`create extension if not exists pg_trgm`.execute(db);
        await sql`create index users_name_trgm on users using gin (lower(name) gin_trgm_ops)`.execute(db);
        await sql`create index users_email_trgm on users using gin (email gin_trgm_ops)`.execute(db);
      }
    }
  },
};

/**
 * The users search (a substring of the name or email, people/users.ts) on SQLite walked
 * users_account_name and fetched every user's row to read its email: 100,000 random row reads
 * when few users match (bench/users-list.ts, "agent7777": 2.9 s at load 20). With the email in
 * the index, the search and its count read the index alone, and only the page's rows are fetched.
 */
const usersSearchCoveringIndex: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('users_account_name_email').on('users').columns(['account_id', 'name', 'id', 'email']).execute();
    await db.schema.dropIndex('users_account_name').execute();
  },
};

/**
 * The role and status filters of the users list: the few admins, invited or deactivated users of
 * an account are found by index, for the page and its total, instead of by walking every user
 * by name (bench/users-list.ts at 100,000 users: role=admin p50 150 ms, status=invited 91 ms).
 */
const usersRoleAndStatusIndexes: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('users_account_role_name').on('users').columns(['account_id', 'role', 'name', 'id']).execute();
    await db.schema.createIndex('users_account_status_name').on('users').columns(['account_id', 'status', 'name', 'id']).execute();
  },
};

/**
 * The users list's method filters and its search, at 100,000 users (bench/users-list.ts, quiet
 * machine, SQLite: "authenticator app" p99 141 ms, "security key" 100 ms, an email search 70 ms,
 * "no 2FA, signed in now" 619 ms; target 50 ms).
 * - users.has_totp joins has_two_factor and has_security_key: all three are set from the
 *   methods by one function (second-factors/method-flags.ts), so the list filters, counts and
 *   shows each user's method kinds from the users row, by index, without reading methods.
 * - "Signed in now" is found from the account's live sessions (sessions_account) rather than
 *   by probing every listed user's sessions.
 * - On SQLite, a search of three characters or more uses a trigram full-text index of name and
 *   email (FTS5, kept in step by triggers, keyed by the users rowid, which VACUUM keeps on
 *   SQLite 3.53); PostgreSQL has its pg_trgm indexes already.
 */
const usersMethodFlagsAndSearch: Migration = {
  async up(db: Kysely<any>) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema.alterTable('users').addColumn('has_totp', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db
      .updateTable('users')
      .set({ has_totp: 1 })
      .where('id', 'in', (eb: any) => eb.selectFrom('methods').select('user_id').where('type', '=', 'totp').where('confirmed', '=', 1))
      .execute();
    // Each flag with the list's default order, so a filtered page is a range scan, not a sort;
    // enforcement's lookups by account and flag use the same indexes.
    await db.schema.createIndex('users_account_two_factor_name').on('users').columns(['account_id', 'has_two_factor', 'name', 'id']).execute();
    await db.schema.dropIndex('users_account_two_factor').execute();
    await db.schema.createIndex('users_account_totp_name').on('users').columns(['account_id', 'has_totp', 'name', 'id']).execute();
    await db.schema.createIndex('users_account_security_key_name').on('users').columns(['account_id', 'has_security_key', 'name', 'id']).execute();
    await db.schema.dropIndex('users_account_security_key').execute();
    if (postgres) {
      await db.schema.createIndex('sessions_account').on('sessions').column('account_id').execute();
    } else {
      // SQLite reads the live sessions from the index alone; their rows are not fetched. A
      // revocation removes the entry and a touch (at most once a minute) moves it: on PostgreSQL
      // the same columns would cost those updates their HOT path, so it keeps the plain index.
      await sql`create index sessions_account on sessions (account_id, user_id, expires_at) where revoked_at is null`.execute(db);
    }
    if (!postgres) {
      await sql`create virtual table users_search using fts5(name, email, content='users', content_rowid='rowid', tokenize='trigram')`.execute(db);
      await sql`insert into users_search(users_search) values ('rebuild')`.execute(db);
      await sql`create trigger users_search_insert after insert on users begin
        insert into users_search(rowid, name, email) values (new.rowid, new.name, new.email);
      end`.execute(db);
      await sql`create trigger users_search_delete after delete on users begin
        insert into users_search(users_search, rowid, name, email) values ('delete', old.rowid, old.name, old.email);
      end`.execute(db);
      await sql`create trigger users_search_update after update of name, email on users begin
        insert into users_search(users_search, rowid, name, email) values ('delete', old.rowid, old.name, old.email);
        insert into users_search(rowid, name, email) values (new.rowid, new.name, new.email);
      end`.execute(db);
    }
  },
};

/**
 * Every lock an admin can lift (issue 18): a limit that belongs to a user carries the user's id,
 * so the users list finds every lock of a page's users in one query by id (a partial index: most
 * rows, the address-wide ones, belong to nobody), and lifting a lock-out clears them all.
 */
const throttlesUserId: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('throttles').addColumn('user_id', 'text').execute();
    await db.schema.createIndex('throttles_user').on('throttles').columns(['user_id', 'locked_until']).where(sql.ref('user_id'), 'is not', null).execute();
  },
};

/**
 * The audit keeps who (issue 18): an entry read its actor's and subject's name and email from
 * users, so after a deletion "who invited the backdoor admin" was blank. Each entry now stores
 * them as they were when it was written, and so does a deployment day for the admin who set it.
 * Existing entries are filled from users where the user is still there, then from the
 * `user.deleted` entries, which recorded the deleted user's name and email in their details.
 */
const auditKeepsWho: Migration = {
  async up(db: Kysely<any>) {
    for (const column of ['actor_name', 'actor_email', 'subject_name', 'subject_email']) {
      await db.schema.alterTable('audit_events').addColumn(column, 'text').execute();
    }
    await db.schema.alterTable('accounts').addColumn('two_factor_scheduled_by_name', 'text').execute();
    await db.schema.alterTable('accounts').addColumn('two_factor_scheduled_by_email', 'text').execute();
    const of = (column: 'name' | 'email', id: string) => (eb: any) => eb.selectFrom('users').select(column).where('users.id', '=', eb.ref(id));
    await db
      .updateTable('audit_events')
      .set((eb: any) => ({ actor_name: of('name', 'audit_events.actor_id')(eb), actor_email: of('email', 'audit_events.actor_id')(eb) }))
      .where('actor_id', 'is not', null)
      .execute();
    await db
      .updateTable('audit_events')
      .set((eb: any) => ({ subject_name: of('name', 'audit_events.subject_user_id')(eb), subject_email: of('email', 'audit_events.subject_user_id')(eb) }))
      .where('subject_user_id', 'is not', null)
      .execute();
    await db
      .updateTable('accounts')
      .set((eb: any) => ({ two_factor_scheduled_by_name: of('name', 'accounts.two_factor_scheduled_by')(eb), two_factor_scheduled_by_email: of('email', 'accounts.two_factor_scheduled_by')(eb) }))
      .where('two_factor_scheduled_by', 'is not', null)
      .execute();
    const deletions = await db.selectFrom('audit_events').select(['account_id', 'details']).where('action', '=', 'user.deleted').execute();
    for (const row of deletions) {
      const gone = JSON.parse(row.details) as { userId?: unknown; name?: unknown; email?: unknown };
      if (typeof gone.userId !== 'string' || typeof gone.name !== 'string' || typeof gone.email !== 'string') continue;
      const base = (role: 'actor' | 'subject') =>
        db
          .updateTable('audit_events')
          .where('account_id', '=', row.account_id)
          .where(role === 'actor' ? 'actor_id' : 'subject_user_id', '=', gone.userId)
          .where(`${role}_name`, 'is', null);
      await base('actor').set({ actor_name: gone.name, actor_email: gone.email }).execute();
      await base('subject').set({ subject_name: gone.name, subject_email: gone.email }).execute();
      await db
        .updateTable('accounts')
        .set({ two_factor_scheduled_by_name: gone.name, two_factor_scheduled_by_email: gone.email })
        .where('id', '=', row.account_id)
        .where('two_factor_scheduled_by', '=', gone.userId)
        .where('two_factor_scheduled_by_name', 'is', null)
        .execute();
    }
  },
};

/**
 * OWASP ASVS 5.0 V6/V7 (issue 18). sessions.password_at: when the password was last entered in
 * this session (sign-in or re-entry); a first method needs it within 10 minutes. Existing
 * sessions have none, so they must enter it again. accounts.allow_recovery_codes_under_keys_only:
 * whether recovery codes pass the second step under "security keys only"; off for every account.
 * recovery_codes.strong: 0 for the 10-character codes issued so far (My security asks for new ones).
 */
const passwordAtAndRecoveryCodesUnderKeysOnly: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('sessions').addColumn('password_at', 'bigint').execute();
    await db.schema.alterTable('accounts').addColumn('allow_recovery_codes_under_keys_only', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    // Every code issued so far is a 10-character one: the user is asked to regenerate them.
    await db.schema.alterTable('recovery_codes').addColumn('strong', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  },
};

/**
 * Each user's language (issue 19): null follows the device; emails are in it. A security
 * notification keeps its request's language, for a user who has none.
 */
const usersLanguage: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('users').addColumn('language', 'text').execute();
    await db.schema.alterTable('security_notifications').addColumn('language', 'text').execute();
  },
};

/**
 * Single sign-on (issue 20): an account's identity providers (OpenID Connect now; SAML later in
 * the same table, `type`), the client secret sealed with the secret box, and the sign-ins in
 * flight: one row per authorization request (state and nonce, PKCE verifier sealed, short expiry,
 * one use), which for the desktop also holds the one-time code its loopback receives.
 */
const ssoIdentityProviders: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('identity_providers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('issuer', 'text')
      .addColumn('client_id', 'text')
      .addColumn('client_secret', 'text')
      .addColumn('trust_mfa', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('mfa_acr_values', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('jit_provisioning', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('identity_providers_account').on('identity_providers').column('account_id').execute();

    await db.schema
      .createTable('sso_requests')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('state_hash', 'text', (c) => c.notNull().unique())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('provider_id', 'text', (c) => c.notNull().references('identity_providers.id').onDelete('cascade'))
      .addColumn('client', 'text', (c) => c.notNull())
      .addColumn('nonce', 'text', (c) => c.notNull())
      .addColumn('code_verifier', 'text', (c) => c.notNull())
      .addColumn('redirect_uri', 'text')
      .addColumn('code_challenge', 'text')
      .addColumn('device_id', 'text')
      .addColumn('browser_hash', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
      .addColumn('mfa_trusted', 'integer')
      .addColumn('amr', 'text')
      .addColumn('acr', 'text')
      .addColumn('exchange_code_hash', 'text', (c) => c.unique())
      .addColumn('exchange_expires_at', 'bigint')
      .addColumn('exchange_used_at', 'bigint')
      .execute();
    await db.schema.createIndex('sso_requests_expires').on('sso_requests').column('expires_at').execute();
  },
};

/**
 * Issue 22: the admins are emailed when a user answers "This wasn't me". security_notifications.
 * admins_mailed_at: when that mail was claimed (once across instances), as mailed_at is for the
 * user's own mail. Reports made before this migration count as mailed: they are not sent late.
 */
const notMeAdminsMailed: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('security_notifications').addColumn('admins_mailed_at', 'bigint').execute();
    await db.updateTable('security_notifications').set({ admins_mailed_at: sql.ref('not_me_at') }).where('not_me_at', 'is not', null).execute();
    // The outbox (notifications/security-mail.ts) finds the reports left to mail by this index.
    await db.schema
      .createIndex('security_notifications_not_me_unmailed')
      .on('security_notifications')
      .column('not_me_at')
      .where(sql.ref('admins_mailed_at'), 'is', null)
      .execute();
  },
};

/**
 * Audit streaming (issue 22): an account's streams and the outbox of entries each has yet to
 * receive. A row per entry and stream is written in the entry's transaction and deleted once the
 * receiver took it (audit-streams/delivery.ts), so nothing audited is lost between the two.
 */
const auditStreams: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('audit_streams')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('secret', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('last_delivered_at', 'bigint')
      .addColumn('last_error', 'text')
      .addColumn('last_error_at', 'bigint')
      .addColumn('failing_since', 'bigint')
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'bigint')
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'bigint')
      .execute();
    // The audit write looks an account's streams up by this (an empty range for most accounts).
    await db.schema.createIndex('audit_streams_account').on('audit_streams').column('account_id').execute();
    await db.schema
      .createTable('audit_outbox')
      // No foreign key to audit_streams: on PostgreSQL an entry written while its stream is being
      // removed would fail the key check, and with it the change being audited (a sign-in). The
      // rows a removal leaves behind are swept by the delivery (audit-streams/delivery.ts).
      .addColumn('stream_id', 'text', (c) => c.notNull())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('audit_outbox_pk', ['stream_id', 'event_id'])
      .execute();
  },
};

/**
 * Sign-in networks (PRODUCT.md "Authentication policies"): an account's allowed networks, a JSON
 * array of CIDRs (sessions/sign-in-networks.ts); null is no rule.
 */
const signInNetworks: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('accounts').addColumn('allowed_networks', 'text').execute();
  },
};

/**
 * Session lifetimes per account (PRODUCT.md "Authentication policies"): idle minutes and absolute
 * hours set by the admin (sessions/session-policy.ts); null keeps the server's defaults.
 */
const sessionPolicy: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('accounts').addColumn('session_idle_minutes', 'integer').execute();
    await db.schema.alterTable('accounts').addColumn('session_absolute_hours', 'integer').execute();
  },
};

/**
 * Security-key models (PRODUCT.md "Authentication policies"): an account's rule on which
 * authenticator models may be registered and what their attestation is checked against
 * (second-factors/key-models.ts); no row is no rule. `methods.aaguid` is the model of a key
 * whose attestation was verified at registration (null: never attested, as every key before).
 */
const securityKeyModels: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('security_key_policies')
      .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
      .addColumn('allowed_aaguids', 'text', (c) => c.notNull())
      .addColumn('metadata', 'text', (c) => c.notNull())
      .addColumn('trusted_roots', 'text')
      .addColumn('blob_no', 'bigint')
      .addColumn('blob_next_update', 'text')
      .addColumn('blob_entries', 'text')
      .addColumn('blob_uploaded_at', 'bigint')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_by', 'text')
      .execute();
    await db.schema.alterTable('methods').addColumn('aaguid', 'text').execute();
  },
};

/**
 * Remembered personal devices (PRODUCT.md "Authentication policies"; sessions/remembered-devices.ts):
 * the account's number of days (0: off), whether a device was declared shared or personal, the
 * remembrances themselves (one per device and user), and the sessions that skipped the second
 * step through one (they never count as a second factor).
 */
const rememberedDevices: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('accounts').addColumn('remember_device_days', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    // null: not declared yet; 1: shared (never remembers anyone, for good); 0: personal.
    await db.schema.alterTable('devices').addColumn('shared', 'integer').execute();
    await db.schema.alterTable('sessions').addColumn('remembered_at', 'bigint').execute();
    await db.schema
      .createTable('remembered_devices')
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('remembered_devices_pk', ['device_id', 'user_id'])
      .execute();
    // Ended by user (a password change, a reset, "This wasn't me", the user's row).
    await db.schema.createIndex('remembered_devices_user').on('remembered_devices').column('user_id').execute();
  },
};

/**
 * Grace per user (PRODUCT.md "Authentication policies"; enforcement/grace.ts): the account's
 * grace (a number of postponements, 0 = none, and/or an end date), and each user's own grace,
 * granted once, the first time they must enrol, and spent one sign-in at a time.
 */
const userGrace: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('accounts').addColumn('grace_sign_ins', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('accounts').addColumn('grace_until', 'bigint').execute();
    // A session the user let in without enrolling, by postponing: never a second factor.
    await db.schema.alterTable('sessions').addColumn('postponed_at', 'bigint').execute();
    await db.schema
      .createTable('user_grace')
      .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
      .addColumn('account_id', 'text', (c) => c.notNull())
      // null: no limit on the count (grace until a date only).
      .addColumn('sign_ins_left', 'integer')
      // null: no end date (grace by count only).
      .addColumn('until', 'bigint')
      .addColumn('granted_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};

/**
 * SAML 2.0 identity providers (issue 20; sso/saml.ts): the IdP's metadata XML as the admin gave
 * it (entity id, single sign-on URL and signing certificates are read from it at each use), and
 * the assertion ids already accepted, per provider, kept until their NotOnOrAfter: the same
 * assertion is never accepted twice.
 */
const samlProviders: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('identity_providers').addColumn('metadata_xml', 'text').execute();
    await db.schema
      .createTable('saml_assertions')
      .addColumn('provider_id', 'text', (c) => c.notNull().references('identity_providers.id').onDelete('cascade'))
      .addColumn('assertion_id', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('saml_assertions_pk', ['provider_id', 'assertion_id'])
      .execute();
    await db.schema.createIndex('saml_assertions_expires').on('saml_assertions').column('expires_at').execute();
  },
};

/**
 * Groups (PRODUCT.md "Authentication policies"; groups/groups.ts) and the scope of "Require
 * two-factor authentication" (enforcement/requirement-scope.ts). A group's name is unique per
 * account whatever its case (`name_key` is its lower-case form); `external_id` is SCIM's. The
 * scope defaults to everyone, so every existing account behaves exactly as before; its roles and
 * groups are rows, so that "who is in scope" is one set-based query. Deleting a user or a group
 * removes its memberships and its place in the scope (cascades).
 */
const groupsAndRequirementScope: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('groups')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('name_key', 'text', (c) => c.notNull())
      .addColumn('external_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('groups_account_name').on('groups').columns(['account_id', 'name_key']).unique().execute();
    await db.schema.createIndex('groups_account_external_id').on('groups').columns(['account_id', 'external_id']).execute();
    await db.schema
      .createTable('group_members')
      .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
      .execute();
    // "Is this user in a group of the scope": by user.
    await db.schema.createIndex('group_members_user').on('group_members').columns(['user_id', 'group_id']).execute();
    await db.schema.alterTable('accounts').addColumn('two_factor_scope_everyone', 'integer', (c) => c.notNull().defaultTo(1)).execute();
    await db.schema
      .createTable('two_factor_scope_roles')
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('role', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('two_factor_scope_roles_pk', ['account_id', 'role'])
      .execute();
    await db.schema
      .createTable('two_factor_scope_groups')
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('two_factor_scope_groups_pk', ['account_id', 'group_id'])
      .execute();
    await db.schema.createIndex('two_factor_scope_groups_group').on('two_factor_scope_groups').column('group_id').execute();
  },
};

/**
 * SSO only (PRODUCT.md "Enterprise sign-in"; sso/sign-in-settings.ts): whether local sign-in is
 * off for everyone but the account's break-glass admins, who those are, and which identity
 * provider each user last signed in through (the users list shows it). All default to "none".
 */
const ssoOnly: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('accounts').addColumn('sso_only', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('users').addColumn('break_glass', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('users').addColumn('last_sso_provider_id', 'text').execute();
  },
};

/**
 * SCIM 2.0 provisioning (PRODUCT.md "Enterprise sign-in"; server/scim/): an account's bearer
 * tokens (stored as their SHA-256 only, like session tokens), and each user's `externalId` as
 * the identity provider knows it (null for users SCIM never touched), and whether a provider
 * brought the user.
 */
const scimProvisioning: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('scim_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('last_used_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema.createIndex('scim_tokens_account').on('scim_tokens').column('account_id').execute();
    await db.schema.alterTable('users').addColumn('scim_external_id', 'text').execute();
    // 'sso' or 'scim' for a user an identity provider brought (no password of ours, and none
    // to choose: reactivated, they are active, not invited); null for everyone else.
    await db.schema.alterTable('users').addColumn('provisioned_via', 'text').execute();
    await db.schema.createIndex('users_scim_external_id').on('users').columns(['account_id', 'scim_external_id']).execute();
  },
};

/**
 * Keys outside a saved security-key rule (second-factors/key-models.ts): 1 marks a confirmed key
 * the account's rule refuses today. Every rule save sets it for all of the account's keys in one
 * statement, and the users' method flags count only keys at 0, so such a key passes no second
 * step and the users it leaves without a method are treated as without one.
 */
const keysOutsideRule: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('methods').addColumn('outside_rule', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  },
};

/**
 * The scoped impact preview (enforcement.ts enforcementImpact) counts a scope's users and their
 * sessions by looking each member up: 10,000 lookups for a group of 10,000. Each lookup reads
 * from an index alone instead of the table (bench/enforce.ts --group, 100,000 agents):
 * - users by id with the method flags the counts read (and the account it checks): has_two_factor
 *   and has_security_key, the two a policy accepts (policy.ts acceptedMethodFlag), not has_totp;
 * - on SQLite, sessions_account gains second_factor_at (and revoked_at, always null in it, so
 *   that SQLite sees the index as covering a query that says `revoked_at is null`): a session
 *   that never passed a second factor is found without reading its row. It replaces the old
 *   index of the same name, of which it is a superset (the users list's "signed in now" reads
 *   it as before).
 *   PostgreSQL keeps its plain index, for the HOT path of revocations and touches (see above).
 */
const impactPreviewIndexes: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('users_id_flags').on('users').columns(['id', 'account_id', 'has_two_factor', 'has_security_key']).execute();
    if (!(db.getExecutor().adapter instanceof PostgresAdapter)) {
      await db.schema.dropIndex('sessions_account').execute();
      await sql`create index sessions_account on sessions (account_id, user_id, expires_at, second_factor_at, revoked_at) where revoked_at is null`.execute(db);
    }
  },
};

/**
 * A postponed session ends with its user's grace (enforcement/grace.ts; sessions/assurance.ts):
 * the grace's end date as it stood when they postponed, moved when an admin changes it. Null: a
 * grace by count only (the session lives its lifetime), and every session that did not postpone.
 */
const postponedUntil: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('sessions').addColumn('postponed_until', 'bigint').execute();
  },
};

/**
 * Each group membership carries its user's method flags (has_two_factor, has_security_key, the two
 * a policy accepts), copied by the store itself: a trigger fills them when a membership is made
 * and another copies a change of a user's flags to all of their memberships, so no code path that
 * sets the flags (an activation, a removal, a reset, a key rule) can leave a copy behind.
 * Why: the scoped impact preview (enforcement.ts enforcementImpact) counts a group's members by
 * flag. Read from the users rows that was one index probe per member, 15-20 ms of PostgreSQL's time
 * for a group of 10,000 scattered over 100,000 users; read from the group's own index
 * (group_members_flags) it is one range (docs/performance.md "Member flags").
 * On PostgreSQL a member's sessions that never passed a second factor are found by a partial index
 * on user_id (SQLite's sessions_account already holds second_factor_at). Its predicate is a column
 * that a touch and a revocation do not write, so both keep their HOT path.
 * The triggers take no lock: a copy that a race leaves behind is caught by groups/member-flags.ts.
 */
const groupMemberFlags: Migration = {
  async up(db: Kysely<any>) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema.alterTable('group_members').addColumn('has_two_factor', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('group_members').addColumn('has_security_key', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await sql`update group_members set
      has_two_factor = coalesce((select u.has_two_factor from users u where u.id = group_members.user_id), 0),
      has_security_key = coalesce((select u.has_security_key from users u where u.id = group_members.user_id), 0)`.execute(db);
    await db.schema.createIndex('group_members_flags').on('group_members').columns(['group_id', 'user_id', 'has_two_factor', 'has_security_key']).execute();
    if (postgres) {
      await sql`create index sessions_user_without_second_factor on sessions (user_id) where second_factor_at is null`.execute(db);
      await sql`create function group_members_take_flags() returns trigger language plpgsql as $$
        begin
          select u.has_two_factor, u.has_security_key into new.has_two_factor, new.has_security_key
            from users u where u.id = new.user_id;
          -- No such user: the foreign key refuses the row, with its own error.
          new.has_two_factor := coalesce(new.has_two_factor, 0);
          new.has_security_key := coalesce(new.has_security_key, 0);
          return new;
        end $$`.execute(db);
      await sql`create trigger group_members_take_flags before insert on group_members
        for each row execute function group_members_take_flags()`.execute(db);
      await sql`create function users_flags_to_group_members() returns trigger language plpgsql as $$
        begin
          update group_members set has_two_factor = new.has_two_factor, has_security_key = coalesce(new.has_security_key, 0)
            where user_id = new.id;
          return null;
        end $$`.execute(db);
      await sql`create trigger users_flags_to_group_members after update of has_two_factor, has_security_key on users
        for each row when (old.has_two_factor is distinct from new.has_two_factor or old.has_security_key is distinct from new.has_security_key)
        execute function users_flags_to_group_members()`.execute(db);
    } else {
      await sql`create trigger group_members_take_flags after insert on group_members begin
        update group_members set
          has_two_factor = coalesce((select u.has_two_factor from users u where u.id = new.user_id), 0),
          has_security_key = coalesce((select u.has_security_key from users u where u.id = new.user_id), 0)
        where group_id = new.group_id and user_id = new.user_id;
      end`.execute(db);
      await sql`create trigger users_flags_to_group_members after update of has_two_factor, has_security_key on users
        when old.has_two_factor is not new.has_two_factor or old.has_security_key is not new.has_security_key begin
        update group_members set has_two_factor = new.has_two_factor, has_security_key = coalesce(new.has_security_key, 0)
        where user_id = new.id;
      end`.execute(db);
    }
  },
};

export const migrations: Record<string, Migration> = {
  '2026-11-29-initial': initial,
  '2026-11-29-sessions-index-without-revoked-at': sessionsIndexWithoutRevokedAt,
  '2026-12-02-session-assurance-and-devices': sessionAssuranceAndDevices,
  '2026-12-02-two-factor-rollout-and-security-activity': rolloutEnrolmentPolicyAndSecurityActivity,
  '2026-12-02-passkeys-and-second-factor-policy': passkeysAndSecondFactorPolicy,
  '2026-12-02-users-status-invitations-and-resets': usersStatusInvitationsAndResets,
  '2026-12-02-users-status-invitations-and-resets-search-index': usersSearchCoveringIndex,
  '2026-12-02-users-status-invitations-and-resets-search-index-role-status': usersRoleAndStatusIndexes,
  '2026-12-02-users-status-invitations-and-resets-search-index-role-status-method-flags': usersMethodFlagsAndSearch,
  '2026-12-07-throttles-user-id': throttlesUserId,
  '2026-12-07-throttles-user-id-audit-keeps-who': auditKeepsWho,
  '2026-12-07-throttles-user-id-password-at-and-recovery-codes-under-keys-only': passwordAtAndRecoveryCodesUnderKeysOnly,
  '2026-12-07-throttles-user-id-password-at-and-recovery-codes-under-keys-only-users-language': usersLanguage,
  // After users-language (merged first): Kysely applies migrations in name order, new ones last.
  '2026-12-07-throttles-user-id-password-at-and-recovery-codes-under-keys-only-users-language-not-me-admins-mailed': notMeAdminsMailed,
  // After not-me-admins-mailed (merged first): Kysely applies migrations in name order, new ones last.
  '2026-12-07-throttles-user-id-password-at-and-recovery-codes-under-keys-only-users-language-not-me-admins-mailed-audit-streams': auditStreams,
  '2026-12-07-throttles-user-id-password-at-and-recovery-codes-under-keys-only-users-language-not-me-admins-mailed-audit-streams-sign-in-networks': signInNetworks,
  '2026-12-07-throttles-user-id-password-at-and-recovery-codes-under-keys-only-users-language-not-me-admins-mailed-audit-streams-sign-in-networks-session-policy': sessionPolicy,
  // After session-policy (merged first): Kysely applies migrations in name order, new ones last.
  '2026-12-07-throttles-user-id-password-at-and-recovery-codes-under-keys-only-users-language-not-me-admins-mailed-audit-streams-sign-in-networks-session-policy-sso-identity-providers': ssoIdentityProviders,
  // After sso-identity-providers (merged first): Kysely applies migrations in name order, new ones last.
  '2026-12-07-throttles-user-id-password-at-and-recovery-codes-under-keys-only-users-language-not-me-admins-mailed-audit-streams-sign-in-networks-session-policy-sso-identity-providers-security-key-models': securityKeyModels,
  '2026-12-07-throttles-user-id-password-at-and-recovery-codes-under-keys-only-users-language-not-me-admins-mailed-audit-streams-sign-in-networks-session-policy-sso-identity-providers-security-key-models-remembered-devices': rememberedDevices,
  '2026-12-07-throttles-user-id-password-at-and-recovery-codes-under-keys-only-users-language-not-me-admins-mailed-audit-streams-sign-in-networks-session-policy-sso-identity-providers-security-key-models-remembered-devices-saml': samlProviders,
  // After saml (merged first): Kysely applies migrations in name order, new ones last.
  '2026-12-07-throttles-user-id-password-at-and-recovery-codes-under-keys-only-users-language-not-me-admins-mailed-audit-streams-sign-in-networks-session-policy-sso-identity-providers-security-key-models-remembered-devices-saml-groups-and-requirement-scope': groupsAndRequirementScope,
  '2026-12-07-throttles-user-id-password-at-and-recovery-codes-under-keys-only-users-language-not-me-admins-mailed-audit-streams-sign-in-networks-session-policy-sso-identity-providers-security-key-models-remembered-devices-saml-grace': userGrace,
  '2026-12-07-throttles-user-id-password-at-and-recovery-codes-under-keys-only-users-language-not-me-admins-mailed-audit-streams-sign-in-networks-session-policy-sso-identity-providers-security-key-models-remembered-devices-saml-sso-only': ssoOnly,
  // After sso-only (merged first): Kysely applies migrations in name order, new ones last.
  '2026-12-07-throttles-user-id-password-at-and-recovery-codes-under-keys-only-users-language-not-me-admins-mailed-audit-streams-sign-in-networks-session-policy-sso-identity-providers-security-key-models-remembered-devices-saml-sso-only-scim': scimProvisioning,
  // After scim (merged first): Kysely applies migrations in name order, new ones last.
  // Kysely's migration table keeps names of at most 255 characters on PostgreSQL (varchar(255)),
  // and the chain of appended names above reached it: names start again from the next day's
  // date, which sorts after every 2026-12-07 name. Append to this one from here.
  '2026-12-08-keys-outside-rule': keysOutsideRule,
  '2026-12-08-keys-outside-rule-impact-preview': impactPreviewIndexes,
  '2026-12-08-keys-outside-rule-impact-preview-postponed-until': postponedUntil,
  '2026-12-08-keys-outside-rule-impact-preview-postponed-until-member-flags': groupMemberFlags,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
