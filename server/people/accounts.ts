// Accounts (tenants): first-run account creation, and an admin's reset of a user's 2FA. Adding
// users is by invitation (invitations.ts); the users list is users.ts.
import { endRemembrances } from '../sessions/remembered-devices.js';
import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../crypto/tokens.js';
import { DomainError } from '../errors.js';
import { NO_METHOD_FLAGS } from '../second-factors/method-flags.js';
import type { SessionEvents } from '../sessions/events.js';
import { hashPassword, type PasswordPolicy, type WarnLog } from './passwords.js';
import { Sessions } from '../sessions/sessions.js';
import type { Database, UsersTable } from '../store/schema.js';
import { isUniqueViolation } from './invitations.js';
import { notify } from '../notifications/security-activity.js';
import { releaseBreakGlass } from '../sso/sign-in-settings.js';

/** The user as the API answers them; `language` null follows the device (people/language.ts). */
export function userView(u: Pick<UsersTable, 'id' | 'name' | 'email' | 'role' | 'language'>) {
  return { id: u.id, name: u.name, email: u.email, role: u.role, language: u.language ?? null };
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function createAccount(
  db: Kysely<Database>,
  passwords: PasswordPolicy,
  input: { name: string; slug: string; admin: { name: string; email: string; password: string }; openSignup: boolean; log?: WarnLog | undefined },
) {
  // The first admin's password meets the same policy as every other (ASVS 6.2.4, 6.2.11, 6.2.12).
  await passwords.check(input.admin.password, { email: input.admin.email, names: [input.admin.name, input.name, input.slug], log: input.log });
  const passwordHash = await hashPassword(input.admin.password);
  const now = Date.now();
  const accountId = newId();
  const userId = newId();
  try {
    await db.transaction().execute(async (trx) => {
      if (!input.openSignup) {
        const any = await trx.selectFrom('accounts').select('id').limit(1).executeTakeFirst();
        if (any) throw new DomainError('signup_closed');
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
    if (isUniqueViolation(error)) throw new DomainError('slug_taken');
    throw error;
  }
  return {
    account: { id: accountId, name: input.name, slug: input.slug, requireTwoFactor: false },
    user: { id: userId, name: input.admin.name, email: normalizeEmail(input.admin.email), role: 'admin' as const, language: null },
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
    if (!user) throw new DomainError('not_found', 'No such user in this account.');
    await releaseBreakGlass(trx, input.accountId, user.id);
    const removed = await trx.deleteFrom('methods').where('user_id', '=', user.id).executeTakeFirst();
    await trx.deleteFrom('recovery_codes').where('user_id', '=', user.id).execute();
    await trx.updateTable('users').set(NO_METHOD_FLAGS).where('id', '=', user.id).execute();
    const sessionIds = await Sessions.revokeUsersSessions(trx, [user.id], 'two_factor_reset');
    await endRemembrances(trx, { userId: user.id, accountId: input.accountId, actorId: input.actorId, reason: 'two_factor_reset' });
    const removedMethods = Number(removed.numDeletedRows);
    await recordAudit(trx, {
      accountId: input.accountId,
      actorId: input.actorId,
      action: 'user.two_factor_reset',
      subjectUserId: user.id,
      details: { userId: user.id, email: user.email, removedMethods, signedOutUsers: sessionIds.length > 0 ? 1 : 0, revokedSessions: sessionIds.length },
    });
    await notify(trx, { accountId: input.accountId, userId: user.id, kind: 'two_factor_reset', details: { removedMethods, byAdmin: input.actorId } });
    return { removedMethods, sessionIds };
  });
  await events.publishRevoked(result.sessionIds, 'two_factor_reset');
  return { removedMethods: result.removedMethods, revokedSessions: result.sessionIds.length };
}
