// Groups of users (PRODUCT.md "Authentication policies"): admins make them, SCIM may push them,
// and "Require two-factor authentication" may apply to chosen ones (enforcement/
// requirement-scope.ts). A user may be in several. Every change is audited, by an admin or by a
// SCIM token, and a membership change that brings a user without a method under the requirement
// signs them out at once, as a save does.
//
// The functions here are the one way to change groups: the admin API (http/routes/groups.ts) and
// SCIM both call them with their actor.
import type { Kysely, Transaction } from 'kysely';
import { recordAudit, type AuditPerson, type RequestContext } from '../audit/audit.js';
import { newId } from '../crypto/tokens.js';
import { DomainError } from '../errors.js';
import { publishRevocations } from '../enforcement/enforcement.js';
import { signOutEnteringScope } from '../enforcement/requirement-scope.js';
import { syncMemberFlags } from './member-flags.js';
import type { SessionEvents } from '../sessions/events.js';
import type { Database } from '../store/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Who changes a group: an admin, or an identity provider through a SCIM token. */
export type GroupActor =
  | { kind: 'user'; id: string; request?: RequestContext | undefined }
  /** A SCIM token: audited under its name (`SCIM: <name>`), with no user behind it. */
  | { kind: 'scim_token'; id: string; name: string; request?: RequestContext | undefined };

export interface Group {
  id: string;
  name: string;
  externalId: string | null;
  createdAt: string;
  memberCount: number;
}

/** The most user ids one membership change takes (a SCIM push of a large group fits). */
export const MAX_GROUP_MEMBERS_PER_CHANGE = 10_000;
/** Rows per statement: well inside SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** How the audit names an actor: a user by id (their name read as it is now), a token by its name. */
function auditActor(actor: GroupActor): { actorId: string | null; actor?: AuditPerson; by?: Record<string, string> } {
  if (actor.kind === 'user') return { actorId: actor.id };
  // Named by an id that is no user's, so the log shows the token as the actor (scim/users.ts does the same).
  return { actorId: `scim-token:${actor.id}`, actor: { name: `SCIM: ${actor.name}`, email: '' }, by: { scimTokenId: actor.id } };
}

async function audit(
  trx: Transaction<Database>,
  accountId: string,
  actor: GroupActor,
  action: 'group.created' | 'group.renamed' | 'group.deleted' | 'group.members_changed',
  details: Record<string, unknown>,
) {
  const who = auditActor(actor);
  await recordAudit(trx, { accountId, actorId: who.actorId, actor: who.actor, action, details: { ...details, ...who.by }, request: actor.request });
}

function nameKey(name: string): string {
  return name.trim().toLocaleLowerCase('en');
}

function cleanName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw new DomainError('invalid_request', 'A group needs a name.');
  return trimmed;
}

async function assertNameFree(db: Db, accountId: string, name: string, exceptGroupId?: string) {
  const taken = await db
    .selectFrom('groups')
    .select('id')
    .where('account_id', '=', accountId)
    .where('name_key', '=', nameKey(name))
    .$if(exceptGroupId !== undefined, (q) => q.where('id', '!=', exceptGroupId!))
    .executeTakeFirst();
  if (taken) throw new DomainError('group_name_taken');
}

/** The group, locked for this transaction (concurrent changes to it take turns), or not_found. */
async function lockedGroup(trx: Transaction<Database>, accountId: string, groupId: string) {
  const row = await trx
    .updateTable('groups')
    .set((eb) => ({ name: eb.ref('name') }))
    .where('id', '=', groupId)
    .where('account_id', '=', accountId)
    .returning(['id', 'name', 'external_id'])
    .executeTakeFirst();
  if (!row) throw new DomainError('not_found', 'No such group.');
  return row;
}

/**
 * The ids as a set, each a user of this account, or `unknown_users` naming the others: a user of
 * another account is as unknown as one that does not exist.
 */
async function accountUsers(db: Db, accountId: string, userIds: readonly string[]): Promise<string[]> {
  const unique = [...new Set(userIds)];
  if (unique.length > MAX_GROUP_MEMBERS_PER_CHANGE) throw new DomainError('invalid_request', `At most ${MAX_GROUP_MEMBERS_PER_CHANGE} users at once.`);
  const found = new Set<string>();
  for (const part of chunks(unique)) {
    const rows = await db.selectFrom('users').select('id').where('account_id', '=', accountId).where('id', 'in', part).execute();
    for (const r of rows) found.add(r.id);
  }
  const unknown = unique.filter((id) => !found.has(id));
  if (unknown.length) {
    const error = new DomainError('unknown_users');
    error.extra = { userIds: unknown.slice(0, 100) };
    throw error;
  }
  return unique;
}

async function insertMembers(trx: Transaction<Database>, groupId: string, userIds: readonly string[]) {
  for (const part of chunks(userIds)) {
    await trx
      .insertInto('group_members')
      .values(part.map((user_id) => ({ group_id: groupId, user_id })))
      .onConflict((oc) => oc.columns(['group_id', 'user_id']).doNothing())
      .execute();
  }
}

