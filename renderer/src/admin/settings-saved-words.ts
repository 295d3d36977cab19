// What a save of the security settings did, in sentences for the Saved notice.
import type { SecuritySettingsSaved } from '../../../preload/agentdesk-api';
import { count } from '../plurals';

function plural(n: number, one: string, many: string) {
  return count(n, { one, other: many });
}

export function describeSaved(saved: SecuritySettingsSaved): string {
  if (!saved.requireTwoFactor) return 'Two-factor authentication is no longer required. Nobody was signed out.';
  if (saved.signedOutUsers === 0) return 'Two-factor authentication is now required. Everyone already had a method, so nobody was signed out.';
  return `Two-factor authentication is now required. ${plural(saved.signedOutUsers, 'user was', 'users were')} signed out (${plural(
    saved.revokedSessions,
    'session',
    'sessions',
  )} ended); they will set up a method at their next sign-in.`;
}

/** "Security keys only" saved while two-factor authentication was already required. */
export function describeKeysOnlySaved(saved: SecuritySettingsSaved): string {
  if (saved.signedOutUsers === 0) return 'Only security keys are accepted now. Everyone already had a key, so nobody was signed out.';
  return `Only security keys are accepted now. ${plural(saved.signedOutUsers, 'user', 'users')} without a security key ${saved.signedOutUsers === 1 ? 'was' : 'were'} signed out (${plural(
    saved.revokedSessions,
    'session',
    'sessions',
  )} ended); they add a key at their next sign-in.`;
}
