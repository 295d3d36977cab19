// Accounts (tenants) and their users: first-run account creation, admins adding users, the
// users list with 2FA status, and an admin's reset of a user's 2FA.
import { sql, type Kysely } from 'kysely';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../crypto/tokens.js';
import { ApiError } from '../http/errors.js';
import type { SessionEvents } from '../sessions/events.js';
import { hashPassword } from './passwords.js';
import { Sessions } from '../sessions/sessions.js';
import type { Database, UsersTable } from '../store/schema.js';

export function userView(u: Pick<UsersTable, 'id' | 'name' | 'email' | 'role'>) {
  return { id: u.id, name: u.name, email: u.email, role: u.role };
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint/i.test(e?.message ?? '');
}

export async function createAccount(
  db: Kysely<Database>,
  input: { name: string; slug: string; admin: { name: string; email: string; password: string }; openSignup: boolean },
) {
  const passwordHash = await hashPassword(input.admin.password);
  const now = Date.now();
  const accountId = newId();
  const userId = newId();
  try {
    await db.transaction().execute(async (trx) => {
      if (!input.openSignup) {
        const any = await trx.selectFrom('accounts').select('id').limit(1).executeTakeFirst();
        if (any) throw new ApiError('signup_closed');
      }
      await trx
        .insertInto('accounts')
        .values({ id: accountId, name: input.name, slug: input.slug, require_two_factor: 0, user_verification: 'discouraged', settings_updated_at: null, settings_updated_by: null, created_at: now, enrollment_policy: 'known_device' })
        .execute();
      await trx
        .insertInto('users')
        .values({ id: userId, account_id: accountId, name: input.admin.name, email: normalizeEmail(input.admin.email), password_hash: passwordHash, role: 'admin', has_two_factor: 0, created_at: now, locked_until: null })
        .execute();
      await recordAudit(trx, { accountId, actorId: userId, action: 'account.created', details: { slug: input.slug }, at: now });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ApiError('slug_taken');
    throw error;
  }
  return {
    account: { id: accountId, name: input.name, slug: input.slug, requireTwoFactor: false },
    user: { id: userId, name: input.admin.name, email: normalizeEmail(input.admin.email), role: 'admin' as const },
  };
}

export async function createUser(
  db: Kysely<Database>,
  input: { accountId: string; actorId: string; name: string; email: string; password: string; role: 'admin' | 'agent' },
) {
  const passwordHash = await hashPassword(input.password);
  const user = {
    id: newId(),
    account_id: input.accountId,
    name: input.name,
    email: normalizeEmail(input.email),
    password_hash: passwordHash,
    role: input.role,
    has_two_factor: 0,
    created_at: Date.now(),
    locked_until: null,
  };
  try {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('users').values(user).execute();
      await recordAudit(trx, { accountId: input.accountId, actorId: input.actorId, action: 'user.created', details: { userId: user.id, email: user.email, role: user.role } });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ApiError('email_taken');
    throw error;
  }
  return userView(user);
}

export async function listUsers(db: Kysely<Database>, accountId: string, options: { limit: number; offset: number; query?: string | undefined }) {
  let base = db.selectFrom('users as u').where('u.account_id', '=', accountId);
  if (options.query) {
    const like = `%${options.query.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
    // The escape character is named: PostgreSQL defaults to backslash, SQLite has none.
    base = base.where(sql<boolean>`(u.email like ${like} escape '\\' or lower(u.name) like ${like} escape '\\')`);
  }
  const [rows, total] = await Promise.all([
    base
      .select(['u.id', 'u.name', 'u.email', 'u.role', 'u.has_two_factor', 'u.created_at'])
      .select((eb) =>
        eb
          .selectFrom('methods as m')
          .select((e) => e.fn.countAll<number>().as('n'))
          .whereRef('m.user_id', '=', 'u.id')
          .where('m.confirmed', '=', 1)
          .as('method_count'),
      )
      .orderBy('u.name')
      .orderBy('u.id')
      .limit(options.limit)
      .offset(options.offset)
      .execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    users: rows.map((r) => ({
      id: r.id,
      name: r.name,
      email: r.email,
      role: r.role,
      twoFactorEnabled: r.has_two_factor === 1,
      methodCount: Number(r.method_count ?? 0),
      createdAt: new Date(Number(r.created_at)).toISOString(),
    })),
    total: Number(total.n),
  };
}

/** Lost phone or key: removes the user's methods and recovery codes and signs them out everywhere. */
export async function resetTwoFactor(
  db: Kysely<Database>,
  events: SessionEvents,
  input: { accountId: string; actorId: string; userId: string },
) {
  const result = await db.transaction().execute(async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select(['id', 'email'])
      .where('id', '=', input.userId)
      .where('account_id', '=', input.accountId)
      .executeTakeFirst();
    if (!user) throw new ApiError('not_found', 'No such user in this account.');
    const removed = await trx.deleteFrom('methods').where('user_id', '=', user.id).executeTakeFirst();
    await trx.deleteFrom('recovery_codes').where('user_id', '=', user.id).execute();
    await trx.updateTable('users').set({ has_two_factor: 0, has_security_key: 0 }).where('id', '=', user.id).execute();
    const sessionIds = await Sessions.revokeUsersSessions(trx, [user.id], 'two_factor_reset');
    const removedMethods = Number(removed.numDeletedRows);
    await recordAudit(trx, {
      accountId: input.accountId,
      actorId: input.actorId,
      action: 'user.two_factor_reset',
      details: { userId: user.id, email: user.email, removedMethods, signedOutUsers: sessionIds.length > 0 ? 1 : 0, revokedSessions: sessionIds.length },
    });
    return { removedMethods, sessionIds };
  });
  await events.publishRevoked(result.sessionIds, 'two_factor_reset');
  return { removedMethods: result.removedMethods, revokedSessions: result.sessionIds.length };
}
