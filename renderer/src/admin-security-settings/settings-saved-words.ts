// What a save of the security settings did, in sentences for the Saved notice.
import type { SecuritySettingsSaved } from '../../../contract/answers';
import { t } from '../i18n';

export function describeSaved(saved: SecuritySettingsSaved): string {
  if (!saved.requireTwoFactor) return t('saved.notRequired');
  if (saved.signedOutUsers === 0) return t('saved.requiredNobody');
  return t('saved.required', { users: saved.signedOutUsers, sessions: saved.revokedSessions });
}

/** "Security keys only" saved while two-factor authentication was already required. */
export function describeKeysOnlySaved(saved: SecuritySettingsSaved): string {
  if (saved.signedOutUsers === 0) return t('saved.keysNobody');
  return t('saved.keys', { users: saved.signedOutUsers, sessions: saved.revokedSessions });
}
