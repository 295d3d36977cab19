// "Require two-factor authentication": the impact preview and the save that, in one
// transaction, stores the setting and revokes every session of every user without a method.
import { PostgresAdapter, sql, type CompiledQuery, type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import { recordAudit, type AuditPerson, type RequestContext } from '../audit/audit.js';
import { DomainError } from '../errors.js';
import type { SessionEvents } from '../sessions/events.js';
import { Sessions } from '../sessions/sessions.js';
import type { AccountsTable, Database } from '../store/schema.js';
import { acceptedMethodFlag, missingFactorReason, policyOf, type SecondFactorPolicy } from '../second-factors/policy.js';
import { inRequirementScope, sameScope, scopeMembers, scopeForAudit, storedScope, storeScope, validateScope, type RequirementScope, type ScopeInput, type ScopeMember } from './requirement-scope.js';
import { accountGraceChange } from './grace.js';
import { lockRequirementInForce } from './requirement-in-force.js';

/** Users without a method, listed by name in the warning; the count is always exact. */
const IMPACT_LIST_LIMIT = 500;

/**
 * Who would be signed out if 2FA were required now, under the account's second-factor policy
 * or the one the admin is about to choose: under "security keys only" a user whose only method
 * is an authenticator app counts as without a method, and is marked so. Only users in the
 * requirement's scope count: the stored one, or the one the admin is about to save
 * (enforcement/requirement-scope.ts).
 */
export async function enforcementImpact(db: Kysely<Database>, accountId: string, proposedPolicy?: SecondFactorPolicy, proposedScope?: RequirementScope) {
  const now = Date.now();
  const policy = proposedPolicy ?? policyOf(await db.selectFrom('accounts').select('second_factor_policy').where('id', '=', accountId).executeTakeFirstOrThrow());
  const flag = acceptedMethodFlag(policy);
  const scope = proposedScope ?? (await storedScope(db, accountId));
  const account = () => db.selectFrom('users as u').where('u.account_id', '=', accountId);
  // Everyone, or roles only: a filter on the account's users rows, read by account (a role holds
  // most of an account: a member list of 100,000 ids would only be read back the same way).
  const byAccount = scope.everyone || scope.groupIds.length === 0;
  const inScope = () => account().where(inRequirementScope('u', { scope }));
  // The counts of a scope with groups start from its members (a group of 10,000 among 100,000
  // users reads 10,000 rows, not 100,000: bench/enforce.ts --group). The cross join keeps SQLite's
  // planner from starting at the account's users; PostgreSQL plans it as the inner join it is.
  const counted = () =>
    byAccount
      ? inScope()
      : db
          .selectFrom(sql<{ user_id: string }>`(${scopeMembers(accountId, scope)})`.as('x'))
          .crossJoin('users as u')
          .whereRef('u.id', '=', 'x.user_id')
          .where('u.account_id', '=', accountId);
  // How many users lack a method the policy accepts (and of them, how many have an app), and how
  // many sessions would end: every live session of those users, and every live session that
  // never passed a second factor.
  const countImpact = async (): Promise<{ n: number; apps: number | null; sessions: number }> => {
    if (byAccount) {
      const [users, sessions] = await Promise.all([
        inScope()
          .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('u.has_two_factor').as('apps')])
          .where(`u.${flag}`, '=', 0)
          .executeTakeFirstOrThrow(),
        inScope()
          .innerJoin('sessions as s', 's.user_id', 'u.id')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where((eb) => eb.or([eb(`u.${flag}`, '=', 0), eb('s.second_factor_at', 'is', null)]))
          .where('s.revoked_at', 'is', null)
          .where('s.expires_at', '>', now)
          .executeTakeFirstOrThrow(),
      ]);
      return { n: users.n, apps: users.apps, sessions: sessions.n };
    }
    // A scope with groups: its members, each with their flags (read with the membership, not
    // from the users row: requirement-scope.ts scopeMembers), in two questions asked at once (on
    // PostgreSQL, on two connections of the pool, beside the list below; SQLite answers them in
    // turn): the members without an accepted method, how many have an app, and all their live
    // sessions; the live sessions of the members with one that never passed a second factor.
    // Each member's count is one probe of an index that holds what it reads (SQLite:
    // sessions_account; PostgreSQL: sessions_user_id, and the partial
    // sessions_user_without_second_factor, which most members' probes find empty). Measured on a
    // group of 10,000 among 100,000 agents: docs/performance.md "Member flags".
    // requirement-scope.test.ts compares the scoped preview with the unscoped one and the save on
    // each store (CI runs it on PostgreSQL).
    const membersWhoseMethod = (accepted: 0 | 1) =>
      db
        .selectFrom(sql<ScopeMember>`(${scopeMembers(accountId, scope)})`.as('m'))
        .where(`m.${flag}`, '=', accepted)
        .select((eb) => {
          const live = eb
            .selectFrom('sessions as s')
            .select((e) => e.fn.countAll<number>().as('n'))
            .where('s.account_id', '=', accountId)
            .whereRef('s.user_id', '=', 'm.user_id')
            .where('s.revoked_at', 'is', null)
            .where('s.expires_at', '>', now);
          return ['m.has_two_factor', (accepted === 0 ? live : live.where('s.second_factor_at', 'is', null)).as('live')];
        });
    const summed = (accepted: 0 | 1) =>
      db
        .selectFrom(membersWhoseMethod(accepted).as('m'))
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('m.has_two_factor').as('apps'), eb.fn.sum<number>('m.live').as('sessions')]);
    const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
    const ask = (accepted: 0 | 1) => (isPostgres ? withoutJit(db, summed(accepted).compile()) : summed(accepted).executeTakeFirstOrThrow());
    const [without, withMethod] = await Promise.all([ask(0), ask(1)]);
    // A scope without such members sums nothing: null.
    return { n: Number(without.n), apps: without.apps, sessions: Number(without.sessions ?? 0) + Number(withMethod.sessions ?? 0) };
  };
  const [listed, counts, viaTrustedProvider] = await Promise.all([
    // The list by name, the first 500: read along the name index, it stops early.
    inScope().select(['u.id', 'u.name', 'u.email', 'u.has_two_factor']).where(`u.${flag}`, '=', 0).orderBy('u.name').limit(IMPACT_LIST_LIMIT).execute(),
    countImpact(),
    // Of them, who last signed in through a provider whose MFA the account trusts: by the rule of
    // sessions/strategies/sso.ts their next sign-in there counts as both factors when the provider
    // did MFA, so requiring 2FA does not send them to enrolment (PRODUCT.md "the impact preview
    // counts SSO users by the same rule").
    counted()
      .innerJoin('identity_providers as p', 'p.id', 'u.last_sso_provider_id')
      .select(['u.id', 'p.name'])
      .where(`u.${flag}`, '=', 0)
      .where('p.trust_mfa', '=', 1)
      .execute(),
  ]);
  const trusted = new Map(viaTrustedProvider.map((r) => [r.id, r.name]));
  return {
    usersWithoutTwoFactor: Number(counts.n),
    sessionsToRevoke: Number(counts.sessions),
    secondFactorPolicy: policy,
    /** Whom the counts are of: the scope measured. */
    appliesTo: scope.everyone ? { everyone: true as const } : { everyone: false as const, roles: scope.roles, groupIds: scope.groupIds },
    /** Of those, the users who have an authenticator app that the policy does not accept. */
    usersWithOnlyAuthenticatorApp: Number(counts.apps ?? 0),
    /** Of those, the users whose last sign-in was through an identity provider with trusted MFA. */
    usersWithTrustedProviderMfa: trusted.size,
    users: listed.map((u) => ({
      id: u.id,
      name: u.name,
      email: u.email,
      ...(policy === 'security_keys' ? { onlyAuthenticatorApp: u.has_two_factor === 1 } : {}),
      ...(trusted.has(u.id) ? { trustedProvider: trusted.get(u.id)! } : {}),
    })),
  };
}

