// One sign-in flow for every way in (password, authenticator app, recovery code, security key,
// passkey, enrolment code, invitation and reset links, the current password at a change). A way
// in is a strategy (sessions/strategies/): the limits it counts against, how its secret is
// checked, and what a success and a failure record. This file runs the steps every strategy
// shares, in one order:
//
//   1. every limit is held before the secret is checked (parallel guesses cannot pass one), and
//      a locked limit refuses (429) before the secret is read;
//   2. the secret is checked, and a success recorded and the session moved, in one transaction
//      (a single-use code is spent, the session activated and the limits cleared together);
//   3. a wrong secret is counted in one transaction with its lock-outs and audit entry;
//   4. any other error gives the places back uncounted.
//
// Two modes hold the limits. *Reserved* (a secret checked outside the transaction: a password's
// hash must not hold SQLite's only writer, a security key's challenge is spent whatever follows):
// a place is taken in each limit in a transaction of its own (Throttle.reserve), the check runs,
// then a second transaction records the success and releases the places, or counts the failure.
// *Inline* (`inline: true`, a check of microseconds that runs in `verify`: authenticator and
// recovery codes, a first code at enrolment, an enrolment code): ONE transaction reads the limit
// rows (PostgreSQL: inserted if absent, then `SELECT … FOR UPDATE` in key order, so concurrent
// attempts on the same keys take turns; SQLite: the one connection is held by the transaction),
// refuses if one is locked, sets a savepoint and runs `verify`. A wrong secret rolls back to the
// savepoint (whatever the check wrote is undone) and is counted, locked, audited and committed in
// that same transaction before the refusal is thrown, so the next parallel guess reads the count
// it left; a success clears the rows' failures only if they had any. No in-flight count is
// written: 10 statements for a second step by code where the reserved mode ran 16. A limit whose
// places are held by a reservation in flight (a passkey on the same user's budget) is left to the
// reserved mode, which waits its turn.
//
// Models: better-auth's two-factor `verify-two-factor.ts` (one resolver every factor goes
// through; `beginAttempt` returns `{recordFailure, restore}`) and Ory Kratos's login
// `strategy.go` (a strategy per factor, no per-factor `if` in the handler).
import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import { DomainError, type ErrorCode } from '../errors.js';
import type { AttemptOutcome, CountedAttempt, Metrics } from '../metrics/metrics.js';
import type { Database } from '../store/schema.js';
import { clearHeldFailures, countHeldFailure, holdLimits, LimitReached, lockedLimit, placesHeld, type Limit, type Lockout, type Throttle } from './throttling.js';

type Trx = Transaction<Database>;

/** What the flow needs from the server: the store and the limits (and, to count outcomes, the metrics). */
export interface FlowStore {
  db: Kysely<Database>;
  throttle: Throttle;
  metrics?: Metrics | undefined;
}

/** One attempt at one way in, as its strategy describes it. */
export interface Attempt<Checked, Result> {
  /** Every limit the attempt counts against (none: the way in is not a guessable secret). */
  limits: Limit[];
  /** The codes of a wrong secret: a refusal with one of them is counted; any other gives the places back. */
  wrong: readonly ErrorCode[];
  /**
   * Checks a secret that must not be checked inside a transaction: a password hash would hold
   * SQLite's only writer for its whole cost. Throws a DomainError with a `wrong` code when it is wrong.
   */
  check?: () => Promise<Checked>;
  /**
   * In one transaction: checks the secret (a single-use one is spent), records the success and
   * moves the session. A DomainError with a `wrong` code rolls all of it back and is counted.
   */
  verify?: (trx: Trx, checked: Checked) => Promise<Result>;
  /** A counted failure's records (lock-outs, audit), in the transaction that counts it. */
  failed?: (trx: Trx, refusal: DomainError, lockouts: Lockout[]) => Promise<void>;
  /**
   * The secret is cheap to check and `verify` checks it (no `check`): the limits are held by the
   * transaction that checks it, not reserved in one of their own (see the top of this file).
   */
  inline?: boolean;
  /** Counted in the metrics as this sign-in step and method, by outcome, once it has ended. */
  counted?: CountedAttempt;
}

/** The check's savepoint (the same SQL on SQLite and PostgreSQL). */
const SAVEPOINT = CompiledQuery.raw('savepoint "check"', []);
const ROLLBACK_TO_SAVEPOINT = CompiledQuery.raw('rollback to savepoint "check"', []);

/** The inline mode's answer when a reservation in flight holds a limit's places: the reserved mode waits for it. */
const HELD = Symbol('held by a reservation');

/** How an attempt that threw ended, for the metrics. */
function outcomeOf(error: unknown, wrong: readonly ErrorCode[]): AttemptOutcome {
  if (error instanceof LimitReached) return error.lockout ? 'locked' : 'throttled';
  if (error instanceof DomainError && wrong.includes(error.code)) return 'failed';
  return 'error';
}