async function deleteMembers(trx: Transaction<Database>, groupId: string, userIds: readonly string[]) {
  for (const part of chunks(userIds)) await trx.deleteFrom('group_members').where('group_id', '=', groupId).where('user_id', 'in', part).execute();
}

async function memberIds(db: Db, groupId: string): Promise<string[]> {
  return (await db.selectFrom('group_members').select('user_id').where('group_id', '=', groupId).execute()).map((r) => r.user_id);
}

async function memberCount(db: Db, groupId: string): Promise<number> {
  const row = await db.selectFrom('group_members').select((eb) => eb.fn.countAll<number>().as('n')).where('group_id', '=', groupId).executeTakeFirstOrThrow();
  return Number(row.n);
}

function groupView(row: { id: string; name: string; external_id: string | null; created_at: number | string }, members: number): Group {
  return { id: row.id, name: row.name, externalId: row.external_id, createdAt: new Date(Number(row.created_at)).toISOString(), memberCount: members };
}

/** The account's groups by name, with their member counts. */
export async function listGroups(db: Db, accountId: string): Promise<Group[]> {
  const rows = await db
    .selectFrom('groups as g')
    .leftJoin('group_members as m', 'm.group_id', 'g.id')
    .select((eb) => ['g.id', 'g.name', 'g.external_id', 'g.created_at', eb.fn.count<number>('m.user_id').as('members')])
    .where('g.account_id', '=', accountId)
    .groupBy(['g.id', 'g.name', 'g.external_id', 'g.created_at', 'g.name_key'])
    .orderBy('g.name_key')
    .execute();
  return rows.map((r) => groupView(r, Number(r.members)));
}

/** One group of the account, by its id or by the identity provider's id (SCIM), or null. */
export async function findGroup(db: Db, accountId: string, by: { id: string } | { externalId: string }): Promise<Group | null> {
  const row = await db
    .selectFrom('groups')
    .select(['id', 'name', 'external_id', 'created_at'])
    .where('account_id', '=', accountId)
    .$if('id' in by, (q) => q.where('id', '=', (by as { id: string }).id))
    .$if('externalId' in by, (q) => q.where('external_id', '=', (by as { externalId: string }).externalId))
    .executeTakeFirst();
  return row ? groupView(row, await memberCount(db, row.id)) : null;
}

/** The ids of the group's members (SCIM answers a group with them). Empty for an unknown group. */
export async function groupMemberIds(db: Db, accountId: string, groupId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('group_members as m')
    .innerJoin('groups as g', 'g.id', 'm.group_id')
    .select('m.user_id')
    .where('g.id', '=', groupId)
    .where('g.account_id', '=', accountId)
    .execute();
  return rows.map((r) => r.user_id);
}

/** A new group, with its first members if given (all or nothing). */
export async function createGroup(
  db: Kysely<Database>,
  events: SessionEvents,
  input: { accountId: string; actor: GroupActor; name: string; externalId?: string | null | undefined; memberIds?: readonly string[] | undefined },
): Promise<Group> {
  const name = cleanName(input.name);
  const result = await db.transaction().execute(async (trx) => {
    await assertNameFree(trx, input.accountId, name);
    const members = input.memberIds?.length ? await accountUsers(trx, input.accountId, input.memberIds) : [];
    const now = Date.now();
    const id = newId();
    await trx
      .insertInto('groups')
      .values({ id, account_id: input.accountId, name, name_key: nameKey(name), external_id: input.externalId ?? null, created_at: now })
      .execute();
    await insertMembers(trx, id, members);
    await audit(trx, input.accountId, input.actor, 'group.created', { groupId: id, name, ...(input.externalId ? { externalId: input.externalId } : {}), members: members.length });
    const signedOut = await signOutEnteringScope(trx, input.accountId, members);
    // Last, under the account lock signOutEnteringScope took (groups/member-flags.ts).
    for (const part of chunks(members)) await syncMemberFlags(trx, id, part);
    return { group: groupView({ id, name, external_id: input.externalId ?? null, created_at: now }, members.length), signedOut };
  });
  await publishRevocations(events, result.signedOut);
  return result.group;
}

/** A new name (and, for SCIM, a new external id); the same name in another case is a rename. */
export async function renameGroup(
  db: Kysely<Database>,
  input: { accountId: string; actor: GroupActor; groupId: string; name?: string | undefined; externalId?: string | null | undefined },
): Promise<Group> {
  return db.transaction().execute(async (trx) => {
    const current = await lockedGroup(trx, input.accountId, input.groupId);
    const name = input.name === undefined ? current.name : cleanName(input.name);
    await assertNameFree(trx, input.accountId, name, input.groupId);
    const externalId = input.externalId === undefined ? current.external_id : input.externalId;
    await trx.updateTable('groups').set({ name, name_key: nameKey(name), external_id: externalId }).where('id', '=', input.groupId).execute();
    if (name !== current.name || externalId !== current.external_id) {
      await audit(trx, input.accountId, input.actor, 'group.renamed', {
        groupId: input.groupId,
        ...(name !== current.name ? { name: { from: current.name, to: name } } : {}),
        ...(externalId !== current.external_id ? { externalId: { from: current.external_id, to: externalId } } : {}),
      });
    }
    const row = await trx.selectFrom('groups').select(['id', 'name', 'external_id', 'created_at']).where('id', '=', input.groupId).executeTakeFirstOrThrow();
    return groupView(row, await memberCount(trx, input.groupId));
  });
}

