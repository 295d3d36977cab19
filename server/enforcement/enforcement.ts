// "Require two-factor authentication": the impact preview and the save that, in one
// transaction, stores the setting and revokes every session of every user without a method.
import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/audit.js';
import { ApiError } from '../http/errors.js';
import type { SessionEvents } from '../sessions/events.js';
import type { AccountsTable, Database } from '../store/schema.js';

/** Users without a method, listed by name in the warning; the count is always exact. */
const IMPACT_LIST_LIMIT = 500;

export async function enforcementImpact(db: Kysely<Database>, accountId: string) {
  const now = Date.now();
  const [users, counts, sessions] = await Promise.all([
    db
      .selectFrom('users')
      .select(['id', 'name', 'email'])
      .where('account_id', '=', accountId)
      .where('has_two_factor', '=', 0)
      .orderBy('name')
      .limit(IMPACT_LIST_LIMIT)
      .execute(),
    db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', accountId)
      .where('has_two_factor', '=', 0)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('u.account_id', '=', accountId)
      .where('u.has_two_factor', '=', 0)
      .where('s.revoked_at', 'is', null)
      .where('s.expires_at', '>', now)
      .executeTakeFirstOrThrow(),
  ]);
  return { usersWithoutTwoFactor: Number(counts.n), sessionsToRevoke: Number(sessions.n), users };
}

export interface SettingsChange {
  requireTwoFactor: boolean;
  acknowledged: boolean;
  userVerification?: AccountsTable['user_verification'] | undefined;
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
  },
) {
  const { change } = input;
  // Checked before anything is written, in the order an admin can act on them. The warning and
  // its acknowledgement are about turning the requirement on; saving other settings while it is
  // already on needs neither.
  const current = await db.selectFrom('accounts').select('require_two_factor').where('id', '=', input.accountId).executeTakeFirstOrThrow();
  const asksToTurnOn = change.requireTwoFactor && current.require_two_factor === 0;
  if (asksToTurnOn && !change.acknowledged) throw new ApiError('acknowledgement_required');
  if (change.requireTwoFactor && input.actor.has_two_factor !== 1) throw new ApiError('admin_method_required');
  if (input.secondFactorAt === null || input.secondFactorAt < Date.now() - input.recentMs) {
    throw new ApiError('reauthentication_required');
  }

  const result = await db.transaction().execute(async (trx) => {
    // Write to the account row first: its lock makes concurrent saves (two admins, two
    // instances) take turns. On PostgreSQL (READ COMMITTED) the read below then sees the other
    // save's committed setting, so `turningOn` and the audit entry's `from` are never stale.
    await trx
      .updateTable('accounts')
      .set((eb) => ({ require_two_factor: eb.ref('require_two_factor') }))
      .where('id', '=', input.accountId)
      .execute();
    const account = await trx
      .selectFrom('accounts')
      .select(['require_two_factor', 'user_verification'])
      .where('id', '=', input.accountId)
      .executeTakeFirstOrThrow();
    // Taken after the lock, so audit entries sort in the order the saves took effect.
    const now = Date.now();
    const turningOn = change.requireTwoFactor && account.require_two_factor === 0;
    // Another admin turned it off in the meantime: this save turns it on, unacknowledged.
    if (turningOn && !change.acknowledged) throw new ApiError('acknowledgement_required');
    const userVerification = change.userVerification ?? account.user_verification;
    await trx
      .updateTable('accounts')
      .set({
        require_two_factor: change.requireTwoFactor ? 1 : 0,
        user_verification: userVerification,
        settings_updated_at: now,
        settings_updated_by: input.actor.id,
      })
      .where('id', '=', input.accountId)
      .execute();
    let revoked: { id: string; user_id: string }[] = [];
    if (turningOn) {
      revoked = await trx
        .updateTable('sessions')
        .set({ revoked_at: now, revoked_reason: 'two_factor_required' })
        .where('account_id', '=', input.accountId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .where('user_id', 'in', (eb) =>
          eb.selectFrom('users').select('id').where('account_id', '=', input.accountId).where('has_two_factor', '=', 0),
        )
        .returning(['id', 'user_id'])
        .execute();
    }
    const signedOutUsers = new Set(revoked.map((r) => r.user_id)).size;
    await recordAudit(trx, {
      accountId: input.accountId,
      actorId: input.actor.id,
      action: 'security_settings.updated',
      details: {
        requireTwoFactor: { from: account.require_two_factor === 1, to: change.requireTwoFactor },
        ...(userVerification !== account.user_verification
          ? { userVerification: { from: account.user_verification, to: userVerification } }
          : {}),
        signedOutUsers,
        revokedSessions: revoked.length,
      },
      at: now,
    });
    return { sessionIds: revoked.map((r) => r.id), signedOutUsers };
  });

  await events.publishRevoked(result.sessionIds, 'two_factor_required');
  return {
    requireTwoFactor: change.requireTwoFactor,
    signedOutUsers: result.signedOutUsers,
    revokedSessions: result.sessionIds.length,
  };
}
