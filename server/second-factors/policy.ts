// The account's second-factor policy: authenticator apps and security keys ("any"), or
// security keys only (phishing-resistant: a code typed into a look-alike page can be replayed by
// whoever runs it; a key signs for our origin only). Under "security_keys" an authenticator app
// no longer passes the second step, and a user whose only method is an app counts as having no
// method: in the impact preview, at enforcement, and at sign-in (they must add a key).
// Recovery codes keep working under both: they are the way back for a user who lost their key.
import type { Kysely, Transaction } from 'kysely';
import { ApiError } from '../http/errors.js';
import type { AccountsTable, Database, MethodsTable, UsersTable } from '../store/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export type SecondFactorPolicy = NonNullable<AccountsTable['second_factor_policy']>;
export const SECOND_FACTOR_POLICIES: readonly SecondFactorPolicy[] = ['any', 'security_keys'];

export function policyOf(account: Pick<AccountsTable, 'second_factor_policy'>): SecondFactorPolicy {
  return account.second_factor_policy ?? 'any';
}

/** Whether a method of this type passes the second step (or may be added) under the policy. */
export function methodAllowed(policy: SecondFactorPolicy, type: MethodsTable['type'] | 'recovery_code'): boolean {
  return policy === 'any' || type !== 'totp';
}

/** Refuses a method the policy does not accept: 403 method_not_allowed, nothing changed. */
export function requireMethodAllowed(policy: SecondFactorPolicy, type: MethodsTable['type'] | 'recovery_code'): void {
  if (!methodAllowed(policy, type)) {
    throw new ApiError('method_not_allowed', 'Your administrator accepts security keys only. Use your security key or a recovery code.');
  }
}

/**
 * The users column that says whether a user has a method the policy accepts: both are kept in
 * step with the methods and indexed with account_id, so enforcement finds users without one by index.
 */
export function acceptedMethodFlag(policy: SecondFactorPolicy): 'has_two_factor' | 'has_security_key' {
  return policy === 'security_keys' ? 'has_security_key' : 'has_two_factor';
}

/** Whether the user has a method the policy accepts. */
export function hasAcceptedMethod(
  policy: SecondFactorPolicy,
  user: Pick<UsersTable, 'has_two_factor' | 'has_security_key'>,
): boolean {
  return policy === 'security_keys' ? user.has_security_key === 1 : user.has_two_factor === 1;
}

/**
 * The state a password sign-in starts in. A user with an accepted method passes the second
 * step; one whose only method the policy refuses (an app under "security keys only") must add a
 * key, whether or not 2FA is required, since they chose 2FA and their app no longer counts.
 */
export function passwordSignInState(
  account: Pick<AccountsTable, 'require_two_factor' | 'second_factor_policy'>,
  user: Pick<UsersTable, 'has_two_factor' | 'has_security_key'>,
): 'two_factor_required' | 'enrollment_required' | 'active' {
  const policy = policyOf(account);
  if (hasAcceptedMethod(policy, user)) return 'two_factor_required';
  if (user.has_two_factor === 1) return 'enrollment_required';
  return account.require_two_factor === 1 ? 'enrollment_required' : 'active';
}

/** Brings users.has_security_key in step with the user's confirmed security keys. */
export async function refreshSecurityKeyFlag(db: Db, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('methods')
    .select('id')
    .where('user_id', '=', userId)
    .where('type', '=', 'security_key')
    .where('confirmed', '=', 1)
    .limit(1)
    .executeTakeFirst();
  await db.updateTable('users').set({ has_security_key: row ? 1 : 0 }).where('id', '=', userId).execute();
  return row !== undefined;
}

/** The account's policy, read on its own (the session's account row does not carry it). */
export async function accountPolicy(db: Db, accountId: string): Promise<SecondFactorPolicy> {
  const row = await db.selectFrom('accounts').select('second_factor_policy').where('id', '=', accountId).executeTakeFirst();
  return row ? policyOf(row) : 'any';
}
