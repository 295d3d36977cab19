// Grace (PRODUCT.md "Authentication policies"): a user who must enrol may postpone it a bounded
// number of sign-ins (`graceSignIns`) and/or until a date (`graceUntil`).
//
// - The account sets the grace. Each user gets their own copy (a `user_grace` row) ONCE: at the
//   first sign-in where they must enrol. Nothing renews it: not the user, not a factor reset,
//   not saving the settings again (the row exists, so it is never granted twice); only an admin
//   changes one user's grace (`setUserGrace`). When an admin ends it, the sessions that live
//   only because the user postponed end with it, pushed as an enforcement save pushes them.
// - A grace is open while no bound is closed: the count (if any) is above 0 and the date (if
//   any) is ahead. With only a date the count is unlimited. With neither it is over.
// - Postponing spends one sign-in with a conditional UPDATE (`... WHERE sign_ins_left > 0`) in
//   the transaction that turns the enrolment session into an active one under a new token:
//   parallel postpones cannot spend one sign-in twice. The session is marked `postponed_at`
//   (sessions/assurance.ts lets it live); it is never a second factor.
//
// Whether a user must enrol is decided elsewhere (the sign-in strategies, the enrolment rule):
// grace only adds a way past it, and only for a session in `enrollment_required`.
import type { Kysely, Transaction } from 'kysely';
import { GRACE_LIMITS } from '../../contract/schemas.js';
import { recordAudit, type RequestContext } from '../audit/audit.js';
import { DomainError } from '../errors.js';
import { acceptedMethodFlag, missingFactorReason, policyOf } from '../second-factors/policy.js';
import type { SessionEvents } from '../sessions/events.js';
import { Sessions, type AuthenticatedSession } from '../sessions/sessions.js';
import type { AccountsTable, Database, SessionsTable, UserGraceTable } from '../store/schema.js';
import { publishRevocations, type Revocations } from './enforcement.js';
import { inRequirementScope } from './requirement-scope.js';
import { lockRequirementInForce } from './requirement-in-force.js';

type Db = Kysely<Database> | Transaction<Database>;

const DAY = 24 * 3_600_000;

/** A user's grace as the API shows it: null fields are unbounded (never both: then there is no grace). */
export interface GraceView {
  signInsLeft: number | null;
  until: string | null;
}

type GraceRow = Pick<UserGraceTable, 'sign_ins_left' | 'until'>;

export function graceView(row: GraceRow | undefined): GraceView | null {
  if (!row) return null;
  return { signInsLeft: row.sign_ins_left === null ? null : Number(row.sign_ins_left), until: row.until === null ? null : new Date(Number(row.until)).toISOString() };
}

/** Whether a grace still lets its user postpone. */
export function graceIsOpen(row: GraceRow | undefined, now = Date.now()): boolean {
  if (!row || (row.sign_ins_left === null && row.until === null)) return false;
  if (row.sign_ins_left !== null && Number(row.sign_ins_left) <= 0) return false;
  return row.until === null || Number(row.until) > now;
}

/**
 * A grace end date as milliseconds: not in the past, at most GRACE_LIMITS.days ahead; null
 * stays null (no end date). Throws `invalid_grace` otherwise.
 */
export function parseGraceUntil(value: string | null, now = Date.now()): number | null {
  if (value === null) return null;
  const at = Date.parse(value);
  if (!Number.isFinite(at)) throw new DomainError('invalid_grace', 'The grace end is not a date and time.');
  if (at <= now) throw new DomainError('invalid_grace', 'The grace end must be in the future.');
  if (at > now + GRACE_LIMITS.days * DAY) throw new DomainError('invalid_grace', `The grace end must be at most ${GRACE_LIMITS.days} days ahead.`);
  return at;
}

function parseGraceSignIns(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > GRACE_LIMITS.signIns) {
    throw new DomainError('invalid_grace', `The number of sign-ins must be a whole number from 0 to ${GRACE_LIMITS.signIns}.`);
  }
  return value;
}

/** The account's grace columns for a settings save (absent fields leave the column), checked first. */
export function accountGraceChange(change: { graceSignIns?: number | undefined; graceUntil?: string | null | undefined }, now = Date.now()) {
  return {
    ...(change.graceSignIns !== undefined ? { grace_sign_ins: parseGraceSignIns(change.graceSignIns) } : {}),
    ...(change.graceUntil !== undefined ? { grace_until: parseGraceUntil(change.graceUntil, now) } : {}),
  };
}

/**
 * The account's grace as a user is granted it at `at` (null when that gives none): the count if
 * any, the end date only if it is still ahead then.
 */
