// "A sign-in from a new device": told when a user completes a sign-in on a device they have not
// signed in on before. Not on their very first sign-in (every device is new then).
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import { notify } from './security-activity.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Called when `deviceId` has just become one of the user's devices (sessions/devices.ts
 * recordDeviceSignIn, in the same transaction): told unless it is the user's first device.
 */
export async function notifyIfNewDevice(db: Db, input: { deviceId: string | null; userId: string; accountId: string }, now = Date.now()): Promise<void> {
  if (!input.deviceId) return;
  const other = await db.selectFrom('device_users').select(['device_id']).where('user_id', '=', input.userId).where('device_id', '!=', input.deviceId).limit(1).executeTakeFirst();
  if (!other) return;
  const device = await db.selectFrom('devices').select(['last_address', 'user_agent']).where('id', '=', input.deviceId).executeTakeFirst();
  await notify(db, {
    accountId: input.accountId,
    userId: input.userId,
    kind: 'new_device_sign_in',
    request: { address: device?.last_address ?? null, userAgent: device?.user_agent ?? null, deviceId: input.deviceId },
    at: now,
  });
}
