// A user's lock-outs in words, for the Users row: what is locked and until when.
import type { AccountUser } from '../../../contract/answers';
import { getIntl, t, type MessageId } from '../i18n';

/** One lock the server holds on a user (the users list's `lockouts`, newer servers only). */
export interface UserLockout {
  kind: string;
  until: string;
  deviceId?: string;
  address?: string;
}

const kindWords: Record<string, MessageId> = {
  user: 'lock.user',
  account: 'lock.user',
  new_devices: 'lock.new_devices',
  address: 'lock.address',
  device: 'lock.device',
  passkey: 'lock.passkey',
  enrollment_code: 'lock.enrollment_code',
  password_reset: 'lock.password_reset',
  password_change: 'lock.password_change',
};

/** "Sign-in on one device", "Enrolment codes"; an unknown kind in readable words. */
export function lockoutKindText(kind: string): string {
  return Object.hasOwn(kindWords, kind) ? t(kindWords[kind]!) : kind.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

/** "until 14:32" today, "until 8 Dec, 09:10" another day: in the user's language and time zone. */
export function untilText(iso: string, now = new Date()): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return t('lock.until', { time: iso });
  const intl = getIntl();
  const time =
    at.toDateString() === now.toDateString()
      ? intl.formatTime(at, { hour: '2-digit', minute: '2-digit' })
      : intl.formatDate(at, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  return t('lock.until', { time });
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
