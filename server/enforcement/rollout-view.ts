// How the rollout settings read back: for the admin's Security Settings page, and for every
// user's own view (the deployment-day banner).
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(Number(ms)).toISOString();
}

/** The admin's view: the deployment day and who scheduled it, and the enrolment policy. */
export async function rolloutSettings(db: Kysely<Database>, accountId: string) {
  const row = await db
    .selectFrom('accounts as a')
    .leftJoin('users as s', 's.id', 'a.two_factor_scheduled_by')
    .select(['a.two_factor_scheduled_at', 'a.two_factor_required_since', 'a.enrollment_policy', 's.id as by_id', 's.name as by_name', 's.email as by_email'])
    .where('a.id', '=', accountId)
    .executeTakeFirstOrThrow();
  return {
    scheduledAt: iso(row.two_factor_scheduled_at),
    scheduledBy: row.two_factor_scheduled_at !== null && row.by_id ? { id: row.by_id, name: row.by_name, email: row.by_email } : null,
    requiredSince: iso(row.two_factor_required_since),
    enrollment: row.enrollment_policy,
  };
}

/** What every user of the account sees: when 2FA becomes required, if a day is set. */
export async function accountRollout(db: Kysely<Database>, accountId: string) {
  const row = await db
    .selectFrom('accounts')
    .select(['two_factor_scheduled_at', 'enrollment_policy'])
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
  return { twoFactorScheduledAt: iso(row.two_factor_scheduled_at), enrollment: row.enrollment_policy };
}
