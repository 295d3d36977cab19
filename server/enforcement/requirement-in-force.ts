// The 2FA requirement as it is in force, read through the account row's lock. Every change that
// could race an enforcement save takes this lock first (a save, a method's removal, a grace
// ended, users entering the scope, a key rule): on PostgreSQL (READ COMMITTED) the setting read
// is then the committed one and the other change waits for this transaction, so a user is never
// left signed in without a method after a save that should have signed them out.
import type { Transaction } from 'kysely';
import type { AccountsTable, Database } from '../store/schema.js';

export type RequirementInForce = Pick<AccountsTable, 'require_two_factor' | 'second_factor_policy'>;

/** Locks the account row (a no-op write) and answers the requirement and policy in force. */
export async function lockRequirementInForce(trx: Transaction<Database>, accountId: string): Promise<RequirementInForce> {
  return trx
    .updateTable('accounts')
    .set((eb) => ({ require_two_factor: eb.ref('require_two_factor') }))
    .where('id', '=', accountId)
    .returning(['require_two_factor', 'second_factor_policy'])
    .executeTakeFirstOrThrow();
}
