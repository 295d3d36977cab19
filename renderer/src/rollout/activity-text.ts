// A security activity entry in one sentence (the user's own list and the admins' alerts).
import type { SecurityActivity } from '../../../preload/agentdesk-api';
import { describeMethod } from '../method-names';

export function activityText(a: Pick<SecurityActivity, 'kind' | 'details'>): string {
  // "Authenticator app added", not "Authenticator app “Authenticator app” added".
  const method = describeMethod({ type: a.details.type === 'security_key' ? 'security_key' : 'totp', name: typeof a.details.name === 'string' ? a.details.name : '' });
  switch (a.kind) {
    case 'method_added':
      return `${method} added`;
    case 'method_removed':
      return `${method} removed`;
    case 'recovery_codes_regenerated':
      return 'New recovery codes generated';
    case 'two_factor_reset':
      return 'Two-factor authentication reset by an administrator';
    case 'password_changed':
      return a.details.byResetLink ? 'Password changed with a reset link' : 'Password changed';
    case 'new_device_sign_in':
      return 'Sign-in from a new device';
    case 'enrollment_code_redeemed':
      return 'Enrolment code from your administrator used';
    default:
      return 'Security change';
  }
}
