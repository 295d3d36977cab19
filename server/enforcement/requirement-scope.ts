// Whom "Require two-factor authentication" applies to (PRODUCT.md "Authentication policies"):
// everyone (the default, and every account before scopes existed), or the listed roles and
// groups. A user is in scope if the account's scope is everyone, their role is listed, or they
// are a member of a listed group. This module is the one place that says so: as SQL for set
// queries (the impact preview, the save, the users list) and for the per-request check
// (sessions.ts, through `requirementApplies`), and as `isInScope` for one user.
import { sql, type Kysely, type RawBuilder, type SqlBool, type Transaction } from 'kysely';
import { DomainError } from '../errors.js';
import { acceptedMethodFlag, missingFactorReason, policyOf } from '../second-factors/policy.js';
import { Sessions } from '../sessions/sessions.js';
import type { Database, UsersTable } from '../store/schema.js';
import type { Revocations } from './enforcement.js';
import { lockRequirementInForce } from './requirement-in-force.js';

type Db = Kysely<Database> | Transaction<Database>;
export type ScopeRole = UsersTable['role'];
export const SCOPE_ROLES: readonly ScopeRole[] = ['admin', 'agent'];

/** A scope as the API takes it: `{everyone: true}` or chosen roles and groups (at least one). */
export type RequirementScope = { everyone: true } | { everyone: false; roles: ScopeRole[]; groupIds: string[] };

/** A scope as a request gives it, before validateScope checks it. */
export interface ScopeInput {
  everyone?: boolean | undefined;
  roles?: string[] | undefined;
  groupIds?: string[] | undefined;
}

/** What a scope is measured against: the account's stored one, or one an admin is about to save. */
export type ScopeSource = { accountId: string } | { accountRef: string } | { scope: RequirementScope };

/**
 * SQL that is true when the users row `userAlias` is in scope. With a stored scope the
 * subqueries depend only on the account, so a set query computes them once, not per user.
 */
export function inRequirementScope(userAlias: string, source: ScopeSource): RawBuilder<SqlBool> {
  const role = sql.ref(`${userAlias}.role`);
  const id = sql.ref(`${userAlias}.id`);
  if ('scope' in source) {
    const scope = source.scope;
    if (scope.everyone) return sql<SqlBool>`1 = 1`;
    const parts: RawBuilder<SqlBool>[] = [];
    if (scope.roles.length) parts.push(sql<SqlBool>`${role} in (${sql.join(scope.roles)})`);
    if (scope.groupIds.length) parts.push(sql<SqlBool>`${id} in (select sm.user_id from group_members sm where sm.group_id in (${sql.join(scope.groupIds)}))`);
    return parts.length ? sql<SqlBool>`(${sql.join(parts, sql` or `)})` : sql<SqlBool>`1 = 0`;
  }
  const account = 'accountId' in source ? sql`${source.accountId}` : sql.ref(source.accountRef);
  return sql<SqlBool>`(exists (select 1 from accounts sa where sa.id = ${account} and sa.two_factor_scope_everyone = 1)
    or ${role} in (select sr.role from two_factor_scope_roles sr where sr.account_id = ${account})
    or ${id} in (select sm.user_id from group_members sm inner join two_factor_scope_groups sg on sg.group_id = sm.group_id where sg.account_id = ${account}))`;
}

/**
 * The users a chosen scope holds (not everyone), each once, with their method flags: the members
 * of its groups and the account's users of its roles. A set query starts from these rather than
 * from every user of the account, so a group of 10,000 among 100,000 costs 10,000 rows, not
 * 100,000. A group's members are read with the flags their memberships carry (group_members_flags,
 * kept by the store: migrations.ts groupMemberFlags), so counting them by flag reads no users row.
 */
export function scopeMembers(accountId: string, scope: Extract<RequirementScope, { everyone: false }>): RawBuilder<ScopeMember> {
  const parts: RawBuilder<unknown>[] = [];
  // Each once: a user in two listed groups is one user. A union of parts dedupes; within the
  // group part, one group's primary key already makes it so, and PostgreSQL would still pay to
  // deduplicate (a quarter of the preview's time for a group of 10,000).
  const distinct = scope.groupIds.length > 1 ? sql`distinct ` : sql``;
  if (scope.groupIds.length) {
    parts.push(sql`select ${distinct}sm.user_id as user_id, sm.has_two_factor as has_two_factor, sm.has_security_key as has_security_key from group_members sm where sm.group_id in (${sql.join(scope.groupIds)})`);
  }
  if (scope.roles.length) {
    parts.push(sql`select sr.id as user_id, sr.has_two_factor as has_two_factor, sr.has_security_key as has_security_key from users sr where sr.account_id = ${accountId} and sr.role in (${sql.join(scope.roles)})`);
  }
  // An empty scope holds nobody.
  if (parts.length === 0) parts.push(sql`select su.id as user_id, su.has_two_factor as has_two_factor, su.has_security_key as has_security_key from users su where 1 = 0`);
  return sql<ScopeMember>`${sql.join(parts, sql` union `)}`;
}

