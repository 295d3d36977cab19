// A group membership carries copies of its user's method flags (has_two_factor,
// has_security_key), so the scoped impact preview counts a group's members by flag without
// reading each users row (enforcement.ts enforcementImpact; docs/performance.md "Member flags").
// The store keeps them (migrations.ts groupMemberFlags): a trigger fills them when a membership
// is made, another copies a change of a user's flags to all of their memberships. Only the
// preview reads them: who is signed out, and who must enrol, is always decided from users.
//
// Two triggers cannot see each other's uncommitted rows: a membership made while the same user's
// flags change in another transaction could keep the old flags. Two things close that:
// - a membership change copies its added members' flags again as its last step, after it holds
//   the account's requirement lock (enforcement/requirement-in-force.ts). A key rule and a method
//   removal change flags under that lock, so they have either committed by then or will see the
//   new memberships;
// - the hourly housekeeping repairs whatever copy still differs (an activation or an admin's
//   reset, which take no account lock, in the same instant as a membership change of that user).
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../store/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

const copied = (db: Db) =>
  db.updateTable('group_members').set({
    has_two_factor: sql<number>`coalesce((select u.has_two_factor from users u where u.id = group_members.user_id), 0)`,
    has_security_key: sql<number>`coalesce((select u.has_security_key from users u where u.id = group_members.user_id), 0)`,
  });

/** Copies these members' flags again (a membership change's last step, under the account lock). */
export async function syncMemberFlags(db: Db, groupId: string, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await copied(db).where('group_id', '=', groupId).where('user_id', 'in', userIds).execute();
}

/** Copies the flags of every membership whose copy differs from its user's; answers how many. */
export async function repairMemberFlags(db: Db): Promise<number> {
  const result = await copied(db)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('users as u')
          .select('u.id')
          .whereRef('u.id', '=', 'group_members.user_id')
          .where((eb) => eb.or([eb('u.has_two_factor', '!=', eb.ref('group_members.has_two_factor')), eb('u.has_security_key', '!=', eb.ref('group_members.has_security_key'))])),
      ),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
