// Remembered personal devices (PRODUCT.md "Authentication policies"; issue 21). An account may let
// a user who just passed the second step on a device marked *personal* not be asked it again
// there for N days (`rememberDeviceDays`, 0 = off: sessions/session-policy.ts). A remembrance is a
// server-side row tied to the device (its token, sessions/devices.ts) AND the user:
//
// - it never lets a new device in: only a password sign-in presenting the same device token, by
//   the same user, skips the step (strategies/password.ts); any other token, or none, is asked;
// - it is never a factor: such a session is active with `second_factor_at` null and
//   `remembered_at` set, so every sensitive change still asks for the factor (http/auth.ts
//   requireRecentProof) and assurance.ts lets it live only while the user has a method;
// - it never skips enrolment: a user without a method the account's policy accepts is not
//   skipped (an account under "security keys only" and a user without a key);
// - a device declared *shared* never remembers anyone, and stays shared (a desk cannot be
//   talked back into "personal" by whoever sits at it next); declaring it ends its remembrances;
// - it ends (endRemembrances, audited `device.forgotten` with the reason) when the user's
//   methods, recovery codes or password change, on a 2FA reset, deactivation, "This wasn't me",
//   when the account turns remembering off, and when the user (DELETE /me/devices/{id}) or an
//   admin (DELETE /account/users/{id}/remembered-devices) forgets it.
//
// Remembering is its own operation (POST /sessions/current/remember-device) rather than a flag
// on the second-step body: it is a sensitive change (declared userSensitive: a factor passed in
// the last 10 minutes, so a remembered session cannot renew itself), the second step's common
// path is left exactly as it was (no statement added whether remembering is on or off), and a
// client can offer it after any factor (a code, a security key) without each strategy knowing.
import type { Kysely, Transaction } from 'kysely';
import { recordAudit, type AuditPerson, type RequestContext } from '../audit/audit.js';
import { DomainError } from '../errors.js';
import type { Database } from '../store/schema.js';
import { describeDevice } from './devices.js';
import type { AuthenticatedSession } from './sessions.js';

type Db = Kysely<Database> | Transaction<Database>;

const DAY = 24 * 60 * 60_000;

/** Why remembrances ended, as the audit entry says. */
export type ForgetReason =
  | 'method_added'
  | 'method_removed'
  | 'recovery_codes_regenerated'
  | 'password_changed'
  | 'password_reset'
  | 'two_factor_reset'
  | 'deactivated'
  | 'not_me'
  | 'device_shared'
  | 'forgotten_by_user'
  | 'forgotten_by_admin';

/** Deletes remembrances (of a user, a device, an account, or one device of one user); answers how many ended. */
export async function forgetRemembrances(db: Db, where: { userId?: string; deviceId?: string; accountId?: string }): Promise<number> {
  if (!where.userId && !where.deviceId && !where.accountId) throw new Error('forgetRemembrances: say whose');
  const rows = await db
    .deleteFrom('remembered_devices')
    .$if(where.userId !== undefined, (q) => q.where('user_id', '=', where.userId!))
    .$if(where.deviceId !== undefined, (q) => q.where('device_id', '=', where.deviceId!))
    .$if(where.accountId !== undefined, (q) => q.where('account_id', '=', where.accountId!))
    .returning('device_id')
    .execute();
  return rows.length;
}

/**
 * Ends every remembrance of the user (in the transaction of the change that ends them), audited
 * as `device.forgotten` when there was one. One statement when there was none.
 */
export async function endRemembrances(
  db: Db,
  input: { userId: string; accountId: string; actorId: string | null; actor?: AuditPerson | undefined; reason: ForgetReason; request?: RequestContext | undefined; deviceId?: string },
): Promise<number> {
  const ended = await forgetRemembrances(db, { userId: input.userId, ...(input.deviceId ? { deviceId: input.deviceId } : {}) });
  if (ended > 0) {
    await recordAudit(db, {
      accountId: input.accountId,
      actorId: input.actorId,
      actor: input.actor,
      subjectUserId: input.userId,
      action: 'device.forgotten',
      details: { reason: input.reason, devices: ended, ...(input.deviceId ? { deviceId: input.deviceId } : {}) },
      request: input.request,
    });
  }
  return ended;
}