/**
 * Runs one read on PostgreSQL without JIT compilation (for this statement's transaction only).
 * The scoped preview runs a small subplan per member: for a scope of 20,000 the plan's cost
 * passes jit_above_cost, and compiling it took longer than the 20,000 probes it would speed up
 * (81 ms with JIT, 63-68 ms without, docs/performance.md "Member flags").
 */
async function withoutJit<R>(db: Kysely<Database>, query: CompiledQuery<R>): Promise<R> {
  return db.transaction().execute(async (trx) => {
    await sql`set local jit = off`.execute(trx);
    const { rows } = await trx.executeQuery(query);
    if (rows.length !== 1) throw new Error('expected one row');
    return rows[0]!;
  });
}

export interface SettingsChange {
  requireTwoFactor: boolean;
  acknowledged: boolean;
  userVerification?: AccountsTable['user_verification'] | undefined;
  /** Who may enrol at next sign-in (enforcement/enrollment-policy.ts). */
  enrollment?: 'password' | 'known_device' | undefined;
  /**
   * Deployment day (enforcement/schedule.ts): an ISO time in the future at which the requirement
   * takes effect, or null to cancel the schedule; absent leaves the schedule as it is.
   */
  startsAt?: string | null | undefined;
  /** Sign in with a security key alone (second-factors/passkeys.ts); absent leaves it. */
  passwordlessSignIn?: boolean | undefined;
  /** Which methods count (second-factors/policy.ts); absent leaves it. */
  secondFactorPolicy?: SecondFactorPolicy | undefined;
  /** Under "security keys only", recovery codes still pass the second step (policy.ts); absent leaves it. */
  allowRecoveryCodesUnderKeysOnly?: boolean | undefined;
  /** Whom the requirement applies to (checked by requirement-scope.ts validateScope); absent leaves it. */
  appliesTo?: ScopeInput | undefined;
  /** Grace (enforcement/grace.ts) for users who must enrol: sign-ins (0: none); absent leaves it. */
  graceSignIns?: number | undefined;
  /** Grace until this ISO time, or null (no end date); absent leaves it. */
  graceUntil?: string | null | undefined;
}

