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
  security_key_pin_blocked: 'This security key’s PIN is blocked. Reset the key or use another method.',
  challenge_expired: 'That request expired. Start again.',
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
};

export function describeError(error: unknown): string {
  const apiError = ApiError.from(error);
  if (apiError.code === 'too_many_attempts' && apiError.locked) {
    const span = apiError.retryAfterSeconds && apiError.retryAfterSeconds > 0 ? ` for ${durationText(apiError.retryAfterSeconds)}` : '';
    return `Too many wrong attempts: sign-in to this account is locked${span}. Ask your administrator to lift the lock-out, or try again then.`;
  }
  if (apiError.code === 'too_many_attempts') {
    return `Too many attempts. ${waitText(apiError.retryAfterSeconds)}`;
  }
  return messages[apiError.code] ?? apiError.message ?? 'Something went wrong. Try again.';
}
