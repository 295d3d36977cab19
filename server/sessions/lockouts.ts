// Lock-outs: when a failure locks a limit (sessions/throttling.ts), the user and the admins see
// it: an audit entry with the address, device and user agent, and `users.locked_until` for the
// users list. An admin can lift it; a known device never needed them to.
import type { Kysely, Transaction } from 'kysely';
import { recordAudit } from '../audit/audit.js';
import { DomainError } from '../errors.js';
import type { Database } from '../store/schema.js';
import { limitRules, passwordSubject, Throttle, type Lockout } from './throttling.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface LockoutContext {
  user: { id: string; account_id: string; email: string; name: string } | undefined;
  step: 'password' | 'second_factor';
  address: string;
  deviceId: string | null | undefined;
  userAgent: string | undefined;
}

/** Records the locks a failure just set: audit entries, and the user's lock for the admins. */
export async function recordLockouts(db: Db, lockouts: Lockout[], context: LockoutContext): Promise<void> {
  const { user } = context;
  if (lockouts.length === 0 || !user) return;
  for (const lockout of lockouts) {
    const locksUser = (limitRules[lockout.name] as { locksUser?: boolean }).locksUser === true;
    if (locksUser) {
      await db
        .updateTable('users')
        .set({ locked_until: lockout.lockedUntil })
        .where('id', '=', user.id)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', lockout.lockedUntil)]))
        .execute();
    }
    await recordAudit(db, {
      accountId: user.account_id,
      actorId: null,
      action: 'sign_in.locked_out',
      subjectUserId: user.id,
      request: { address: context.address, userAgent: context.userAgent?.slice(0, 300) ?? null, deviceId: context.deviceId ?? null },
      details: {
        scope: locksUser ? 'user' : lockout.name === 'passwordAddress' ? 'address' : 'device',
        userId: user.id,
        name: user.name,
        email: user.email,
        step: context.step,
        limit: lockout.name,
        lockedUntil: new Date(lockout.lockedUntil).toISOString(),
        address: context.address,
        deviceId: context.deviceId ?? null,
        userAgent: context.userAgent?.slice(0, 300) ?? null,
      },
    });
  }
}

/** An admin lifts a user's lock-out: every limit keyed on that user is forgotten. */
export async function liftLockout(db: Kysely<Database>, input: { accountId: string; actorId: string; userId: string }) {
  return db.transaction().execute(async (trx) => {
    const user = await trx
      .selectFrom('users as u')
      .innerJoin('accounts as a', 'a.id', 'u.account_id')
      .select(['u.id', 'u.email', 'u.name', 'u.locked_until', 'a.slug'])
      .where('u.id', '=', input.userId)
      .where('u.account_id', '=', input.accountId)
      .executeTakeFirst();
    if (!user) throw new DomainError('not_found', 'No such user in this account.');
    const cleared = await Throttle.liftUserLimits(trx, { subject: passwordSubject(user.slug, user.email), userId: user.id });
    await trx.updateTable('users').set({ locked_until: null }).where('id', '=', user.id).execute();
    const wasLocked = user.locked_until !== null && Number(user.locked_until) > Date.now();
    await recordAudit(trx, {
      accountId: input.accountId,
      actorId: input.actorId,
      action: 'user.lockout_lifted',
      details: { userId: user.id, name: user.name, email: user.email, wasLocked, clearedLimits: cleared },
    });
    return { lifted: wasLocked || cleared > 0 };
  });
}
