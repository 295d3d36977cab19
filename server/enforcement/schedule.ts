// Deployment day: the requirement an admin scheduled takes effect at its time, exactly once
// across any number of instances on one database. Each instance looks for due schedules when it
// starts and every few seconds, and arms a timer for the next one so it fires on time. The
// instance that wins the claim (a conditional UPDATE of the account row: only one can clear a
// schedule that is still there) applies the save in the same transaction, as the scheduling
// admin's change; the others find nothing left to claim.
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { SessionEvents } from '../sessions/events.js';
import type { Database } from '../store/schema.js';
import { applySecuritySettings, publishRevocations } from './enforcement.js';

/** Longest setTimeout Node accepts; a later schedule is re-armed by the poll. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface AppliedSchedule {
  accountId: string;
  scheduledFor: number;
  signedOutUsers: number;
  revokedSessions: number;
  /** When this instance started applying it, committed it, and had published it. */
  startedAt: number;
  committedAt: number;
  publishedAt: number;
}

/**
 * Applies every schedule due at `now` that no other instance has claimed. Returns what this
 * instance applied (nothing for a schedule another instance won).
 */
export async function applyDueSchedules(db: Kysely<Database>, events: SessionEvents, now = Date.now()): Promise<AppliedSchedule[]> {
  const due = await db
    .selectFrom('accounts')
    .select(['id', 'two_factor_scheduled_at'])
    .where('two_factor_scheduled_at', 'is not', null)
    .where('two_factor_scheduled_at', '<=', now)
    .execute();
  const applied: AppliedSchedule[] = [];
  for (const account of due) {
    const scheduledFor = Number(account.two_factor_scheduled_at);
    const startedAt = Date.now();
    const result = await db.transaction().execute(async (trx) => {
      // The claim. On PostgreSQL a second instance's UPDATE waits for this row lock, then
      // re-reads the row (READ COMMITTED): the schedule is gone, so it updates nothing.
      const claimed = await trx
        .updateTable('accounts')
        // RETURNING gives the row as updated: who scheduled it is kept until the save below.
        .set({ two_factor_scheduled_at: null })
        .where('id', '=', account.id)
        .where('two_factor_scheduled_at', '=', scheduledFor)
        .where('two_factor_scheduled_at', '<=', now)
        .returning(['two_factor_scheduled_by', 'two_factor_scheduled_by_name', 'two_factor_scheduled_by_email', 'require_two_factor'])
        .executeTakeFirst();
      if (!claimed) return null;
      // Already on (cannot normally happen: turning it on clears the schedule): nothing to do.
      if (claimed.require_two_factor === 1) return null;
      const applied = await applySecuritySettings(trx, {
        accountId: account.id,
        actorId: claimed.two_factor_scheduled_by,
        // As they were when they set the day: they may have been deleted since.
        actor:
          claimed.two_factor_scheduled_by_name !== null && claimed.two_factor_scheduled_by_email !== null
            ? { name: claimed.two_factor_scheduled_by_name, email: claimed.two_factor_scheduled_by_email }
            : undefined,
        change: { requireTwoFactor: true, acknowledged: true },
        scheduledFor,
      });
      await trx.updateTable('accounts').set({ two_factor_scheduled_by: null, two_factor_scheduled_by_name: null, two_factor_scheduled_by_email: null }).where('id', '=', account.id).execute();
      return applied;
    });
    if (!result) continue;
    const committedAt = Date.now();
    await publishRevocations(events, result.revocations);
    await events.publishAccountUpdated(account.id, { requireTwoFactor: true });
    applied.push({ accountId: account.id, scheduledFor, signedOutUsers: result.signedOutUsers, revokedSessions: result.sessionIds.length, startedAt, committedAt, publishedAt: Date.now() });
  }
  return applied;
}

/** The earliest schedule of any account, or null. */
export async function nextScheduleAt(db: Kysely<Database>): Promise<number | null> {
  const row = await db
    .selectFrom('accounts')
    .select((eb) => eb.fn.min('two_factor_scheduled_at').as('next'))
    .where('two_factor_scheduled_at', 'is not', null)
    .executeTakeFirst();
  return row?.next === null || row?.next === undefined ? null : Number(row.next);
}

/** One per instance: checks on start, every `pollMs`, and exactly when the next schedule is due. */
export class DeploymentDayRunner {
  private poll: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  private armedFor: number | null = null;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly events: SessionEvents,
    private readonly log: FastifyBaseLogger,
    private readonly pollMs = 5_000,
  ) {}

  async start(): Promise<void> {
    await this.check();
    this.poll = setInterval(() => void this.check(), this.pollMs);
    this.poll.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poll);
    clearTimeout(this.timer);
    await this.running;
  }

  /** Applies what is due and arms the timer for the next schedule. Never runs twice at once here. */
  check(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          const applied = await applyDueSchedules(this.db, this.events);
          for (const a of applied) {
            this.log.info({ accountId: a.accountId, scheduledFor: new Date(a.scheduledFor).toISOString(), signedOutUsers: a.signedOutUsers, revokedSessions: a.revokedSessions, startedLateMs: a.startedAt - a.scheduledFor, committedLateMs: a.committedAt - a.scheduledFor, publishedLateMs: a.publishedAt - a.scheduledFor }, 'deployment day: two-factor authentication now required');
          }
          this.arm(await nextScheduleAt(this.db));
        } catch (error) {
          if (!this.stopped) this.log.warn({ err: error }, 'deployment day check failed');
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private arm(at: number | null): void {
    if (this.stopped || at === this.armedFor) return;
    clearTimeout(this.timer);
    this.armedFor = at;
    if (at === null) return;
    this.timer = setTimeout(() => {
      this.armedFor = null;
      void this.check();
    }, Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())));
    this.timer.unref();
  }
}

const runners = new WeakMap<object, DeploymentDayRunner>();

/** Starts the instance's runner (from the app's ready hook); `key` is the server context. */
export async function startDeploymentDays(key: object, runner: DeploymentDayRunner): Promise<void> {
  runners.set(key, runner);
  await runner.start();
}

/** A schedule was saved on this instance: look again now rather than at the next poll. */
export function scheduleChanged(key: object): void {
  void runners.get(key)?.check();
}
