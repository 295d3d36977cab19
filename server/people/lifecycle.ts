// A user's lifecycle, by an admin: change the role, deactivate (signed out everywhere at once,
// sign-in, invitations and resets refused; nothing deleted), reactivate, delete. The account
// always keeps an active admin: a change that can touch the account's admins (any role change,
// or any change to an admin) runs after locking the account row, so two admins demoting each
// other at once cannot both succeed. A change to an agent locks only that user's row: the rules
// across users (the last admin, the break-glass admins, SSO only) are all about admins, and an
// agent stays an agent while its row is held, so an identity provider deactivating thousands of
// agents does not make each wait for the one before it (docs/performance.md, SCIM).
import { endRemembrances } from '../sessions/remembered-devices.js';
import { PostgresAdapter, sql, type Kysely, type Transaction } from 'kysely';
import { recordAudit, type AuditPerson, type RequestContext } from '../audit/audit.js';
import { DomainError } from '../errors.js';
import type { SessionEvents } from '../sessions/events.js';
import { Sessions } from '../sessions/sessions.js';
import type { Database, UsersTable } from '../store/schema.js';
import { publishRevocations, type Revocations } from '../enforcement/enforcement.js';
import { signOutEnteringScope } from '../enforcement/requirement-scope.js';
import { revokeLinks } from './links.js';
import { releaseBreakGlass } from '../sso/sign-in-settings.js';

export interface Actor {
  accountId: string;
  /** The admin making the change, or what else made it (`scim-token:<id>`, named in `actor`). */
  actorId: string | null;
  /** Who the audit names as the actor when it is not a user of the account. */
  actor?: AuditPerson | undefined;
  /** More for each audit entry's details (a SCIM change names its token). */
  details?: Record<string, unknown> | undefined;
  request?: RequestContext | undefined;
}

/**
 * Only an admin who has a second-factor method of their own makes someone an admin (by
 * invitation, import or a role change): admin access is never granted from a password alone.
 */
export function assertMayGrantAdmin(actor: { has_two_factor: number }): void {
  if (actor.has_two_factor !== 1) throw new DomainError('admin_method_required', 'Set up two-factor authentication for yourself before making someone an admin.');
}

/** Takes the account row's lock: changes to its admins take turns (both stores). */
async function lockAccount(trx: Transaction<Database>, accountId: string): Promise<void> {
  await trx.updateTable('accounts').set({ name: sql`name` }).where('id', '=', accountId).execute();
}

/** Thrown inside the transaction when the user turns out to be an admin: it runs again holding the account. */
class AccountLockNeeded extends Error {}

/**
 * The user's row, locked for the transaction. With `holdAccount` the account row is locked first
 * (the order every change to an account's admins takes). Without it only the user's row is
 * locked (PostgreSQL: `FOR NO KEY UPDATE`, which still lets rows that refer to the user be
 * written; SQLite has one writer, the transaction itself), and finding an admin there throws
 * AccountLockNeeded: locking the account after the user would invert that order.
 */
async function lockedUser(trx: Transaction<Database>, accountId: string, userId: string, holdAccount: boolean) {
  if (holdAccount) await lockAccount(trx, accountId);
  let query = trx
    .selectFrom('users')
    .select(['id', 'name', 'email', 'role', 'status', 'language', 'password_hash', 'provisioned_via', 'break_glass'])
    .where('id', '=', userId)
    .where('account_id', '=', accountId);
  if (trx.getExecutor().adapter instanceof PostgresAdapter) query = query.forNoKeyUpdate();
  const user = await query.executeTakeFirst();
  if (!user) throw new DomainError('not_found', 'No such user in this account.');
  if (!holdAccount && (user.role === 'admin' || user.break_glass === 1)) throw new AccountLockNeeded();
  return user;
}

/**
 * Runs `change` in a transaction with the user's row locked, and the account's too when the
 * change can touch the account's admins: when `touchesRole`, or when the user is an admin (found
 * under the lock, then run again from the start holding the account).
 */
async function inUsersTurn<T>(db: Kysely<Database>, accountId: string, userId: string, touchesRole: boolean, change: (trx: Transaction<Database>, user: Awaited<ReturnType<typeof lockedUser>>) => Promise<T>): Promise<T> {
  const run = (holdAccount: boolean) => db.transaction().execute(async (trx) => change(trx, await lockedUser(trx, accountId, userId, holdAccount)));
  if (touchesRole) return run(true);
  try {
    return await run(false);
  } catch (error) {
    if (!(error instanceof AccountLockNeeded)) throw error;
    return run(true);
  }
}

/** Refuses when `user` is the account's last active admin and the change would end that. */
async function keepAnActiveAdmin(trx: Transaction<Database>, accountId: string, user: { id: string; role: string; status?: string | undefined }) {
  if (user.role !== 'admin' || user.status !== 'active') return;
  const other = await trx
    .selectFrom('users')
    .select('id')
    .where('account_id', '=', accountId)
    .where('role', '=', 'admin')
    .where('status', '=', 'active')
    .where('id', '!=', user.id)
    .limit(1)
    .executeTakeFirst();
  if (!other) throw new DomainError('last_admin_required');
}

