// What the sign-in screen says when the server ended a session on its own: one plain sentence
// per `reason` of session.revoked (and of a revoked session's 401).
const reasons: Record<string, string> = {
  two_factor_required: 'Your administrator now requires two-factor authentication. Sign in to set it up.',
  // Under "security keys only": most of these users already have an app; what they lack is a key.
  security_key_required: 'Your administrator now requires a security key. Sign in and add one to keep using AgentDesk.',
  two_factor_reset: 'Your administrator reset your two-factor authentication. Sign in to set it up again.',
  signed_out: 'You were signed out of this session from elsewhere. Sign in again.',
  expired: 'Your session expired. Sign in again.',
  second_factor_added: 'Two-factor authentication was set up on your account from another sign-in. Sign in again.',
  signed_out_elsewhere: 'This session was ended from “Your sessions” on another device. Sign in again.',
  deactivated: 'Your administrator deactivated your account. Ask them if you need access again.',
  password_changed: 'Your password was changed. Sign in with the new password.',
  signed_out_by_admin: 'Your administrator signed you out everywhere. Sign in again.',
  not_me: 'A change on your account was reported as “This wasn’t me”, so every session was ended. Sign in again, and tell your administrator if that was not you.',
};

export function describeSessionRevoked(reason: string): string {
  return Object.hasOwn(reasons, reason) ? reasons[reason]! : 'You were signed out. Sign in again.';
}
