// Devices: the desktop app (OS keychain) and the web console (an httpOnly cookie) each keep a
// long-lived random token that the server issues at the first sign-in on that device and knows
// only by its hash. It is never a factor: it only tells a known device from a new one, so that
// a lock-out an attacker caused elsewhere does not keep the owner out of their own desk, and so
// that enrolment can be limited to devices the user signed in on before (enforcement/). The
// cookie that carries it in the web console: http/cookies.ts.
import type { Kysely, Transaction } from 'kysely';
import { hashToken, newId, newToken } from '../crypto/tokens.js';
import type { Database, DevicesTable } from '../store/schema.js';
import { notifyIfNewDevice } from '../notifications/new-device.js';
import { preparedStatement } from '../store/prepared.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function findDevice(db: Db, token: string | undefined): Promise<DevicesTable | undefined> {
  if (!token) return undefined;
  return db.selectFrom('devices').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirst();
}

/** Whether `userId` completed a sign-in on this device. */
export async function isKnownDevice(db: Db, deviceId: string | null | undefined, userId: string): Promise<boolean> {
  if (!deviceId) return false;
  const row = await db
    .selectFrom('device_users')
    .select('device_id')
    .where('device_id', '=', deviceId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The device of a sign-in whose password was right: the one its token names (seen now), or a
 * new one with a new token. Only a right password creates a device, so guesses cannot fill the table.
 */
export async function deviceForSignIn(
  db: Db,
  input: { existing: DevicesTable | undefined; address: string; userAgent: string | undefined },
): Promise<{ device: DevicesTable; token: string | undefined }> {
  const now = Date.now();
  if (input.existing) {
    await db.updateTable('devices').set({ last_seen_at: now, last_address: input.address }).where('id', '=', input.existing.id).execute();
    return { device: { ...input.existing, last_seen_at: now, last_address: input.address }, token: undefined };
  }
  const token = newToken();
  const device: DevicesTable = {
    id: newId(),
    token_hash: hashToken(token),
    created_at: now,
    last_seen_at: now,
    created_address: input.address,
    last_address: input.address,
    user_agent: input.userAgent?.slice(0, 300) ?? null,
  };
  await db.insertInto('devices').values(device).execute();
  return { device, token };
}

/** The device recorded as the user's (or seen again); answers when the user first signed in on it. Compiled once: every second step runs it. */
const recordDeviceUser = preparedStatement(
  ['deviceId', 'userId', 'accountId', 'now'],
  (db: Kysely<Database>, a: { deviceId: string; userId: string; accountId: string; now: number }) =>
    db
      .insertInto('device_users')
      .values({ device_id: a.deviceId, user_id: a.userId, account_id: a.accountId, first_signed_in_at: a.now, last_signed_in_at: a.now })
      .onConflict((oc) => oc.columns(['device_id', 'user_id']).doUpdateSet({ last_signed_in_at: a.now }))
      .returning('first_signed_in_at')
      .compile(),
);

/**
 * The user completed a sign-in on the device: from now on it is known to them. One statement on
 * a known device; on a device new to the user, its "new device" notice (notifications/new-device.ts).
 */
export async function recordDeviceSignIn(db: Db, input: { deviceId: string | null; userId: string; accountId: string }, now = Date.now()): Promise<void> {
  if (!input.deviceId) return;
  const recorded = (await recordDeviceUser(db, { deviceId: input.deviceId, userId: input.userId, accountId: input.accountId, now })).rows[0];
  // A row that was there before keeps its first sign-in: only a new one has it now.
  if (recorded && Number(recorded.first_signed_in_at) === now) await notifyIfNewDevice(db, { deviceId: input.deviceId, userId: input.userId, accountId: input.accountId }, now);
}

/** A short name for the device a session came from, for "Your sessions". */
export function describeDevice(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  if (/AgentDesk/i.test(userAgent) && /Electron/i.test(userAgent)) return 'AgentDesk desktop app';
  if (/^AgentDesk/i.test(userAgent)) return 'AgentDesk desktop app';
  const browser = /Edg\//.test(userAgent) ? 'Edge' : /Firefox\//.test(userAgent) ? 'Firefox' : /Chrom(e|ium)\//.test(userAgent) ? 'Chrome' : /Safari\//.test(userAgent) ? 'Safari' : undefined;
  const os = /Windows/.test(userAgent) ? 'Windows' : /Mac OS X|Macintosh/.test(userAgent) ? 'macOS' : /Android/.test(userAgent) ? 'Android' : /iPhone|iPad/.test(userAgent) ? 'iOS' : /Linux/.test(userAgent) ? 'Linux' : undefined;
  if (browser) return os ? `${browser} on ${os}` : browser;
  if (/^curl\//.test(userAgent)) return 'curl';
  return userAgent.slice(0, 60);
}
