// How a deployment day and audit times read: the user's own language and time zone, in full.
import { getIntl, t } from '../i18n';

/** "Monday 2 March, 09:00 CET": in the user's time zone, which it names. */
export function deploymentDayText(iso: string): string {
  return getIntl()
    .formatDate(new Date(iso), { weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' })
    .replace(' at ', ', ');
}

/** A full time with its time zone (audit log, security activity). */
export function fullTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : getIntl().formatDate(date, { dateStyle: 'medium', timeStyle: 'long' });
}

/** "in 3 days 4 hours", "in 12 minutes", "now". */
export function countdownText(iso: string, now = Date.now()): string {
  const ms = new Date(iso).getTime() - now;
  if (ms <= 0) return t('dates.now');
  const minutes = Math.ceil(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const parts = [days ? t('dates.days', { count: days }) : '', hours ? t('dates.hours', { count: hours }) : '', !days && mins ? t('dates.minutes', { count: mins }) : ''].filter(Boolean);
  return t('dates.in', { parts: parts.join(' ') });
}