/**
 * Deletes the group: its memberships go, and so does its place in the requirement's scope (its
 * members may then no longer be asked for a method; nobody is signed out by a deletion).
 */
export async function deleteGroup(db: Kysely<Database>, input: { accountId: string; actor: GroupActor; groupId: string }): Promise<{ deleted: true; members: number }> {
  return db.transaction().execute(async (trx) => {
    const group = await lockedGroup(trx, input.accountId, input.groupId);
    const members = await memberCount(trx, input.groupId);
    const inScope = await trx.selectFrom('two_factor_scope_groups').select('group_id').where('group_id', '=', input.groupId).executeTakeFirst();
    // Explicit rather than left to the cascades, so both stores do the same whatever their settings.
    await trx.deleteFrom('two_factor_scope_groups').where('group_id', '=', input.groupId).execute();
    await trx.deleteFrom('group_members').where('group_id', '=', input.groupId).execute();
    await trx.deleteFrom('groups').where('id', '=', input.groupId).execute();
    await audit(trx, input.accountId, input.actor, 'group.deleted', { groupId: group.id, name: group.name, members, ...(inScope ? { wasInRequirementScope: true } : {}) });
    return { deleted: true as const, members };
  });
}

export interface MembershipChange {
  added: number;
  removed: number;
  memberCount: number;
  /** Sessions ended because a user without a method came under the requirement. */
  revokedSessions: number;
}

/**
 * Changes the members: `set` replaces them all, `add` and `remove` change only those named. All
 * or nothing: an id that is not a user of the account refuses the whole change (`unknown_users`).
 */
async function changeMembers(
  db: Kysely<Database>,
  events: SessionEvents,
  input: { accountId: string; actor: GroupActor; groupId: string; userIds: readonly string[] },
  mode: 'set' | 'add' | 'remove',
): Promise<MembershipChange> {
  const result = await db.transaction().execute(async (trx) => {
    await lockedGroup(trx, input.accountId, input.groupId);
    // Removing a user who is not (or no longer) in the account is not worth a refusal for SCIM.
    const named = mode === 'remove' ? [...new Set(input.userIds)] : await accountUsers(trx, input.accountId, input.userIds);
    const current = new Set(await memberIds(trx, input.groupId));
    const wanted = new Set(named);
    const added = mode === 'remove' ? [] : named.filter((id) => !current.has(id));
    const removed = mode === 'set' ? [...current].filter((id) => !wanted.has(id)) : mode === 'remove' ? named.filter((id) => current.has(id)) : [];
    await deleteMembers(trx, input.groupId, removed);
    await insertMembers(trx, input.groupId, added);
    const count = current.size - removed.length + added.length;
    if (added.length || removed.length) {
      await audit(trx, input.accountId, input.actor, 'group.members_changed', {
        groupId: input.groupId,
        added: added.length,
        removed: removed.length,
        // The ids themselves for a change of ordinary size; a bulk push is summarised.
        ...(added.length + removed.length <= 100 ? { addedUserIds: added, removedUserIds: removed } : {}),
        memberCount: count,
      });
    }
    const signedOut = await signOutEnteringScope(trx, input.accountId, added);
    // Last, under the account lock signOutEnteringScope took (groups/member-flags.ts).
    for (const part of chunks(added)) await syncMemberFlags(trx, input.groupId, part);
    return { added: added.length, removed: removed.length, memberCount: count, signedOut };
  });
  await publishRevocations(events, result.signedOut);
  const revokedSessions = result.signedOut.two_factor_required.length + result.signedOut.security_key_required.length;
  return { added: result.added, removed: result.removed, memberCount: result.memberCount, revokedSessions };
}

/** Replaces the group's members with these users (PUT /account/groups/{id}/members, SCIM PUT). */
export function setMembers(db: Kysely<Database>, events: SessionEvents, input: { accountId: string; actor: GroupActor; groupId: string; userIds: readonly string[] }) {
  return changeMembers(db, events, input, 'set');
}

/** Adds these users; those already in stay (SCIM PATCH add). */
export function addMembers(db: Kysely<Database>, events: SessionEvents, input: { accountId: string; actor: GroupActor; groupId: string; userIds: readonly string[] }) {
  return changeMembers(db, events, input, 'add');
}

/** Removes these users; ids that are not members are ignored (SCIM PATCH remove). */
export function removeMembers(db: Kysely<Database>, events: SessionEvents, input: { accountId: string; actor: GroupActor; groupId: string; userIds: readonly string[] }) {
  return changeMembers(db, events, input, 'remove');
}