/** Runs one attempt: reserve, check, record, move the session; or count the failure and refuse. */
export async function attempt<Checked, Result>(store: FlowStore, way: Attempt<Checked, Result>): Promise<Result> {
  if (!way.counted || !store.metrics) return attemptOnce(store, way);
  // Counted once the outcome is committed (or refused): a rolled-back success is not a sign-in.
  try {
    const result = await attemptOnce(store, way);
    store.metrics.attempted(way.counted, 'succeeded');
    return result;
  } catch (error) {
    store.metrics.attempted(way.counted, outcomeOf(error, way.wrong));
    throw error;
  }
}

async function attemptOnce<Checked, Result>(store: FlowStore, way: Attempt<Checked, Result>): Promise<Result> {
  if (way.inline && way.verify && !way.check && way.limits.length > 0) {
    const result = await attemptInline(store, way.limits, way.wrong, way.verify as (trx: Trx) => Promise<Result>, way.failed);
    if (result !== HELD) return result;
  }
  const reservation = way.limits.length > 0 ? await store.throttle.reserve(way.limits) : undefined;
  try {
    const checked = way.check ? await way.check() : (undefined as Checked);
    const verify = way.verify;
    if (!verify) {
      // Checked and recorded by `check` alone (it ran its own transaction).
      await reservation?.succeed();
      return checked as unknown as Result;
    }
    return await store.db.transaction().execute(async (trx) => {
      const result = await verify(trx, checked);
      // Last, so that the places are released in the commit that records the success.
      await reservation?.succeed(trx);
      return result;
    });
  } catch (error) {
    if (!(error instanceof DomainError && way.wrong.includes(error.code))) {
      await reservation?.release();
      throw error;
    }
    const lockouts = await store.db.transaction().execute(async (trx) => {
      const lockouts = (await reservation?.fail(trx)) ?? [];
      await way.failed?.(trx, error, lockouts);
      return lockouts;
    });
    store.metrics?.lockedOut(lockouts);
    throw error;
  }
}

/** The inline mode: hold the limits, check, and record the outcome, in one transaction. */
async function attemptInline<Result>(
  store: FlowStore,
  limits: Limit[],
  wrong: readonly ErrorCode[],
  verify: (trx: Trx) => Promise<Result>,
  failed: Attempt<unknown, Result>['failed'],
): Promise<Result | typeof HELD> {
  const now = Date.now();
  const trx = await store.db.startTransaction().execute();
  let ended = false;
  const commit = async () => {
    await trx.commit().execute();
    ended = true;
  };
  try {
    const rows = await holdLimits(trx, limits, now);
    // Refused before the secret is read.
    const locked = lockedLimit(limits, rows, now);
    if (locked) throw locked;
    if (limits.some((l) => placesHeld(l, rows.get(l.key), now))) return HELD;
    // Plain SQL on the transaction: Kysely's savepoint() builds a new transaction object each
    // time, which cost more CPU than the statement itself on every second step.
    await trx.executeQuery(SAVEPOINT);
    let result: Result;
    try {
      result = await verify(trx);
    } catch (error) {
      if (!(error instanceof DomainError && wrong.includes(error.code))) throw error;
      // The check's writes undone; the failure counted, locked and audited in this transaction.
      await trx.executeQuery(ROLLBACK_TO_SAVEPOINT);
      const lockouts = await countHeldFailure(trx, limits, rows, now);
      await failed?.(trx, error, lockouts);
      await commit();
      store.metrics?.lockedOut(lockouts);
      throw error;
    }
    await clearHeldFailures(trx, limits, rows);
    await commit();
    return result;
  } finally {
    // Refused, held, or any other error: nothing is counted.
    if (!ended) await trx.rollback().execute().catch(() => undefined);
  }
}

/**
 * A request that spends no secret but is counted all the same (a reset mail asked for, a
 * passkey challenge stored): every one counts against the limits. Throws LimitReached when one
 * is locked, unless `quiet`, when it answers false.
 */
export async function countRequest(store: FlowStore, limits: Limit[], options: { quiet?: boolean } = {}): Promise<boolean> {
  try {
    store.metrics?.lockedOut(await (await store.throttle.reserve(limits)).fail());
    return true;
  } catch (error) {
    if (options.quiet && error instanceof LimitReached) return false;
    throw error;
  }
}

/** The owner used what the requests were for: their count starts again (a lock already set runs out). */
export async function clearRequests(store: FlowStore, limits: Limit[]): Promise<void> {
  const reservation = await store.throttle.reserve(limits).catch((error: unknown) => {
    if (error instanceof LimitReached) return undefined;
    throw error;
  });
  await reservation?.succeed();
}
