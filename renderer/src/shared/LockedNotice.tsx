import { useEffect, useState } from 'react';
import { ApiError, refusedUntil } from '../../../contract/api-error';
import { describeError } from '../api/error-messages';
import { Notice } from './Notice';
import { getIntl } from '../i18n';
import { useT } from '../i18n/I18nProvider';

/** "2:41", "1:02:05": what is left of a wait, as a clock reads it. */
export function clockText(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/**
 * A refusal for too many attempts that counts down to its end ("Try again in 2:41") and calls
 * `onEnded` when the wait is over, so the screen clears itself. Without an end (an older server
 * that gives none), the refusal's own words, unchanged.
 */
export function LockedNotice({ error, onEnded }: { error: ApiError; onEnded: () => void }) {
  const t = useT();
  const [until] = useState(() => refusedUntil(error));
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until === null) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [until]);
  useEffect(() => {
    if (until !== null && now >= until) onEnded();
  }, [until, now, onEnded]);

  const title = error.locked ? t('locked.titleLocked') : t('locked.titleTooMany');
  if (until === null) return <Notice tone="error" title={title}>{describeError(error)}</Notice>;
  return (
    <Notice tone="error" title={title}>
      {error.locked ? t('locked.lockedText') : t('locked.tooManyText')}
      {/* The notice is an alert: the ticking clock is hidden from screen readers, which hear the
          end time once instead of a new announcement every second. */}
      <span aria-hidden="true">
        <span data-testid="lock-countdown">{t('locked.tryAgainIn', { clock: clockText(until - now) })}</span>.
      </span>
      <span className="visually-hidden">{t('locked.tryAgainAt', { time: getIntl().formatTime(until, { hour: '2-digit', minute: '2-digit', second: '2-digit' }) })}</span>
    </Notice>
  );
}
