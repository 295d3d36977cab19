// A user's lock-outs in words, for the Users row: what is locked and until when.
import type { AccountUser } from '../../../preload/agentdesk-api';

/** One lock the server holds on a user (the users list's `lockouts`, newer servers only). */
export interface UserLockout {
  kind: string;
  until: string;
  deviceId?: string;
  address?: string;
}

const kindWords: Record<string, string> = {
  user: 'Sign-in',
  account: 'Sign-in',
  new_devices: 'Sign-in from new devices',
  address: 'Sign-in from one network address',
  device: 'Sign-in on one device',
  passkey: 'Security-key sign-in',
  enrollment_code: 'Enrolment codes',
  password_reset: 'Password reset links',
  password_change: 'Password change',
};

/** "Sign-in on one device", "Enrolment codes"; an unknown kind in readable words. */
export function lockoutKindText(kind: string): string {
  return Object.hasOwn(kindWords, kind) ? kindWords[kind]! : kind.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayAndTime = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

/** "until 14:32" today, "until 8 Dec, 09:10" another day. */
export function untilText(iso: string, now = new Date()): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return `until ${iso}`;
  return `until ${at.toDateString() === now.toDateString() ? timeOnly.format(at) : dayAndTime.format(at)}`;
}

/**
 * The user's live locks: `lockouts` when the server sends it, else the older account-wide
 * `lockedUntil` alone. Locks already over are left out.
 */
export function liveLockouts(user: AccountUser, now = Date.now()): UserLockout[] {
  const listed = (user as AccountUser & { lockouts?: UserLockout[] | null }).lockouts;
  const all = Array.isArray(listed) ? listed : user.lockedUntil ? [{ kind: 'new_devices', until: user.lockedUntil }] : [];
  return all.filter((lock) => !(new Date(lock.until).getTime() <= now));
}
