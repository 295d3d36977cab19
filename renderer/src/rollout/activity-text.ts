// A security activity entry in one sentence (the user's own list and the admins' alerts).
import type { SecurityActivity } from '../../../contract/answers';
import { t } from '../i18n';
import { describeMethod } from '../method-names';

export function activityText(a: Pick<SecurityActivity, 'kind' | 'details'>): string {
  // "Authenticator app added", not "Authenticator app “Authenticator app” added".
  const method = describeMethod({ type: a.details.type === 'security_key' ? 'security_key' : 'totp', name: typeof a.details.name === 'string' ? a.details.name : '' });
  switch (a.kind) {
    case 'method_added':
      return t('activity.method_added', { method });
    case 'method_removed':
      return t('activity.method_removed', { method });
    case 'recovery_codes_regenerated':
      return t('activity.recovery_codes_regenerated');
    case 'two_factor_reset':
      return t('activity.two_factor_reset');
    case 'password_changed':
      return a.details.byResetLink ? t('activity.password_changed_link') : t('activity.password_changed');
    case 'new_device_sign_in':
      return t('activity.new_device_sign_in');
    case 'enrollment_code_redeemed':
      return t('activity.enrollment_code_redeemed');
    default:
      return t('activity.other');
  }
}
