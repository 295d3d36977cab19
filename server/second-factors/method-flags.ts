// The users row says which kinds of second-factor method the user has: has_two_factor (any),
// has_totp (an authenticator app) and has_security_key. Enforcement finds users without a method
// by them, and the users list filters, counts and shows method kinds by them, all by index
// without reading methods. They are set from the confirmed methods here, in one statement, after
// a method is removed; a method's activation sets its own kind (http/routes/me.ts) under the
// row lock that makes "first method" safe, and an admin's reset clears all three.
import { sql, type Kysely, type Transaction } from 'kysely';
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

/** Brings the user's three flags in step with their confirmed methods, and answers them. */
export async function refreshMethodFlags(db: Db, userId: string): Promise<MethodFlags> {
  const has = (type?: MethodsTable['type']) =>
    sql<number>`case when exists (select 1 from methods m where m.user_id = ${userId} and m.confirmed = 1${type ? sql` and m.type = ${type}` : sql``}) then 1 else 0 end`;
  const row = await db
    .updateTable('users')
    .set({ has_two_factor: has(), has_totp: has('totp'), has_security_key: has('security_key') })
    .where('id', '=', userId)
    .returning(['has_two_factor', 'has_totp', 'has_security_key'])
    .executeTakeFirst();
  return { any: row?.has_two_factor === 1, totp: row?.has_totp === 1, securityKey: row?.has_security_key === 1 };
}
