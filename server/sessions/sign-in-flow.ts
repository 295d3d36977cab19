// One sign-in flow for every way in (password, authenticator app, recovery code, security key,
// passkey, enrolment code, invitation and reset links, the current password at a change). A way
// in is a strategy (sessions/strategies/): the limits it counts against, how its secret is
// checked, and what a success and a failure record. This file runs the steps every strategy
// shares, in one order:
//
//   1. every limit is reserved before the secret is checked (parallel guesses cannot pass one);
//   2. the secret is checked, and a success recorded and the session moved, in one transaction
//      (a single-use code is spent, the session activated and the places released together);
//   3. a wrong secret is counted in one transaction with its lock-outs and audit entry;
//   4. any other error gives the places back uncounted.
//
// Models: better-auth's two-factor `verify-two-factor.ts` (one resolver every factor goes
// through; `beginAttempt` returns `{recordFailure, restore}`) and Ory Kratos's login
// `strategy.go` (a strategy per factor, no per-factor `if` in the handler).
import type { Kysely, Transaction } from 'kysely';
import { DomainError, type ErrorCode } from '../errors.js';
import type { Database } from '../store/schema.js';
import { LimitReached, type Limit, type Lockout, type Throttle } from './throttling.js';

type Trx = Transaction<Database>;

/** What the flow needs from the server: the store and the limits. */
export interface FlowStore {
  db: Kysely<Database>;
  throttle: Throttle;
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
}

/** Runs one attempt: reserve, check, record, move the session; or count the failure and refuse. */
export async function attempt<Checked, Result>(store: FlowStore, way: Attempt<Checked, Result>): Promise<Result> {
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
    await store.db.transaction().execute(async (trx) => {
      const lockouts = (await reservation?.fail(trx)) ?? [];
      await way.failed?.(trx, error, lockouts);
    });
    throw error;
  }
}

/**
 * A request that spends no secret but is counted all the same (a reset mail asked for, a
 * passkey challenge stored): every one counts against the limits. Throws LimitReached when one
 * is locked, unless `quiet`, when it answers false.
 */
export async function countRequest(store: FlowStore, limits: Limit[], options: { quiet?: boolean } = {}): Promise<boolean> {
  try {
    await (await store.throttle.reserve(limits)).fail();
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
