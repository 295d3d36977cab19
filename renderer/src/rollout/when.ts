// How a deployment day and audit times read: the user's own time zone, in full.
const dayAndTime = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'long' });

/** "Monday 2 March, 09:00 CET": in the user's time zone, which it names. */
export function deploymentDayText(iso: string): string {
  return dayAndTime.format(new Date(iso)).replace(' at ', ', ');
}

/** A full time with its time zone (audit log, security activity). */
export function fullTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : full.format(date);
}

/** "in 3 days 4 hours", "in 12 minutes", "now". */
export function countdownText(iso: string, now = Date.now()): string {
  const ms = new Date(iso).getTime() - now;
  if (ms <= 0) return 'now';
  const minutes = Math.ceil(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const parts = [days ? `${days} day${days === 1 ? '' : 's'}` : '', hours ? `${hours} hour${hours === 1 ? '' : 's'}` : '', !days && mins ? `${mins} minute${mins === 1 ? '' : 's'}` : ''].filter(Boolean);
  return `in ${parts.join(' ')}`;
}