export interface ScopeMember {
  user_id: string;
  has_two_factor: number;
  has_security_key: number;
}

/**
 * 1 when the account requires 2FA and the user is in its scope, else 0: the per-request question
 * "must this user have a method", for a query that joins users (`userAlias`) and accounts (`accountAlias`).
 */
export function requirementApplies(userAlias: string, accountAlias: string): RawBuilder<number> {
  return sql<number>`case when ${sql.ref(`${accountAlias}.require_two_factor`)} = 1 and ${inRequirementScope(userAlias, { accountRef: `${accountAlias}.id` })} then 1 else 0 end`;
}

/** Whether the requirement's scope (the account's stored one) includes this user; false for an unknown user. */
export async function isInScope(db: Db, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('users as u')
    .select('u.id')
    .where('u.id', '=', userId)
    .where(inRequirementScope('u', { accountRef: 'u.account_id' }))
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether the account requires 2FA of this user now (required, and the user in scope). */
export async function isRequiredFor(db: Db, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('users as u')
    .innerJoin('accounts as a', 'a.id', 'u.account_id')
    .select(requirementApplies('u', 'a').as('applies'))
    .where('u.id', '=', userId)
    .executeTakeFirst();
  return Number(row?.applies ?? 0) === 1;
}

/** The account's stored scope, with the listed groups' names (for the settings page and the audit). */
export async function scopeOf(db: Db, accountId: string): Promise<{ everyone: boolean; roles: ScopeRole[]; groups: { id: string; name: string }[] }> {
  const [account, roles, groups] = await Promise.all([
    db.selectFrom('accounts').select('two_factor_scope_everyone').where('id', '=', accountId).executeTakeFirstOrThrow(),
    db.selectFrom('two_factor_scope_roles').select('role').where('account_id', '=', accountId).orderBy('role').execute(),
    db
      .selectFrom('two_factor_scope_groups as sg')
      .innerJoin('groups as g', 'g.id', 'sg.group_id')
      .select(['g.id', 'g.name'])
      .where('sg.account_id', '=', accountId)
      .orderBy('g.name_key')
      .execute(),
  ]);
  return { everyone: (account.two_factor_scope_everyone ?? 1) === 1, roles: roles.map((r) => r.role), groups };
}

/** The stored scope as the API takes it. */
export async function storedScope(db: Db, accountId: string): Promise<RequirementScope> {
  const s = await scopeOf(db, accountId);
  return s.everyone ? { everyone: true } : { everyone: false, roles: s.roles, groupIds: s.groups.map((g) => g.id) };
}

/**
 * Checks a scope an admin asks for: `{everyone: true}`, or at least one role or group, every
 * group one of this account's. Throws `invalid_scope` (nothing changed) otherwise.
 */
export async function validateScope(db: Db, accountId: string, input: ScopeInput): Promise<RequirementScope> {
  if (input.everyone === true) {
    if (input.roles?.length || input.groupIds?.length) throw new DomainError('invalid_scope', 'Choose everyone, or roles and groups, not both.');
    return { everyone: true };
  }
  if (input.everyone === false && input.roles === undefined && input.groupIds === undefined) throw new DomainError('invalid_scope', 'Choose at least one role or group.');
  const roles = [...new Set(input.roles ?? [])];
  const groupIds = [...new Set(input.groupIds ?? [])];
  if (roles.length === 0 && groupIds.length === 0) throw new DomainError('invalid_scope', 'Choose at least one role or group.');
  const unknownRole = roles.find((r) => !(SCOPE_ROLES as readonly string[]).includes(r));
  if (unknownRole !== undefined) throw new DomainError('invalid_scope', `There is no role "${unknownRole.slice(0, 40)}".`);
  if (groupIds.length) {
    const found = await db.selectFrom('groups').select('id').where('account_id', '=', accountId).where('id', 'in', groupIds).execute();
    if (found.length !== groupIds.length) throw new DomainError('invalid_scope', 'A chosen group does not exist.');
  }
  return { everyone: false, roles: roles as ScopeRole[], groupIds };
}

/** Stores the scope (inside the save's transaction). Returns whether it changed. */
export async function storeScope(trx: Transaction<Database>, accountId: string, scope: RequirementScope): Promise<boolean> {
  const before = await storedScope(trx, accountId);
  if (sameScope(before, scope)) return false;
  await trx.updateTable('accounts').set({ two_factor_scope_everyone: scope.everyone ? 1 : 0 }).where('id', '=', accountId).execute();
  await trx.deleteFrom('two_factor_scope_roles').where('account_id', '=', accountId).execute();
  await trx.deleteFrom('two_factor_scope_groups').where('account_id', '=', accountId).execute();
  if (!scope.everyone) {
    if (scope.roles.length) await trx.insertInto('two_factor_scope_roles').values(scope.roles.map((role) => ({ account_id: accountId, role }))).execute();
    if (scope.groupIds.length) await trx.insertInto('two_factor_scope_groups').values(scope.groupIds.map((group_id) => ({ account_id: accountId, group_id }))).execute();
  }
  return true;
}

export function sameScope(a: RequirementScope, b: RequirementScope): boolean {
  if (a.everyone || b.everyone) return a.everyone === b.everyone;
  const same = (x: string[], y: string[]) => x.length === y.length && [...x].sort().every((v, i) => v === [...y].sort()[i]);
  return same(a.roles, b.roles) && same(a.groupIds, b.groupIds);
}

/** A scope as the audit records it. */
export function scopeForAudit(scope: RequirementScope): Record<string, unknown> {
  return scope.everyone ? { everyone: true } : { roles: scope.roles, groupIds: scope.groupIds };
}

/**
 * Users who just came under the requirement (added to a group, made admin) and have no method it
 * accepts: every session of theirs ends now, as a save would have ended it, inside the caller's
 * transaction. The caller tells the ended sessions (publishRevocations) after the commit.
 */
export async function signOutEnteringScope(trx: Transaction<Database>, accountId: string, userIds: readonly string[]): Promise<Revocations> {
  const empty: Revocations = { two_factor_required: [], security_key_required: [] };
  if (userIds.length === 0) return empty;
  // Through the account row's lock, as an enforcement save and a method removal take it: a user
  // removing their last method at the same moment either is refused or is signed out here.
  const account = await lockRequirementInForce(trx, accountId);
  if (account.require_two_factor !== 1) return empty;
  const policy = policyOf(account);
  const reason = missingFactorReason(policy);
  const ended = await Sessions.revokeUnderRequirement(trx, {
    accountId,
    acceptedMethodFlag: acceptedMethodFlag(policy),
    reason,
    passwordOnly: false,
    users: (alias) => inRequirementScope(alias, { accountId }),
    userIds,
    // Their sessions from before they came in scope; one already enrolling keeps going.
    activeOnly: true,
  });
  return { ...empty, [reason]: ended.withoutMethod.map((r) => r.id) };
}

/**
 * Why the stored scope holds this user, part by part of `inRequirementScope`'s rule: the scope is
 * everyone, their role is listed, and which listed groups (by name) they are a member of. Nobody
 * is in scope when all three are empty. Two queries (My security, GET /me), not per request.
 */
export async function whyInScope(db: Db, user: { id: string; accountId: string; role: ScopeRole }): Promise<{ everyone: boolean; role: boolean; groups: string[] }> {
  const [account, groups] = await Promise.all([
    db
      .selectFrom('accounts as a')
      .select((eb) => [
        'a.two_factor_scope_everyone',
        eb.exists(eb.selectFrom('two_factor_scope_roles as sr').select('sr.role').whereRef('sr.account_id', '=', 'a.id').where('sr.role', '=', user.role)).as('by_role'),
      ])
      .where('a.id', '=', user.accountId)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('group_members as sm')
      .innerJoin('two_factor_scope_groups as sg', 'sg.group_id', 'sm.group_id')
      .innerJoin('groups as g', 'g.id', 'sm.group_id')
      .select('g.name')
      .where('sm.user_id', '=', user.id)
      .where('sg.account_id', '=', user.accountId)
      .orderBy('g.name_key')
      .execute(),
  ]);
  const everyone = (account.two_factor_scope_everyone ?? 1) === 1;
  return { everyone, role: !everyone && Boolean(Number(account.by_role)), groups: everyone ? [] : groups.map((g) => g.name) };
}
