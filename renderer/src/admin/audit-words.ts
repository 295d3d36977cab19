// The audit log in an admin's words: every action and detail named, values read as words.
import { fullTime } from '../rollout/when';

const actionNames: Record<string, string> = {
  'account.created': 'Created the account',
  'security_settings.updated': 'Changed security settings',
  'user.created': 'Added a user',
  'user.two_factor_reset': 'Reset a user’s two-factor authentication',
  'method.added': 'Added a two-factor method',
  'method.removed': 'Removed a two-factor method',
  'method.renamed': 'Renamed a two-factor method',
  'recovery_code.used': 'Signed in with a recovery code',
  'recovery_codes.regenerated': 'Generated new recovery codes',
  'security_key.counter_regression': 'Security key may be cloned (signature counter went back)',
  'sign_in.succeeded': 'Signed in',
  'sign_in.enrollment_required': 'Signed in with a password, must set up 2FA',
  'sign_in.failed': 'Failed sign-in',
  'user.signed_out_everywhere': 'Signed a user out everywhere',
  'users.signed_out_everywhere': 'Signed everyone else out everywhere',
  'sign_in.locked_out': 'Locked out after wrong attempts',
  'session.ended': 'Ended a session',
  'enrollment_code.issued': 'Issued an enrolment code',
  'enrollment_code.redeemed': 'Used an enrolment code',
  'enrollment_code.refused': 'Entered a wrong enrolment code',
  'security_activity.not_me': 'Reported “This wasn’t me”',
  'security_alert.resolved': 'Marked an alert as dealt with',
  'user.invited': 'Invited a user',
  'user.invitation_accepted': 'Accepted the invitation',
  'user.invitation_resent': 'Sent an invitation again',
  'user.invitation_revoked': 'Revoked an invitation',
  'user.deactivated': 'Deactivated a user',
  'user.reactivated': 'Reactivated a user',
  'user.deleted': 'Deleted a user',
  'user.role_changed': 'Changed a role',
  'user.password_changed': 'Changed their password',
  'session.password_confirmed': 'Entered their password again',
  'user.password_reset': 'Reset their password with a link',
  'user.password_reset_sent': 'Sent a password reset link',
  'user.lockout_lifted': 'Lifted a lock-out',
};

const detailNames: Record<string, string> = {
  requireTwoFactor: 'Require two-factor authentication',
  userVerification: 'Security-key PIN',
  signedOutUsers: 'Users signed out',
  revokedSessions: 'Sessions ended',
  removedMethods: 'Methods removed',
  type: 'Type',
  name: 'Name',
  email: 'Email',
  role: 'Role',
  status: 'Status',
  enrollment: 'Who may enrol',
  startsAt: 'Deployment day',
  deploymentDay: 'Applied on deployment day',
  step: 'Step',
  state: 'Then',
  method: 'With',
  expiresAt: 'Expires',
  kind: 'About',
  scope: 'What was locked',
  lockedUntil: 'Locked until',
  address: 'Network address',
  userAgent: 'Browser or app',
  recoveryCodesLeft: 'Recovery codes left',
  remaining: 'Methods left',
  secondFactorPolicy: 'Accepted second factors',
  passwordlessSignIn: 'Sign in with a security key alone',
  allowRecoveryCodesUnderKeysOnly: 'Recovery codes under security keys only',
  revokedLinks: 'Links cancelled',
  clearedLimits: 'Lock-outs lifted',
  everywhereElse: 'Everywhere else',
  byResetLink: 'With a reset link',
  byAdmin: 'By an administrator',
  imported: 'Imported',
  reason: 'Reason',
  policy: 'Policy',
};

/** Values that read differently depending on the detail they belong to. */
const valueNames: Record<string, Record<string, string>> = {
  scope: {
    user: 'sign-in to the account',
    new_devices: 'sign-in from new devices',
    address: 'sign-in from one network address',
    device: 'sign-in on one device',
    passkey: 'security-key sign-in',
    enrollment_code: 'enrolment codes',
    password_reset: 'password reset links',
    password_change: 'password change',
  },
  secondFactorPolicy: { any: 'authenticator apps and security keys', security_keys: 'security keys only' },
  role: { admin: 'admin', agent: 'agent' },
  status: { invited: 'invited', active: 'active', deactivated: 'deactivated' },
};
valueNames.kind = valueNames.scope!;

const stateNames: Record<string, string> = {
  active: 'signed in',
  two_factor_required: 'second step',
  enrollment_required: 'must set up 2FA',
  password: 'password',
  second_factor: 'second step',
  reauthentication: 're-authentication',
  known_device: 'known devices or an enrolment code',
  totp: 'authenticator app',
  recovery_code: 'recovery code',
  passkey: 'security key alone',
};

/** The filter's choice of actions, by what an admin looks for. */
export const actionChoices = Object.keys(actionNames).sort((a, b) => actionNames[a]!.localeCompare(actionNames[b]!));

const methodTypes: Record<string, string> = { totp: 'authenticator app', security_key: 'security key' };
const pinPolicies: Record<string, string> = { discouraged: 'when the key demands it', preferred: 'when the key has one', required: 'always' };

/** An action the list does not know yet, in words: "user.sessions_ended" → "User sessions ended". */
export function describeAction(action: string): string {
  return actionNames[action] ?? action.replace(/[._]/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

/** A detail's name: known ones by hand, any other from its camelCase ("lockedUntil" → "Locked until"). */
export function describeDetailName(key: string): string {
  if (Object.hasOwn(detailNames, key)) return detailNames[key]!;
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
  return words.replace(/^./, (c) => c.toUpperCase());
}

export function describeValue(value: unknown, key = ''): string {
  if (value === true) return 'on';
  if (value === false) return 'off';
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object' && 'from' in value && 'to' in value) {
    const change = value as { from: unknown; to: unknown };
    return `${describeValue(change.from, key)} → ${describeValue(change.to, key)}`;
  }
  if (Array.isArray(value)) return value.map((v) => describeValue(v, key)).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  if (typeof value === 'string') {
    const forKey = Object.hasOwn(valueNames, key) ? valueNames[key]! : undefined;
    if (forKey && Object.hasOwn(forKey, value)) return forKey[value]!;
    if (Object.hasOwn(methodTypes, value)) return methodTypes[value]!;
    if (Object.hasOwn(pinPolicies, value)) return pinPolicies[value]!;
    if (Object.hasOwn(stateNames, value)) return stateNames[value]!;
    if (/^\d{4}-\d{2}-\d{2}T/.test(value)) return fullTime(value);
  }
  return String(value);
}

/**
 * What an admin reads: internal ids left out (names, emails and counts say it), and a setting
 * that stayed as it was ("on → on") left out too.
 */
export function visibleDetails(details: Record<string, unknown> | undefined): [string, unknown][] {
  return Object.entries(details ?? {}).filter(([key, value]) => {
    if (/Id$|^id$|^limit$|^userId$/.test(key)) return false;
    if (value && typeof value === 'object' && 'from' in value && 'to' in value) {
      const change = value as { from: unknown; to: unknown };
      return JSON.stringify(change.from) !== JSON.stringify(change.to);
    }
    return true;
  });
}
