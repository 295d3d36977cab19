// How the rollout settings read back: for the admin's Security Settings page, and for every
// user's own view (the deployment-day banner).
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { graceFrom } from './grace.js';
import { isInScope } from './requirement-scope.js';

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(Number(ms)).toISOString();
}

/** The admin's view: the deployment day and who scheduled it, and the enrolment policy. */
export async function rolloutSettings(db: Kysely<Database>, accountId: string) {
  // Who set the day as they were then, even if they have been deleted since.
  const row = await db
    .selectFrom('accounts')
    .select(['two_factor_scheduled_at', 'two_factor_required_since', 'enrollment_policy', 'two_factor_scheduled_by', 'two_factor_scheduled_by_name', 'two_factor_scheduled_by_email', 'grace_sign_ins', 'grace_until'])
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
  const by = row.two_factor_scheduled_by;
  return {
    scheduledAt: iso(row.two_factor_scheduled_at),
    scheduledBy: row.two_factor_scheduled_at !== null && by ? { id: by, name: row.two_factor_scheduled_by_name ?? '', email: row.two_factor_scheduled_by_email ?? '' } : null,
    requiredSince: iso(row.two_factor_required_since),
    enrollment: row.enrollment_policy,
    // Grace for users who must enrol (enforcement/grace.ts).
    graceSignIns: Number(row.grace_sign_ins ?? 0),
    graceUntil: iso(row.grace_until ?? null),
  };
}

/** What a user of the account sees: when 2FA becomes required for them, if a day is set and
 * the requirement's scope holds them (enforcement/requirement-scope.ts), and, while they have
 * no method, the grace they will have from that day (enforcement/grace.ts graceFrom). */
export async function accountRollout(db: Kysely<Database>, accountId: string, user: { id: string; hasMethod: boolean }) {
  const row = await db
    .selectFrom('accounts')
    .select(['two_factor_scheduled_at', 'enrollment_policy'])
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
  const concerned = row.two_factor_scheduled_at !== null && (await isInScope(db, user.id));
  const day = concerned ? Number(row.two_factor_scheduled_at) : null;
  return {
    twoFactorScheduledAt: iso(day),
    enrollment: row.enrollment_policy,
    ...(day !== null && !user.hasMethod ? { graceOnDeploymentDay: await graceFrom(db, { userId: user.id, accountId }, day) } : {}),
  };
}
