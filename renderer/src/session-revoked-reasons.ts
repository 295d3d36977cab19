// What the sign-in screen says when the server ended a session on its own.
const reasons: Record<string, string> = {
  two_factor_required: 'Your administrator now requires two-factor authentication. Sign in to set it up.',
  two_factor_reset: 'Your administrator reset your two-factor authentication. Sign in to set it up again.',
  signed_out: 'You were signed out of this session from elsewhere. Sign in again.',
  expired: 'Your session expired. Sign in again.',
};

export function describeSessionRevoked(reason: string): string {
  return reasons[reason] ?? 'You were signed out. Sign in again.';
}
