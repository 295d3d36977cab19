// How times read on every screen: short, unambiguous, in the user's language and time zone.
import { getIntl, t } from './i18n';

export function formatDateTime(iso: string | null | undefined, never: string = t('dates.never')): string {
  if (!iso) return never;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : getIntl().formatDate(date, { dateStyle: 'medium', timeStyle: 'short' });
}
