// Plain words for the server's stable error codes, so every screen says the same thing: each
// code's sentence is `error.<code>` in the catalogues (renderer/src/i18n/messages), and only there.
import { ApiError } from '../../../contract/api-error';
import { t, type MessageId } from '../i18n';
import { en } from '../i18n/messages/en';

/** How long a lock-out lasts, in words: "15 minutes", "2 hours". */
export function durationText(seconds: number): string {
  if (seconds < 90) return t('duration.seconds', { count: Math.max(1, Math.ceil(seconds)) });
  if (seconds < 90 * 60) return t('duration.minutes', { count: Math.ceil(seconds / 60) });
  return t('duration.hours', { count: Math.ceil(seconds / 3600) });
}

function waitText(seconds: number | null): string {
  if (!seconds || seconds <= 0) return t('error.waitMoment');
  if (seconds < 90) return t('error.tryAgainIn', { duration: t('duration.seconds', { count: Math.ceil(seconds) }) });
  return t('error.tryAgainIn', { duration: t('duration.minutes', { count: Math.ceil(seconds / 60) }) });
}

/** The codes with a sentence of their own: `error.<code>` in every catalogue. */
function codeMessage(code: string): string | undefined {
  const id = `error.${code}`;
  return Object.hasOwn(en, id) ? t(id as MessageId) : undefined;
}

export function describeError(error: unknown): string {
  const apiError = ApiError.from(error);
  const byReason = apiError.reason ? codeMessage(`${apiError.code}.${apiError.reason}`) : undefined;
  if (byReason) return byReason;
  if (apiError.code === 'too_many_attempts' && apiError.locked) {
    return apiError.retryAfterSeconds && apiError.retryAfterSeconds > 0 ? t('error.lockedFor', { duration: durationText(apiError.retryAfterSeconds) }) : t('error.locked');
  }
  if (apiError.code === 'too_many_attempts') {
    return t('error.tooManyAttempts', { wait: waitText(apiError.retryAfterSeconds) });
  }
  return codeMessage(apiError.code) ?? apiError.message ?? t('error.generic');
}
