// Lock-outs: when a failure locks a limit (sessions/throttling.ts), the user and the admins see
// it: an audit entry with the address, device and user agent, and on the user's row in the
// users list every lock keyed on that user, whatever its key (new devices, user and address,
// one device, a passkey from one address, an enrolment session, reset mails, password changes),
// with its kind and end (`userLocks`). An admin lifts them all at once; a known device never
// needed them to.
import type { Kysely, Transaction } from 'kysely';
import { recordAudit } from '../audit/audit.js';
import { DomainError } from '../errors.js';
import type { Database } from '../store/schema.js';
import { limitOfKey, limitRules, passwordSubject, Throttle, type LimitName, type LimitRule, type LockKind, type Lockout } from './throttling.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface LockoutContext {
  user: { id: string; account_id: string; email: string; name: string } | undefined;
  step: 'password' | 'second_factor';
  address: string;
  deviceId: string | null | undefined;
  userAgent: string | undefined;
}

/** The locks a wrong second-step code (app, recovery or enrolment code) of a signed-in user just set. */
export function recordSecondStepLockouts(
  db: Db,
  lockouts: Lockout[],
  auth: { user: { id: string; email: string; name: string }; account: { id: string }; session: { device_id: string | null } },
  request: { address: string; userAgent?: string | null | undefined },
): Promise<void> {
  return recordLockouts(db, lockouts, {
    user: { id: auth.user.id, account_id: auth.account.id, email: auth.user.email, name: auth.user.name },
    step: 'second_factor',
    address: request.address,
    deviceId: auth.session.device_id,
    userAgent: request.userAgent ?? undefined,
  });
}

/** Records the locks a failure just set: audit entries, and the user's lock for the admins. */
export async function recordLockouts(db: Db, lockouts: Lockout[], context: LockoutContext): Promise<void> {
  const { user } = context;
  if (lockouts.length === 0 || !user) return;
  // The locks that belong to this user carry their id: the admin's row finds them by it.
  const owned = lockouts.filter((l) => (limitRules[l.name] as LimitRule).userKind !== undefined).map((l) => l.key);
  if (owned.length > 0) await db.updateTable('throttles').set({ user_id: user.id }).where('key', 'in', owned).execute();
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
        scope: locksUser ? 'user' : ((limitRules[lockout.name] as LimitRule).userKind ?? 'address'),
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
    const now = Date.now();
    const cleared = await Throttle.liftUserLimits(trx, { subject: passwordSubject(user.slug, user.email), userId: user.id, now });
    await trx.updateTable('users').set({ locked_until: null }).where('id', '=', user.id).execute();
    const locks = cleared.flatMap((c) => (c.lockedUntil === null || !c.name ? [] : [describeLock(c.name, c.key, c.lockedUntil)])).filter((l): l is UserLock => l !== undefined);
    const wasLocked = locks.length > 0 || (user.locked_until !== null && Number(user.locked_until) > now);
    await recordAudit(trx, {
      accountId: input.accountId,
      actorId: input.actorId,
      subjectUserId: user.id,
      action: 'user.lockout_lifted',
      // What was cleared: each lock that was on (its kind, end, device or address), and how many
      // limits were forgotten in all (counts of failures with no lock yet included).
      details: { userId: user.id, name: user.name, email: user.email, wasLocked, clearedLimits: cleared.length, lockouts: locks },
    });
    return { lifted: wasLocked || cleared.length > 0, lockouts: locks };
  });
}

/** One lock on a user, as the admin's users list shows it. */
export interface UserLock {
  kind: LockKind;
  /** The limit that locked (sessions/throttling.ts), for the audit and support. */
  limit: LimitName;
  until: string;
  /** The device a `device` lock is on. */
  deviceId?: string;
  /** The address an `address` or `passkey` lock is on. */
  address?: string;
}

/** A lock of `name` keyed `key`, in the admin's words; undefined when it belongs to nobody. */
function describeLock(name: LimitName, key: string, lockedUntil: number): UserLock | undefined {
  const kind = (limitRules[name] as LimitRule).userKind;
  if (!kind) return undefined;
  const lock: UserLock = { kind, limit: name, until: new Date(lockedUntil).toISOString() };
  // Keys are `prefix:<first>|<second>`; the address is always last (addresses have no '|'), a
  // device id always first (ids have none either), whatever the email between holds.
  const rest = key.slice(key.indexOf(':', key.indexOf(':') + 1) + 1);
  if (name === 'passwordDevice' || name === 'secondFactorDevice' || name === 'passwordResetDevice') lock.deviceId = rest.slice(0, rest.indexOf('|'));
  if (name === 'passwordUserAddress' || name === 'passkeyCredential') lock.address = rest.slice(rest.lastIndexOf('|') + 1);
  return lock;
}

/**
 * Every lock on in `userIds` right now, by user: one query for a page of the users list, by the
 * throttles' `user_id` (index throttles_user), whatever the page's size or the table's.
 */
export async function userLocks(db: Db, userIds: string[], now = Date.now()): Promise<Map<string, UserLock[]>> {
  const out = new Map<string, UserLock[]>();
  if (userIds.length === 0) return out;
  const rows = await db
    .selectFrom('throttles')
    .select(['key', 'user_id', 'locked_until'])
    .where('user_id', 'in', userIds)
    .where('locked_until', '>', now)
    .execute();
  for (const r of rows) {
    const name = limitOfKey(r.key);
    const lock = name && describeLock(name, r.key, Number(r.locked_until));
    if (!lock || !r.user_id) continue;
    const list = out.get(r.user_id) ?? [];
    list.push(lock);
    out.set(r.user_id, list);
  }
  for (const list of out.values()) list.sort((a, b) => (a.until < b.until ? 1 : a.until > b.until ? -1 : 0));
  return out;
}
