// How a user's grace to postpone enrolment reads (server/enforcement/grace.ts): "2 sign-ins
// left", "until 14 Dec 2026", or both; and whether it still lets them postpone.
import type { Grace } from '../../../contract/answers';
import { formatDateTime } from '../dates';
import { t } from '../i18n';

/** Open while no bound is closed: sign-ins above 0 (or no count) and the end ahead (or no end). */
export function graceIsOpen(grace: Grace | null | undefined, now = Date.now()): grace is Grace {
  if (!grace || (grace.signInsLeft === null && grace.until === null)) return false;
  if (grace.signInsLeft !== null && grace.signInsLeft <= 0) return false;
  return grace.until === null || Date.parse(grace.until) > now;
}

export function graceText(grace: Grace): string {
  const parts: string[] = [];
  if (grace.signInsLeft !== null) parts.push(t('grace.signInsLeft', { count: grace.signInsLeft }));
  if (grace.until !== null) parts.push(t('grace.until', { date: formatDateTime(grace.until) }));
  return parts.join(', ');
}

/** The deployment-day banner's "After that you can postpone it 2 more times / until <date>". */
export function deploymentDayGraceText(grace: Grace): string {
  if (grace.signInsLeft !== null && grace.until !== null) return t('deploymentDay.graceBoth', { count: grace.signInsLeft, date: formatDateTime(grace.until) });
  if (grace.signInsLeft !== null) return t('deploymentDay.graceSignIns', { count: grace.signInsLeft });
  return t('deploymentDay.graceUntil', { date: formatDateTime(grace.until) });
}

/** An `<input type="date">` value as the end of that day where the admin is, in ISO. */
export function endOfDay(value: string): string | null {
  if (!value) return null;
  const date = new Date(`${value}T23:59:59`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
