// Plain words for the server's stable error codes, so every screen says the same thing.
import { ApiError } from './api-error';

/** How long a lock-out lasts, in words: "15 minutes", "2 hours". */
export function durationText(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.ceil(seconds))} seconds`;
  if (seconds < 90 * 60) return `${Math.ceil(seconds / 60)} minutes`;
  return `${Math.ceil(seconds / 3600)} hours`;
}

function waitText(seconds: number | null): string {
  if (!seconds || seconds <= 0) return 'Wait a moment and try again.';
  if (seconds < 90) return `Try again in ${Math.ceil(seconds)} seconds.`;
  return `Try again in ${Math.ceil(seconds / 60)} minutes.`;
}

const messages: Record<string, string> = {
  invalid_credentials: 'The account, email or password is not right.',
  unauthenticated: 'Your session has ended. Sign in again.',
  invalid_code: 'That code is not right. Enter the newest code from your authenticator app (each code works once).',
  security_key_rejected: 'That security key was not accepted. Try another key or method.',
  security_key_cancelled: 'The security key request was cancelled or timed out.',
  security_key_unavailable: 'This device could not use a security key. Try another method.',
  security_key_not_responding: 'The security key is not responding. Unplug it and plug it in again.',
  security_key_pin_blocked: 'This security key’s PIN is blocked. Reset the key or use another method.',
  challenge_expired: 'That request expired. Start again.',
  passwordless_disabled: 'Signing in with a security key alone is not turned on for this account. Sign in with your email and password.',
  method_not_allowed: 'Your administrator accepts security keys only. Use your security key, or a recovery code.',
  reauthentication_required: 'Confirm your second factor to make this change.',
  acknowledgement_required: 'Tick “I understand” before saving.',
  admin_method_required: 'Set up a two-factor method of your own before requiring it for everyone.',
  last_method_required: 'Your administrator requires two-factor authentication, so your last method cannot be removed. Add another method first.',
  method_already_registered: 'That security key is already registered.',
  email_taken: 'A user with that email already exists in this account.',
  slug_taken: 'That account short name is taken. Choose another.',
  signup_closed: 'New accounts cannot be created on this server. Ask your administrator for an invitation.',
  forbidden: 'Only an administrator can do that.',
  not_found: 'That no longer exists. Refresh and try again.',
  invalid_request: 'Some details are missing or not valid. Check the form and try again.',
  network_error: 'The AgentDesk server cannot be reached. Check your connection and try again.',
  password_too_common: 'That password is on a list of common or leaked passwords. Choose another: a few unrelated words work well.',
  current_password_incorrect: 'Your current password is not right.',
  invalid_link: 'This link is not valid, was already used or has expired. Ask for a new one.',
  last_admin_required: 'The account needs at least one active administrator: make someone else an admin first.',
  not_invited: 'This user has already accepted their invitation.',
  user_deactivated: 'This user is deactivated. Reactivate them first.',
  invalid_csv: 'The file is not a CSV with the columns name, email and role.',
  import_rejected: 'Some rows have errors, so nothing was imported. Fix them and try again.',
};

/** Refusals whose reason changes what the agent should do, by `code:reason`. */
const messagesByReason: Record<string, string> = {
  'security_key_rejected:counter_regression': 'This key may be a copy: ask your administrator.',
};

export function describeError(error: unknown): string {
  const apiError = ApiError.from(error);
  const byReason = apiError.reason ? messagesByReason[`${apiError.code}:${apiError.reason}`] : undefined;
  if (byReason) return byReason;
  if (apiError.code === 'too_many_attempts' && apiError.locked) {
    const span = apiError.retryAfterSeconds && apiError.retryAfterSeconds > 0 ? ` for ${durationText(apiError.retryAfterSeconds)}` : '';
    return `Too many wrong attempts: sign-in to this account is locked${span}. Ask your administrator to lift the lock-out, or try again then.`;
  }
  if (apiError.code === 'too_many_attempts') {
    return `Too many attempts. ${waitText(apiError.retryAfterSeconds)}`;
  }
  return messages[apiError.code] ?? apiError.message ?? 'Something went wrong. Try again.';
}
