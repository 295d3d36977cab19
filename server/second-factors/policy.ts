// The account's second-factor policy: authenticator apps and security keys ("any"), or
// security keys only (phishing-resistant: a code typed into a look-alike page can be replayed by
// whoever runs it; a key signs for our origin only). Under "security_keys" an authenticator app
// no longer passes the second step, and a user whose only method is an app counts as having no
// method: in the impact preview and at enforcement, and their app only lets them add a key.
// Recovery codes are typed too, so a look-alike page can replay them as well: under "security
// keys only" they pass neither the second step nor re-authentication, unless an admin allows them
// (accounts.allow_recovery_codes_under_keys_only, off by default: the way back for a user who
// lost their key is then an admin's 2FA reset).
import type { Kysely, Transaction } from 'kysely';
import { DomainError } from '../errors.js';
import type { AccountsTable, Database, MethodsTable } from '../store/schema.js';

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
    throw new DomainError('method_not_allowed', 'Your administrator accepts security keys only. Use your security key or a recovery code.');
  }
}

/**
 * The users column that says whether a user has a method the policy accepts: both are kept in
 * step with the methods and indexed with account_id, so enforcement finds users without one by index.
 */
/** Why a session ends for a user without a method the policy accepts: what clients tell them to add. */
export function missingFactorReason(policy: SecondFactorPolicy): 'security_key_required' | 'two_factor_required' {
  return policy === 'security_keys' ? 'security_key_required' : 'two_factor_required';
}

export function acceptedMethodFlag(policy: SecondFactorPolicy): 'has_two_factor' | 'has_security_key' {
  return policy === 'security_keys' ? 'has_security_key' : 'has_two_factor';
}

/**
 * How a second step by code (app or recovery code) counts under the policy. Under "security
 * keys only" a user who has a key must use it (an app code is refused, a recovery code still
 * works); a user whose only method is an app proves it with the app, or a recovery code, only to
 * add a key: the session passes a second factor (so it may add a method beside the app) but
 * stays at enrolment. A password alone never adds a key beside someone's app.
 */
export async function codeStepUnder(db: Db, input: { policy: SecondFactorPolicy; userId: string; method: 'totp' | 'recovery_code' }): Promise<'active' | 'add_security_key'> {
  const { policy } = input;
  if (policy === 'any') return 'active';
  const user = await db
    .selectFrom('users as u')
    .innerJoin('accounts as a', 'a.id', 'u.account_id')
    .select(['u.has_security_key', 'a.allow_recovery_codes_under_keys_only'])
    .where('u.id', '=', input.userId)
    .executeTakeFirstOrThrow();
  // Refused before the code is looked at or the attempt counted: nothing spent, nothing counted.
  if (input.method === 'recovery_code' && user.allow_recovery_codes_under_keys_only !== 1) {
    throw new DomainError('method_not_allowed', 'Your administrator accepts security keys only, and recovery codes are turned off. Use your security key, or ask your administrator to reset your two-factor authentication.');
  }
  if (user.has_security_key === 1) {
    requireMethodAllowed(policy, input.method);
    return 'active';
  }
  return 'add_security_key';
}