/**
 * At a password sign-in that would ask the second step: whether this user remembered this very
 * device (the token presented) and it still may skip. Called only when the account has
 * remembering on and the device is declared personal, so an account with it off pays nothing.
 */
export async function remembersDevice(
  db: Db,
  input: { deviceId: string; userId: string; acceptedMethod: boolean },
  now = Date.now(),
): Promise<boolean> {
  // Enrolment is never skipped: a user without a method the account's policy accepts must add one.
  if (!input.acceptedMethod) return false;
  const row = await db
    .selectFrom('remembered_devices')
    .select('expires_at')
    .where('device_id', '=', input.deviceId)
    .where('user_id', '=', input.userId)
    .executeTakeFirst();
  return row !== undefined && Number(row.expires_at) > now;
}

/**
 * The sign-in and current-session answers at the second step: whether remembering is offered
 * (the account's N days) and whether this device was declared shared. Nothing is asked of the
 * store unless the session is at the second step and the account has remembering on.
 */
export async function rememberDeviceOffer(
  db: Db,
  input: { state: string; accountId: string; deviceId: string | null; days?: number | null | undefined; shared?: number | null | undefined },
): Promise<{ days: number; shared: boolean | null } | undefined> {
  if (input.state !== 'two_factor_required') return undefined;
  const days =
    input.days !== undefined
      ? Number(input.days ?? 0)
      : Number((await db.selectFrom('accounts').select('remember_device_days').where('id', '=', input.accountId).executeTakeFirst())?.remember_device_days ?? 0);
  if (days === 0) return undefined;
  // The sign-in read the device already (`shared` given): nothing more is asked there.
  const declared =
    input.shared !== undefined
      ? input.shared
      : input.deviceId
        ? (await db.selectFrom('devices').select('shared').where('id', '=', input.deviceId).executeTakeFirst())?.shared
        : null;
  return { days, shared: declared === null || declared === undefined ? null : declared === 1 };
}

/** POST /sessions/current/remember-device: the session's device skips the second step for this user for the account's N days. */
export async function rememberDevice(db: Kysely<Database>, auth: AuthenticatedSession, request: RequestContext): Promise<{ rememberedUntil: string; days: number }> {
  const account = await db.selectFrom('accounts').select('remember_device_days').where('id', '=', auth.account.id).executeTakeFirstOrThrow();
  const days = Number(account.remember_device_days ?? 0);
  // Off, or nothing to skip: a user without a method has no second step (and remembering it
  // would be counted as proof by nobody, but say so rather than store a row that means nothing).
  if (days === 0 || auth.user.has_two_factor !== 1 || auth.session.second_factor_at === null) throw new DomainError('remember_device_off');
  const device = auth.session.device_id ? await db.selectFrom('devices').select(['id', 'shared']).where('id', '=', auth.session.device_id).executeTakeFirst() : undefined;
  if (!device || device.shared !== 0) throw new DomainError('device_not_personal');
  const now = Date.now();
  const expiresAt = now + days * DAY;
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('remembered_devices')
      .values({ device_id: device.id, user_id: auth.user.id, account_id: auth.account.id, created_at: now, expires_at: expiresAt })
      .onConflict((oc) => oc.columns(['device_id', 'user_id']).doUpdateSet({ created_at: now, expires_at: expiresAt }))
      .execute();
    await recordAudit(trx, { accountId: auth.account.id, actorId: auth.user.id, action: 'device.remembered', details: { deviceId: device.id, days, until: new Date(expiresAt).toISOString() }, request });
  });
  return { rememberedUntil: new Date(expiresAt).toISOString(), days };
}

/**
 * PUT /devices/current: the client says whether the session's device is shared (the desktop asks
 * once per desk, the web console at the second step). Shared is for good: a shared device is
 * never declared personal again (409 `device_marked_shared`), and declaring it ends every
 * remembrance on it, whoever's.
 */