export async function saveSecuritySettings(
  db: Kysely<Database>,
  events: SessionEvents,
  input: {
    accountId: string;
    actor: { id: string; has_two_factor: number };
    secondFactorAt: number | null;
    change: SettingsChange;
    recentMs: number;
    request?: RequestContext | undefined;
  },
) {
  const startsAt = parseStartsAt(input.change);
  // A bad scope is refused before anything else is looked at (400 invalid_scope, nothing changed).
  const change = { ...input.change, appliesTo: input.change.appliesTo === undefined ? undefined : await validateScope(db, input.accountId, input.change.appliesTo) };
  accountGraceChange(change);
  // Checked before anything is written, in the order an admin can act on them. The warning and
  // its acknowledgement are about turning the requirement on (now or on a deployment day);
  // saving other settings while it is already on needs neither.
  const current = await db.selectFrom('accounts').select(['require_two_factor', 'second_factor_policy']).where('id', '=', input.accountId).executeTakeFirstOrThrow();
  if (typeof startsAt === 'number' && current.require_two_factor === 1) throw new DomainError('already_required');
  const asksToTurnOn = change.requireTwoFactor && current.require_two_factor === 0;
  // "Security keys only" while 2FA is required signs out whoever has no key: an enforcement save too.
  const asksToTighten = change.requireTwoFactor && change.secondFactorPolicy === 'security_keys' && policyOf(current) !== 'security_keys';
  // A new scope while it is on signs out whoever it brings in without a method: acknowledged too.
  const asksToRescope = change.requireTwoFactor && current.require_two_factor === 1 && change.appliesTo !== undefined && !sameScope(change.appliesTo, await storedScope(db, input.accountId));
  if ((asksToTurnOn || asksToTighten || asksToRescope) && !change.acknowledged) throw new DomainError('acknowledgement_required');
  if (change.requireTwoFactor && input.actor.has_two_factor !== 1) throw new DomainError('admin_method_required');
  if (change.secondFactorPolicy === 'security_keys' && policyOf(current) !== 'security_keys') {
    const actor = await db.selectFrom('users').select('has_security_key').where('id', '=', input.actor.id).executeTakeFirstOrThrow();
    if (actor.has_security_key !== 1) throw new DomainError('admin_method_required', 'Add a security key for yourself before accepting security keys only.');
  }
  if (input.secondFactorAt === null || input.secondFactorAt < Date.now() - input.recentMs) {
    throw new DomainError('reauthentication_required');
  }

  const result = await db.transaction().execute((trx) =>
    applySecuritySettings(trx, { accountId: input.accountId, actorId: input.actor.id, change, startsAt, request: input.request }),
  );

  await publishRevocations(events, result.revocations);
  // Every open stream of the account learns the setting now (the renderer shows it at once).
  await events.publishAccountUpdated(input.accountId, { requireTwoFactor: result.requireTwoFactor });
  return {
    requireTwoFactor: result.requireTwoFactor,
    signedOutUsers: result.signedOutUsers,
    revokedSessions: result.sessionIds.length,
    scheduledAt: result.scheduledAt === null ? null : new Date(result.scheduledAt).toISOString(),
  };
}