function accountGrant(account: { grace_sign_ins?: number | null | undefined; grace_until?: number | null | undefined }, at: number): GraceRow | null {
  const signIns = Number(account.grace_sign_ins ?? 0);
  const until = account.grace_until != null && Number(account.grace_until) > at ? Number(account.grace_until) : null;
  if (signIns === 0 && until === null) return null;
  return { sign_ins_left: signIns > 0 ? signIns : null, until };
}

/**
 * The user must enrol at this sign-in: their grace, granted now from the account's if they
 * never had one. A user who had one keeps it as it is (spent or not).
 */
export async function grantGrace(trx: Db, input: { userId: string; accountId: string }, now = Date.now()): Promise<GraceView | null> {
  const existing = await trx.selectFrom('user_grace').select(['sign_ins_left', 'until']).where('user_id', '=', input.userId).executeTakeFirst();
  if (existing) return graceView(existing);
  const account = await trx.selectFrom('accounts').select(['grace_sign_ins', 'grace_until']).where('id', '=', input.accountId).executeTakeFirstOrThrow();
  const row = accountGrant(account, now);
  if (!row) return null;
  // Two parallel first sign-ins: one row is granted, the other keeps it.
  await trx
    .insertInto('user_grace')
    .values({ user_id: input.userId, account_id: input.accountId, ...row, granted_at: now, updated_at: now })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .execute();
  return graceOf(trx, input.userId);
}

/**
 * The grace a user without a method will have when the requirement starts at `at` (the
 * deployment day): their own if they hold one already (an admin set it; it is never granted
 * again), else the account's as it would be granted then. Null when it would not let them
 * postpone on that day.
 */
export async function graceFrom(db: Db, input: { userId: string; accountId: string }, at: number): Promise<GraceView | null> {
  const own = await db.selectFrom('user_grace').select(['sign_ins_left', 'until']).where('user_id', '=', input.userId).executeTakeFirst();
  const row = own ?? accountGrant(await db.selectFrom('accounts').select(['grace_sign_ins', 'grace_until']).where('id', '=', input.accountId).executeTakeFirstOrThrow(), at);
  return row && graceIsOpen(row, at) ? graceView(row) : null;
}

export async function graceOf(db: Db, userId: string): Promise<GraceView | null> {
  return graceView(await db.selectFrom('user_grace').select(['sign_ins_left', 'until']).where('user_id', '=', userId).executeTakeFirst());
}

/** Several users' graces at once (the users list), by user id. */
export async function gracesOf(db: Db, userIds: string[]): Promise<Map<string, GraceView>> {
  if (userIds.length === 0) return new Map();
  const rows = await db.selectFrom('user_grace').select(['user_id', 'sign_ins_left', 'until']).where('user_id', 'in', userIds).execute();
  return new Map(rows.map((r) => [r.user_id, graceView(r)!]));
}

/**
 * POST /sessions/current/postpone-enrolment: spends one sign-in of the user's grace and lets this
 * enrolment session in, under a new token (the old one ends), as the second step does. Refused
 * with `grace_exhausted` when no grace is open, `not_enrolling` when the session is not enrolling.
 */
export async function postponeEnrolment(
  db: Kysely<Database>,
  sessions: Sessions,
  input: { auth: Pick<AuthenticatedSession, 'session' | 'user' | 'account'>; request?: RequestContext | undefined },
): Promise<{ token: string; session: SessionsTable; grace: GraceView | null }> {
  const { auth } = input;
  if (auth.session.state !== 'enrollment_required') throw new DomainError('not_enrolling');
  return db.transaction().execute(async (trx) => {
    const now = Date.now();
    // The spend itself is the check: of parallel postpones with one sign-in left, one updates the row.
    const spent = await trx
      .updateTable('user_grace')
      .set((eb) => ({ sign_ins_left: eb('sign_ins_left', '-', 1), updated_at: now }))
      .where('user_id', '=', auth.user.id)
      .where((eb) =>
        eb.and([
          eb.or([eb('sign_ins_left', 'is', null), eb('sign_ins_left', '>', 0)]),
          eb.or([eb('until', 'is', null), eb('until', '>', now)]),
          eb.or([eb('sign_ins_left', 'is not', null), eb('until', 'is not', null)]),
        ]),
      )
      .executeTakeFirst();
    if (Number(spent.numUpdatedRows) !== 1) throw new DomainError('grace_exhausted');
    const row = await trx.selectFrom('user_grace').select(['sign_ins_left', 'until']).where('user_id', '=', auth.user.id).executeTakeFirstOrThrow();
    // Only a live enrolment session moves; a parallel postpone of the same session rolls back.
    // It lives until the grace's end date, not past it (sessions/assurance.ts).
    const moved = await sessions.postpone(trx, auth.session, row.until === null ? null : Number(row.until), now);
    if (!moved) throw new DomainError('not_enrolling');
    const grace = graceView(row);
    await recordAudit(trx, { accountId: auth.account.id, actorId: auth.user.id, action: 'enrollment.postponed', details: { grace }, at: now, request: input.request });
    return { ...moved, grace };
  });
}

