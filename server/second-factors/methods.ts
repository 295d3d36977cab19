// A user's second-factor methods as a whole: listing, renaming, removing (with the rule that
// the last one stays while the account requires 2FA); the users row's flags follow (method-flags.ts).
import type { Kysely, Transaction } from 'kysely';
import { DomainError } from '../errors.js';
import type { Database, MethodsTable } from '../store/schema.js';
import { refreshMethodFlags } from './method-flags.js';
import { policyOf } from './policy.js';
import { isInScope } from '../enforcement/requirement-scope.js';
import { releaseBreakGlass } from '../sso/sign-in-settings.js';
import { lockRequirementInForce } from '../enforcement/requirement-in-force.js';

type Db = Kysely<Database> | Transaction<Database>;

export function methodView(m: Pick<MethodsTable, 'id' | 'type' | 'name' | 'created_at' | 'last_used_at' | 'discoverable' | 'outside_rule'>) {
  return {
    id: m.id,
    type: m.type,
    name: m.name,
    createdAt: new Date(Number(m.created_at)).toISOString(),
    lastUsedAt: m.last_used_at === null ? null : new Date(Number(m.last_used_at)).toISOString(),
    // A security key registered for sign-in without a password (second-factors/passkeys.ts).
    ...(m.type === 'security_key' ? { passwordless: m.discoverable === 1 } : {}),
    // A key of a model the account's rule no longer accepts: it must be replaced (key-models.ts).
    ...(m.outside_rule === 1 ? { outsideRule: true } : {}),
  };
}
export type MethodView = ReturnType<typeof methodView>;

/** Confirmed methods, last used first (never-used ones after, newest first). */
export async function listMethods(db: Db, userId: string): Promise<MethodView[]> {
  const rows = await db
    .selectFrom('methods')
    .select(['id', 'type', 'name', 'created_at', 'last_used_at', 'discoverable', 'outside_rule'])
    .where('user_id', '=', userId)
    .where('confirmed', '=', 1)
    .execute();
  rows.sort(
    (a, b) =>
      (Number(b.last_used_at ?? -1) - Number(a.last_used_at ?? -1)) || Number(b.created_at) - Number(a.created_at),
  );
  return rows.map(methodView);
}

/** Confirmed methods that count: a key outside the account's key rule is none (key-models.ts). */
export async function countMethods(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('methods')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('confirmed', '=', 1)
    .where('outside_rule', '=', 0)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findOwnMethod(db: Db, userId: string, methodId: string): Promise<MethodsTable> {
  const row = await db
    .selectFrom('methods')
    .selectAll()
    .where('id', '=', methodId)
    .where('user_id', '=', userId)
    .where('confirmed', '=', 1)
    .executeTakeFirst();
  if (!row) throw new DomainError('not_found', 'No such method.');
  return row;
}

export async function renameMethod(db: Db, userId: string, methodId: string, name: string): Promise<MethodView> {
  const method = await findOwnMethod(db, userId, methodId);
  await db.updateTable('methods').set({ name }).where('id', '=', method.id).execute();
  return methodView({ ...method, name });
}

/** Removes a method; the last one is refused while the account requires 2FA of this user. */
export async function removeMethod(trx: Transaction<Database>, input: { userId: string; accountId: string; methodId: string }) {
  // Read the setting through a lock on the account row, so a removal racing an enforcement save
  // either sees it on, or finishes before the save looks for users without a method. The
  // account's lock first, then the user's row, as every change that holds both takes them (a
  // role change, a key-rule save rewriting flags): in the other order each could hold what the
  // other waits for (removal-lock-order.test.ts).
  const account = await lockRequirementInForce(trx, input.accountId);
  // Then the user's row, so two removals at once (on two instances, on PostgreSQL) count the
  // methods one after the other and cannot both remove "one of two".
  await trx
    .updateTable('users')
    .set((eb) => ({ has_two_factor: eb.ref('has_two_factor') }))
    .where('id', '=', input.userId)
    .execute();
  const method = await findOwnMethod(trx, input.userId, input.methodId);
  // A key outside the rule counted for nothing: removing it leaves as many methods as before.
  const remaining = (await countMethods(trx, input.userId)) - (method.outside_rule === 1 ? 0 : 1);
  // Required of this user: the account requires it and its scope holds them (read under the
  // account's lock, which a membership or role change also takes before it signs anyone out).
  const required = account.require_two_factor === 1 && (await isInScope(trx, input.userId));
  if (remaining === 0 && required) throw new DomainError('last_method_required');
  await trx.deleteFrom('methods').where('id', '=', method.id).execute();
  const flags = await refreshMethodFlags(trx, input.userId);
  // Under "security keys only" the last key is the last method that counts (second-factors/policy.ts).
  if (method.type === 'security_key' && !flags.securityKey && required && policyOf(account) === 'security_keys') {
    throw new DomainError('last_method_required', 'Your administrator requires a security key, so you cannot remove your last one.');
  }
  if (remaining === 0) {
    // A break-glass admin keeps a method while SSO only is on (sso/sign-in-settings.ts).
    await releaseBreakGlass(trx, input.accountId, input.userId);
    // Recovery codes alone are not 2FA, and without a method they have nothing to recover.
    await trx.deleteFrom('recovery_codes').where('user_id', '=', input.userId).execute();
  }
  return { method, remaining };
}