/** `startsAt` as milliseconds: null cancels, undefined leaves the schedule alone. */
function parseStartsAt(change: SettingsChange): number | null | undefined {
  if (change.startsAt === undefined || change.startsAt === null) return change.startsAt;
  const at = Date.parse(change.startsAt);
  if (!Number.isFinite(at)) throw new DomainError('invalid_request', 'startsAt is not a date and time.');
  if (at <= Date.now()) throw new DomainError('schedule_in_past');
  if (at > Date.now() + MAX_SCHEDULE_AHEAD_MS) throw new DomainError('invalid_request', 'startsAt is more than a year ahead.');
  // A deployment day turns the requirement on: the save itself leaves it off until then.
  if (!change.requireTwoFactor) throw new DomainError('invalid_request', 'A deployment day needs requireTwoFactor: true.');
  return at;
}

const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 3_600_000;

/**
 * The body of a save, inside the caller's transaction: an admin's save and a deployment day
 * that comes due (enforcement/schedule.ts) both go through it, so both store the setting,
 * revoke the same sessions and write the same audit entry. The caller publishes the revocations
 * after the commit.
 */
export async function applySecuritySettings(
  trx: Transaction<Database>,
  input: {
    accountId: string;
    actorId: string | null;
    change: SettingsChange;
    /** Milliseconds: schedule the requirement; null: cancel the schedule; undefined: leave it. */
    startsAt?: number | null | undefined;
    /** Set when a deployment day applies the change: the time it was scheduled for. */
    scheduledFor?: number | undefined;
    /** The actor's name and email as the deployment day kept them (they may be deleted since). */
    actor?: AuditPerson | undefined;
    request?: RequestContext | undefined;
  },
): Promise<{ sessionIds: string[]; revocations: Revocations; signedOutUsers: number; requireTwoFactor: boolean; scheduledAt: number | null }> {
  const { change } = input;
  const schedules = typeof input.startsAt === 'number';
  // Write to the account row first: its lock makes concurrent saves (two admins, two
  // instances) take turns. On PostgreSQL (READ COMMITTED) the read below then sees the other
  // save's committed setting, so `turningOn` and the audit entry's `from` are never stale.
  await lockRequirementInForce(trx, input.accountId);
  const account = await trx
    .selectFrom('accounts')
    .select(['require_two_factor', 'user_verification', 'enrollment_policy', 'two_factor_scheduled_at', 'two_factor_required_since', 'passwordless_sign_in', 'second_factor_policy', 'allow_recovery_codes_under_keys_only', 'grace_sign_ins', 'grace_until'])
    .where('id', '=', input.accountId)
    .executeTakeFirstOrThrow();
  // Taken after the lock, so audit entries sort in the order the saves took effect.
  const now = Date.now();
  // A deployment day leaves the requirement as it is until then.
  const requireTwoFactor = schedules ? account.require_two_factor === 1 : change.requireTwoFactor;
  const turningOn = requireTwoFactor && account.require_two_factor === 0;
  const previousPolicy = policyOf(account);
  const policy = change.secondFactorPolicy ?? previousPolicy;
  // While 2FA is required, accepting security keys only leaves users with just an app without a method.
  const tightening = requireTwoFactor && policy === 'security_keys' && previousPolicy !== 'security_keys';
  const passwordless = change.passwordlessSignIn === undefined ? account.passwordless_sign_in === 1 : change.passwordlessSignIn;
  const recoveryCodesAllowed = account.allow_recovery_codes_under_keys_only === 1;
  const allowRecoveryCodes = change.allowRecoveryCodesUnderKeysOnly ?? recoveryCodesAllowed;
  // Another admin turned it off in the meantime: this save turns it on, unacknowledged.
  if ((turningOn || tightening || schedules) && !change.acknowledged) throw new DomainError('acknowledgement_required');
  // Another admin turned it on in the meantime: there is nothing left to schedule.
  if (schedules && account.require_two_factor === 1) throw new DomainError('already_required');
  const userVerification = change.userVerification ?? account.user_verification;
  const enrollment = change.enrollment ?? account.enrollment_policy;
  const previousScope = await storedScope(trx, input.accountId);
  // Checked again under the account's lock: a group deleted meanwhile is refused, not half-stored.
  const requested = change.appliesTo === undefined ? undefined : await validateScope(trx, input.accountId, change.appliesTo);
  const scope = requested ?? previousScope;
  const rescoping = requireTwoFactor && !turningOn && !sameScope(scope, previousScope);
  if (rescoping && !change.acknowledged) throw new DomainError('acknowledgement_required');
  if (requested) await storeScope(trx, input.accountId, requested);
  const previousSchedule = account.two_factor_scheduled_at === null ? null : Number(account.two_factor_scheduled_at);
  // Users' graces already granted stay as they are (enforcement/grace.ts): this is for those to come.
  const grace = accountGraceChange(change, now);
  const graceBefore = { signIns: Number(account.grace_sign_ins ?? 0), until: account.grace_until == null ? null : Number(account.grace_until) };
  const graceAfter = { signIns: grace.grace_sign_ins ?? graceBefore.signIns, until: grace.grace_until === undefined ? graceBefore.until : grace.grace_until };
  // Once the requirement is on there is no deployment day left to wait for.
  const scheduledAt = requireTwoFactor ? null : input.startsAt === undefined ? previousSchedule : input.startsAt;
  await trx
    .updateTable('accounts')
    .set({
      require_two_factor: requireTwoFactor ? 1 : 0,
      user_verification: userVerification,
      enrollment_policy: enrollment,
      second_factor_policy: policy,
      passwordless_sign_in: passwordless ? 1 : 0,
      allow_recovery_codes_under_keys_only: allowRecoveryCodes ? 1 : 0,
      settings_updated_at: now,
      settings_updated_by: input.actorId,
      two_factor_required_since: turningOn ? now : requireTwoFactor ? account.two_factor_required_since : null,
      ...(scheduledAt !== previousSchedule ? scheduledBy(scheduledAt, input.actorId) : {}),
      ...grace,
    })
    .where('id', '=', input.accountId)
    .execute();
  let revoked: { id: string; user_id: string }[] = [];
  const revocations: Revocations = { two_factor_required: [], security_key_required: [] };
  if (turningOn || tightening || rescoping) {
    // Under "security keys only" what these users lack is a key (most already use an app).
    // (Password-only sessions of users who do have a method end too only when the requirement
    // itself turns on: tightening the policy while it is on leaves users with a key mid-sign-in alone.)
    // Only users in the scope just stored (one set-based statement, whatever its size); a scope
    // that grows while it is on leaves sessions already enrolling alone.
    const reason = missingFactorReason(policy);
    const ended = await Sessions.revokeUnderRequirement(
      trx,
      {
        accountId: input.accountId,
        acceptedMethodFlag: acceptedMethodFlag(policy),
        reason,
        passwordOnly: turningOn,
        users: (alias) => inRequirementScope(alias, { accountId: input.accountId }),
        activeOnly: !turningOn && !tightening,
      },
      now,
    );
    revocations[reason] = ended.withoutMethod.map((r) => r.id);
    revocations.two_factor_required.push(...ended.passwordOnly.map((r) => r.id));
    revoked = ended.withoutMethod.concat(ended.passwordOnly);
  }
  const signedOutUsers = new Set(revoked.map((r) => r.user_id)).size;
  await recordAudit(trx, {
    accountId: input.accountId,
    actorId: input.actorId,
    actor: input.actor,
    action: 'security_settings.updated',
    details: {
      requireTwoFactor: { from: account.require_two_factor === 1, to: requireTwoFactor },
      ...(userVerification !== account.user_verification
        ? { userVerification: { from: account.user_verification, to: userVerification } }
        : {}),
      ...(enrollment !== account.enrollment_policy ? { enrollment: { from: account.enrollment_policy, to: enrollment } } : {}),
      ...(policy !== previousPolicy ? { secondFactorPolicy: { from: previousPolicy, to: policy } } : {}),
      ...(passwordless !== (account.passwordless_sign_in === 1) ? { passwordlessSignIn: { from: !passwordless, to: passwordless } } : {}),
      ...(allowRecoveryCodes !== recoveryCodesAllowed ? { allowRecoveryCodesUnderKeysOnly: { from: recoveryCodesAllowed, to: allowRecoveryCodes } } : {}),
      ...(scheduledAt !== previousSchedule ? { startsAt: { from: isoOrNull(previousSchedule), to: isoOrNull(scheduledAt) } } : {}),
      // Whom it applies to: as it changed, or as it stands when the requirement turns on.
      ...(!sameScope(scope, previousScope) ? { appliesTo: { from: scopeForAudit(previousScope), to: scopeForAudit(scope) } } : turningOn || schedules ? { appliesTo: scopeForAudit(scope) } : {}),
      ...(graceAfter.signIns !== graceBefore.signIns ? { graceSignIns: { from: graceBefore.signIns, to: graceAfter.signIns } } : {}),
      ...(graceAfter.until !== graceBefore.until ? { graceUntil: { from: isoOrNull(graceBefore.until), to: isoOrNull(graceAfter.until) } } : {}),
      ...(input.scheduledFor !== undefined ? { deploymentDay: new Date(input.scheduledFor).toISOString() } : {}),
      signedOutUsers,
      revokedSessions: revoked.length,
    },
    at: now,
    request: input.request,
  });
  return { sessionIds: revoked.map((r) => r.id), revocations, signedOutUsers, requireTwoFactor, scheduledAt };
}

/** The sessions an enforcement save ended, by the reason each user is told. */
export type Revocations = Record<'two_factor_required' | 'security_key_required', string[]>;

/** Tells every ended session why, once the save has committed. */
export async function publishRevocations(events: SessionEvents, revocations: Revocations): Promise<void> {
  for (const [reason, sessionIds] of Object.entries(revocations) as [keyof Revocations, string[]][]) {
    if (sessionIds.length) await events.publishRevoked(sessionIds, reason);
  }
}

/** Who set the deployment day, named as they are now: the entry written when it fires names them
 * even if they are deleted before then. */
function scheduledBy(scheduledAt: number | null, actorId: string | null) {
  const set = scheduledAt !== null && actorId !== null;
  const of = (column: 'name' | 'email') => (set ? (eb: ExpressionBuilder<Database, 'accounts'>) => eb.selectFrom('users').select(column).where('users.id', '=', actorId) : null);
  return {
    two_factor_scheduled_at: scheduledAt,
    two_factor_scheduled_by: set ? actorId : null,
    two_factor_scheduled_by_name: of('name'),
    two_factor_scheduled_by_email: of('email'),
  };
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(Number(ms)).toISOString();
}