/**
 * PUT /account/users/{id}/grace: an admin extends or ends one user's grace. Fields given replace
 * the user's (signInsLeft 0, or until null with no count left, ends it); absent ones stay.
 * Ending it also ends, in the same transaction, every session the user is in only because they
 * postponed (signOutPostponed); they are told once it has committed.
 */
export async function setUserGrace(
  db: Kysely<Database>,
  events: SessionEvents,
  input: { accountId: string; actorId: string; userId: string; change: { signInsLeft?: number | undefined; until?: string | null | undefined }; request?: RequestContext | undefined },
): Promise<{ grace: GraceView | null; revokedSessions: number }> {
  const { change } = input;
  if (change.signInsLeft === undefined && change.until === undefined) throw new DomainError('invalid_grace', 'Give signInsLeft, until or both.');
  const now = Date.now();
  const signIns = change.signInsLeft === undefined ? undefined : parseGraceSignIns(change.signInsLeft);
  const until = change.until === undefined ? undefined : parseGraceUntil(change.until, now);
  const result = await db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').select('id').where('id', '=', input.userId).where('account_id', '=', input.accountId).executeTakeFirst();
    if (!user) throw new DomainError('not_found');
    // The account row's lock first, as an enforcement save takes it: a requirement turned off or
    // a policy changed meanwhile is seen before anyone is signed out.
    const account = await lockRequirementInForce(trx, input.accountId);
    const before = await trx.selectFrom('user_grace').select(['sign_ins_left', 'until']).where('user_id', '=', input.userId).executeTakeFirst();
    const after: GraceRow = {
      sign_ins_left: signIns === undefined ? (before?.sign_ins_left ?? null) : signIns,
      until: until === undefined ? (before?.until ?? null) : until,
    };
    if (before) {
      await trx.updateTable('user_grace').set({ ...after, updated_at: now }).where('user_id', '=', input.userId).execute();
    } else {
      // Set by an admin before the user ever needed one: the account's is then never granted on top.
      await trx.insertInto('user_grace').values({ user_id: input.userId, account_id: input.accountId, ...after, granted_at: now, updated_at: now }).execute();
    }
    const open = graceIsOpen(after, now);
    // Still open (extended, or shortened to a later date than now): the sessions the user
    // postponed into live until its end date as it is now (sessions/assurance.ts). Closed: they end now.
    if (open) await Sessions.followGraceEnd(trx, { userId: input.userId, until: after.until === null ? null : Number(after.until) });
    const revocations = open ? emptyRevocations() : await signOutPostponed(trx, { accountId: input.accountId, userId: input.userId, account }, now);
    const revokedSessions = revocations.two_factor_required.length + revocations.security_key_required.length;
    await recordAudit(trx, {
      accountId: input.accountId,
      actorId: input.actorId,
      subjectUserId: input.userId,
      action: open ? 'user.grace_extended' : 'user.grace_ended',
      details: { from: graceView(before), to: graceView(after), ...(open ? {} : { revokedSessions }) },
      at: now,
      request: input.request,
    });
    return { grace: graceView(after), revocations, revokedSessions };
  });
  await publishRevocations(events, result.revocations);
  return { grace: result.grace, revokedSessions: result.revokedSessions };
}

function emptyRevocations(): Revocations {
  return { two_factor_required: [], security_key_required: [] };
}

/**
 * A user's grace ended: the sessions they are in only because they postponed enrolment end now,
 * inside the caller's transaction, as an enforcement save ends them (the same statement, the
 * same reasons). Only while the requirement holds them and they still have no method it
 * accepts: a user who has enrolled since, or whom the requirement no longer concerns, keeps
 * their sessions. An enrolment session goes on: it may still enrol.
 */
async function signOutPostponed(
  trx: Transaction<Database>,
  input: { accountId: string; userId: string; account: Pick<AccountsTable, 'require_two_factor' | 'second_factor_policy'> },
  now: number,
): Promise<Revocations> {
  const revocations = emptyRevocations();
  if (input.account.require_two_factor !== 1) return revocations;
  const policy = policyOf(input.account);
  const reason = missingFactorReason(policy);
  const ended = await Sessions.revokeUnderRequirement(
    trx,
    {
      accountId: input.accountId,
      acceptedMethodFlag: acceptedMethodFlag(policy),
      reason,
      passwordOnly: false,
      users: (alias) => inRequirementScope(alias, { accountId: input.accountId }),
      userIds: [input.userId],
      activeOnly: true,
      postponedOnly: true,
    },
    now,
  );
  revocations[reason] = ended.withoutMethod.map((r) => r.id);
  return revocations;
}
