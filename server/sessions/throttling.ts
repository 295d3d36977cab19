// Throttling of guesses (passwords, authenticator codes, recovery codes).
//
// An attempt is *reserved* atomically before the secret is checked, so parallel guesses cannot
// exceed a limit; a success clears the subject's counter. Locks are fixed windows that expire,
// so an attacker can delay a user but never lock them out for good. Per-address counters only
// count failures, so a call centre behind one NAT address signing in at shift change is never
// throttled by its own successful sign-ins.
import { sql, type Kysely } from 'kysely';
import { ApiError } from '../http/errors.js';
import type { Database } from '../store/schema.js';

export interface ThrottleRule {
  limit: number;
  windowMs: number;
}

const MINUTE = 60_000;
export const throttleRules = {
  passwordSubject: { limit: 10, windowMs: 15 * MINUTE },
  passwordAddress: { limit: 100, windowMs: 15 * MINUTE },
  secondFactorUser: { limit: 5, windowMs: 5 * MINUTE },
  secondFactorAddress: { limit: 50, windowMs: 15 * MINUTE },
} satisfies Record<string, ThrottleRule>;

interface Row {
  attempts: number;
  window_started_at: number;
}

export class Throttle {
  /** `db` may be a transaction: the attempt then commits (or not) with the rest of it. */
  constructor(private readonly db: Kysely<Database>) {}

  private async bump(key: string, rule: ThrottleRule, now: number): Promise<Row> {
    const stale = now - rule.windowMs;
    const result = await sql<Row>`
      insert into throttles (key, attempts, window_started_at) values (${key}, 1, ${now})
      on conflict (key) do update set
        attempts = case when throttles.window_started_at <= ${stale} then 1 else throttles.attempts + 1 end,
        window_started_at = case when throttles.window_started_at <= ${stale} then ${now} else throttles.window_started_at end
      returning attempts, window_started_at`.execute(this.db);
    return result.rows[0]!;
  }

  private refuse(row: Row, rule: ThrottleRule, now: number): never {
    const retryAfterSeconds = Math.max(1, Math.ceil((row.window_started_at + rule.windowMs - now) / 1000));
    throw new ApiError('too_many_attempts', undefined, retryAfterSeconds);
  }

  /** Takes one attempt from `key`'s budget; throws too_many_attempts when none is left. */
  async reserve(key: string, rule: ThrottleRule, now = Date.now()): Promise<void> {
    const row = await this.bump(key, rule, now);
    if (row.attempts > rule.limit) this.refuse(row, rule, now);
  }

  /** Refuses when `key` has used its budget, without taking from it. */
  async check(key: string, rule: ThrottleRule, now = Date.now()): Promise<void> {
    const row = await this.db
      .selectFrom('throttles')
      .select(['attempts', 'window_started_at'])
      .where('key', '=', key)
      .executeTakeFirst();
    if (row && row.window_started_at > now - rule.windowMs && row.attempts >= rule.limit) {
      this.refuse(row, rule, now);
    }
  }

  /** Records a failure against `key`. */
  async fail(key: string, rule: ThrottleRule, now = Date.now()): Promise<void> {
    await this.bump(key, rule, now);
  }

  async clear(key: string): Promise<void> {
    await this.db.deleteFrom('throttles').where('key', '=', key).execute();
  }
}