export async function declareDevice(db: Kysely<Database>, auth: AuthenticatedSession, shared: boolean, request: RequestContext): Promise<{ shared: boolean }> {
  const deviceId = auth.session.device_id;
  if (!deviceId) throw new DomainError('device_not_personal');
  return db.transaction().execute(async (trx) => {
    const device = await trx.selectFrom('devices').select(['id', 'shared']).where('id', '=', deviceId).executeTakeFirst();
    if (!device) throw new DomainError('device_not_personal');
    if (device.shared === 1 && !shared) throw new DomainError('device_marked_shared');
    if (device.shared === (shared ? 1 : 0)) return { shared };
    await trx.updateTable('devices').set({ shared: shared ? 1 : 0 }).where('id', '=', deviceId).execute();
    const forgotten = shared ? await forgetRemembrances(trx, { deviceId }) : 0;
    await recordAudit(trx, { accountId: auth.account.id, actorId: auth.user.id, action: 'device.declared', details: { deviceId, shared, ...(forgotten > 0 ? { forgottenRemembrances: forgotten } : {}) }, request });
    return { shared };
  });
}

/** GET /me/devices: the devices I signed in on, whether each is shared, and until when it is remembered. */
export async function listMyDevices(db: Kysely<Database>, auth: AuthenticatedSession) {
  const now = Date.now();
  const rows = await db
    .selectFrom('device_users as du')
    .innerJoin('devices as d', 'd.id', 'du.device_id')
    .leftJoin('remembered_devices as r', (join) => join.onRef('r.device_id', '=', 'du.device_id').onRef('r.user_id', '=', 'du.user_id'))
    .select(['d.id', 'd.user_agent', 'd.shared', 'du.first_signed_in_at', 'du.last_signed_in_at', 'r.expires_at as remembered_until'])
    .where('du.user_id', '=', auth.user.id)
    .orderBy('du.last_signed_in_at', 'desc')
    .limit(200)
    .execute();
  return {
    devices: rows.map((r) => ({
      id: r.id,
      name: describeDevice(r.user_agent),
      current: r.id === auth.session.device_id,
      shared: r.shared === null || r.shared === undefined ? null : r.shared === 1,
      firstSignedInAt: new Date(Number(r.first_signed_in_at)).toISOString(),
      lastSignedInAt: new Date(Number(r.last_signed_in_at)).toISOString(),
      rememberedUntil: r.remembered_until !== null && Number(r.remembered_until) > now ? new Date(Number(r.remembered_until)).toISOString() : null,
    })),
  };
}

/** DELETE /me/devices/{id}: the device asks me the second step again (it stays a device I signed in on). */
export async function forgetMyDevice(db: Kysely<Database>, auth: AuthenticatedSession, deviceId: string, request: RequestContext): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const mine = await trx.selectFrom('device_users').select('device_id').where('device_id', '=', deviceId).where('user_id', '=', auth.user.id).executeTakeFirst();
    if (!mine) throw new DomainError('not_found', 'No such device.');
    await endRemembrances(trx, { userId: auth.user.id, accountId: auth.account.id, actorId: auth.user.id, reason: 'forgotten_by_user', request, deviceId });
  });
}

/** DELETE /me/devices: every device I remembered asks me the second step again, in one transaction. */
export async function forgetMyDevices(db: Kysely<Database>, auth: AuthenticatedSession, request: RequestContext): Promise<{ forgotten: number }> {
  return db.transaction().execute(async (trx) => ({
    forgotten: await endRemembrances(trx, { userId: auth.user.id, accountId: auth.account.id, actorId: auth.user.id, reason: 'forgotten_by_user', request }),
  }));
}

/** DELETE /account/users/{id}/remembered-devices: an admin makes every device of the user ask the second step again. */
export async function forgetUsersDevices(db: Kysely<Database>, admin: AuthenticatedSession, userId: string, request: RequestContext): Promise<{ forgotten: number }> {
  return db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').select('id').where('id', '=', userId).where('account_id', '=', admin.account.id).executeTakeFirst();
    if (!user) throw new DomainError('not_found', 'No such user.');
    return { forgotten: await endRemembrances(trx, { userId, accountId: admin.account.id, actorId: admin.user.id, reason: 'forgotten_by_admin', request }) };
  });
}

