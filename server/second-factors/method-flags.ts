// The users row says which kinds of second-factor method the user has: has_two_factor (any),
// has_totp (an authenticator app) and has_security_key. Enforcement finds users without a method
// by them, and the users list filters, counts and shows method kinds by them, all by index
// without reading methods. They are set from the confirmed methods here, in one statement, after
// a method is removed; a method's activation sets its own kind (http/routes/me.ts) under the
// row lock that makes "first method" safe, and an admin's reset clears all three. A security key
// outside the account's key rule (second-factors/key-models.ts) is not counted in any of them.
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database, MethodsTable } from '../store/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface MethodFlags {
  any: boolean;
  totp: boolean;
  securityKey: boolean;
}

/** The users columns that flag a method of this kind. */
export function flagsForKind(type: MethodsTable['type']): { has_two_factor: 1; has_totp: 1 } | { has_two_factor: 1; has_security_key: 1 } {
  return type === 'security_key' ? { has_two_factor: 1, has_security_key: 1 } : { has_two_factor: 1, has_totp: 1 };
}

/** All three flags cleared (an admin reset the user's 2FA). */
export const NO_METHOD_FLAGS = { has_two_factor: 0, has_totp: 0, has_security_key: 0 } as const;

/**
 * Whether the user has a confirmed method (of this kind) that counts: a security key outside the
 * account's key rule (methods.outside_rule, second-factors/key-models.ts) counts for nothing.
 */
const has = (user: string | RawBuilder<unknown>, type?: MethodsTable['type']) =>
  sql<number>`case when exists (select 1 from methods m where m.user_id = ${user} and m.confirmed = 1 and m.outside_rule = 0${type ? sql` and m.type = ${type}` : sql``}) then 1 else 0 end`;

/** Brings the user's three flags in step with their confirmed methods, and answers them. */
export async function refreshMethodFlags(db: Db, userId: string): Promise<MethodFlags> {
  const row = await db
    .updateTable('users')
    .set({ has_two_factor: has(userId), has_totp: has(userId, 'totp'), has_security_key: has(userId, 'security_key') })
    .where('id', '=', userId)
    .returning(['has_two_factor', 'has_totp', 'has_security_key'])
    .executeTakeFirst();
  return { any: row?.has_two_factor === 1, totp: row?.has_totp === 1, securityKey: row?.has_security_key === 1 };
}

/**
 * The flags of the account's key owners after a key rule is saved (second-factors/key-models.ts):
 * keys moved in or out of counting, apps did not. Two set-based statements, each writing only
 * the rows that change: owners whose last counting key went (has_two_factor then follows their
 * app), and owners who have one again.
 */
export async function refreshKeyOwnersFlags(db: Db, accountId: string): Promise<void> {
  const countingKey = sql<boolean>`exists (select 1 from methods m where m.user_id = users.id and m.confirmed = 1 and m.outside_rule = 0 and m.type = 'security_key')`;
  await db
    .updateTable('users')
    .set((eb) => ({ has_security_key: 0, has_two_factor: eb.fn.coalesce('has_totp', sql<number>`0`) }))
    .where('account_id', '=', accountId)
    .where('has_security_key', '=', 1)
    .where((eb) => eb.not(countingKey))
    .execute();
  // Found from the account's counting keys (one read of them), not by asking each user without
  // the flag whether they have one: after a rule that refuses every key, that was every owner
  // (100,000 lookups, bench/key-rule.ts) to find none.
  await db
    .updateTable('users')
    .set({ has_security_key: 1, has_two_factor: 1 })
    .where('account_id', '=', accountId)
    .where((eb) => eb.or([eb('has_security_key', '=', 0), eb('has_security_key', 'is', null)]))
    .where('id', 'in', (eb) =>
      eb.selectFrom('methods as m').select('m.user_id').where('m.account_id', '=', accountId).where('m.type', '=', 'security_key').where('m.confirmed', '=', 1).where('m.outside_rule', '=', 0),
    )
    .execute();
}