export interface UserChange {
  role?: UsersTable['role'] | undefined;
  status?: 'active' | 'deactivated' | undefined;
}

export async function changeUser(db: Kysely<Database>, events: SessionEvents, actor: Actor, userId: string, change: UserChange) {
  const result = await inUsersTurn(db, actor.accountId, userId, change.role !== undefined, async (trx, user) => {
    const status = user.status ?? 'active';
    const demoting = change.role !== undefined && change.role !== user.role && user.role === 'admin';
    const deactivating = change.status === 'deactivated' && status !== 'deactivated';
    if (demoting || deactivating) {
      await keepAnActiveAdmin(trx, actor.accountId, { ...user, status });
      // Read under the lock: only a change holding the account (or this row) sets it.
      if (user.break_glass === 1) await releaseBreakGlass(trx, actor.accountId, user.id);
    }
    let sessionIds: string[] = [];
    let enteredScope: Revocations = { two_factor_required: [], security_key_required: [] };
    const base = { userId: user.id, name: user.name, email: user.email };
    if (change.role !== undefined && change.role !== user.role) {
      await trx.updateTable('users').set({ role: change.role }).where('id', '=', user.id).execute();
      // Under a requirement for that role, a user without a method is signed out at once.
      enteredScope = await signOutEnteringScope(trx, actor.accountId, [user.id]);
      const signedOut = enteredScope.two_factor_required.length + enteredScope.security_key_required.length;
      await recordAudit(trx, { ...auditOf(actor, user.id), action: 'user.role_changed', details: { ...base, from: user.role, to: change.role, ...(signedOut ? { revokedSessions: signedOut } : {}), ...actor.details } });
    }
    let newStatus = status;
    if (deactivating) {
      newStatus = 'deactivated';
      await trx.updateTable('users').set({ status: 'deactivated' }).where('id', '=', user.id).execute();
      sessionIds = await Sessions.revokeUsersSessions(trx, [user.id], 'deactivated');
      await endRemembrances(trx, { userId: user.id, accountId: actor.accountId, actorId: actor.actorId, actor: actor.actor, reason: 'deactivated', request: actor.request });
      const links = await revokeLinks(trx, [user.id]);
      await recordAudit(trx, {
        ...auditOf(actor, user.id),
        action: 'user.deactivated',
        details: { ...base, signedOutUsers: sessionIds.length > 0 ? 1 : 0, revokedSessions: sessionIds.length, revokedLinks: links, ...actor.details },
      });
    } else if (change.status === 'active' && status === 'deactivated') {
      // One who never accepted their invitation is invited again (an admin resends the link); one
      // an identity provider brought has no password to choose and signs in through it.
      newStatus = user.password_hash === '' && !user.provisioned_via ? 'invited' : 'active';
      await trx.updateTable('users').set({ status: newStatus }).where('id', '=', user.id).execute();
      await recordAudit(trx, { ...auditOf(actor, user.id), action: 'user.reactivated', details: { ...base, status: newStatus, ...actor.details } });
    }
    return { user: { id: user.id, name: user.name, email: user.email, role: change.role ?? user.role, status: newStatus, language: user.language ?? null }, sessionIds, enteredScope };
  });
  await events.publishRevoked(result.sessionIds, 'deactivated');
  await publishRevocations(events, result.enteredScope);
  const entered = result.enteredScope.two_factor_required.length + result.enteredScope.security_key_required.length;
  return { user: result.user, revokedSessions: result.sessionIds.length + entered };
}

/** Deletes the user and everything of theirs; audit entries keep their name and email. */
export async function deleteUser(db: Kysely<Database>, events: SessionEvents, actor: Actor, userId: string) {
  const sessionIds = await inUsersTurn(db, actor.accountId, userId, false, async (trx, user) => {
    await keepAnActiveAdmin(trx, actor.accountId, { ...user, status: user.status ?? 'active' });
    if (user.break_glass === 1) await releaseBreakGlass(trx, actor.accountId, user.id);
    // Ended (and told) before the rows go, so a connected client returns to sign-in at once.
    const ids = await Sessions.revokeUsersSessions(trx, [user.id], 'deactivated');
    await trx.deleteFrom('users').where('id', '=', user.id).execute();
    await recordAudit(trx, {
      ...auditOf(actor, user.id),
      // The row is gone: the entry keeps who it was.
      subject: { name: user.name, email: user.email },
      action: 'user.deleted',
      details: { userId: user.id, name: user.name, email: user.email, role: user.role, status: user.status ?? 'active', revokedSessions: ids.length, ...actor.details },
    });
    return ids;
  });
  await events.publishRevoked(sessionIds, 'deactivated');
  return { revokedSessions: sessionIds.length };
}

function auditOf(actor: Actor, subjectUserId: string) {
  return { accountId: actor.accountId, actorId: actor.actorId, actor: actor.actor, subjectUserId, request: actor.request };
}
