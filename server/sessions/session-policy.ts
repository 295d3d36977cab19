// Session lifetimes per account (PRODUCT.md "Authentication policies"): the admin sets how long a
// session may stay idle (15 minutes to 12 hours) and how long it may live at all (1 to 24 hours).
// Applied to live sessions at once: on save every active session of the account gets its new
// deadline, and those already past it end now, their event streams told (reason `expired`).
// The same setting says for how many days a personal device may be remembered at the second step
// (rememberDeviceDays, 0 to 30; 0 is off, the default): sessions/remembered-devices.ts. Absent
// from a save, it keeps its value; turned off (0), every remembrance of the account ends.
import { sql, type Kysely, type Transaction } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.js';
import type { Database } from '../store/schema.js';
import type { ServerContext } from '../context.js';
import type { Sessions } from './sessions.js';
import { forgetRemembrances } from './remembered-devices.js';

export const IDLE_MINUTES = { min: 15, max: 12 * 60 } as const;
export const ABSOLUTE_HOURS = { min: 1, max: 24 } as const;
export const REMEMBER_DEVICE_DAYS = { min: 0, max: 30 } as const;

export interface SessionPolicy {
  idleMinutes: number;
  absoluteHours: number;
  rememberDeviceDays: number;
}

export async function readSessionPolicy(db: Kysely<Database> | Transaction<Database>, sessions: Sessions, accountId: string): Promise<SessionPolicy> {
  const account = await db.selectFrom('accounts').select(['session_idle_minutes', 'session_absolute_hours', 'remember_device_days']).where('id', '=', accountId).executeTakeFirstOrThrow();
  const { idleMs, absoluteMs } = sessions.lifetimesOf(account);
  return { idleMinutes: Math.round(idleMs / 60_000), absoluteHours: Math.round(absoluteMs / 3_600_000), rememberDeviceDays: Number(account.remember_device_days ?? 0) };
}

/**
 * Saves the account's lifetimes and applies them to its live sessions in one transaction; the
 * sessions that are past their new deadline are revoked (`expired`) in it and told after commit.
 */
export async function saveSessionPolicy(
  ctx: Pick<ServerContext, 'db' | 'sessions' | 'events'>,
  input: { accountId: string; actorId: string; policy: Omit<SessionPolicy, 'rememberDeviceDays'> & { rememberDeviceDays?: number | undefined }; request: RequestContext },
): Promise<SessionPolicy & { endedSessions: number }> {
  const { idleMinutes, absoluteHours } = input.policy;
  const idleMs = idleMinutes * 60_000;
  const absoluteMs = absoluteHours * 3_600_000;
  const { ended, rememberDeviceDays } = await ctx.db.transaction().execute(async (trx) => {
    const before = await readSessionPolicy(trx, ctx.sessions, input.accountId);
    const rememberDeviceDays = input.policy.rememberDeviceDays ?? before.rememberDeviceDays;
    await trx
      .updateTable('accounts')
      .set({ session_idle_minutes: idleMinutes, session_absolute_hours: absoluteHours, remember_device_days: rememberDeviceDays })
      .where('id', '=', input.accountId)
      .execute();
    // Turned off: no device of the account skips the second step any more (a shorter N applies
    // at the next remembering; the remembrances already given keep their end).
    const forgotten = rememberDeviceDays === 0 && before.rememberDeviceDays > 0 ? await forgetRemembrances(trx, { accountId: input.accountId }) : 0;
    const now = Date.now();
    const live = (
      await trx
        .selectFrom('sessions')
        .select('id')
        .where('account_id', '=', input.accountId)
        .where('state', '=', 'active')
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .execute()
    ).map((r) => r.id);
    const ended: string[] = [];
    for (let i = 0; i < live.length; i += 500) {
      const chunk = live.slice(i, i + 500);
      // The new deadline: the idle one, then the absolute one where it comes first (two portable
      // statements rather than SQLite's min() or PostgreSQL's least()).
      await trx.updateTable('sessions').set({ expires_at: sql`last_seen_at + ${idleMs}` }).where('id', 'in', chunk).execute();
      await trx.updateTable('sessions').set({ expires_at: sql`created_at + ${absoluteMs}` }).where('id', 'in', chunk).where(sql`created_at + ${absoluteMs}`, '<', sql.ref('expires_at')).execute();
      const past = await trx
        .updateTable('sessions')
        .set({ revoked_at: now, revoked_reason: 'expired' })
        .where('id', 'in', chunk)
        .where('expires_at', '<=', now)
        .returning('id')
        .execute();
      ended.push(...past.map((r) => r.id));
    }
    await recordAudit(trx, {
      accountId: input.accountId,
      actorId: input.actorId,
      action: 'account.session_policy_changed',
      details: { before, after: { idleMinutes, absoluteHours, rememberDeviceDays }, endedSessions: ended.length, ...(forgotten > 0 ? { forgottenDevices: forgotten } : {}) },
      request: input.request,
    });
    return { ended, rememberDeviceDays };
  });
  await ctx.events.publishRevoked(ended, 'expired');
  return { idleMinutes, absoluteHours, rememberDeviceDays, endedSessions: ended.length };
}
