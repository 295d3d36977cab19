// The audit log in an admin's words: every action and detail named, values read as words, in
// the admin's language (audit.* in the catalogues).
import { t, type MessageId } from '../i18n';
import { en } from '../i18n/messages/en';
import { fullTime } from '../rollout/when';
import { defaultNameType, methodTypeLabel } from '../method-names';

/** The catalogue's words for `id`, or undefined when it has none. */
function known(id: string): string | undefined {
  return Object.hasOwn(en, id) ? t(id as MessageId) : undefined;
}

const actionPrefix = 'audit.action.';

/** The filter's choice of actions, by what an admin looks for (sorted in the admin's language). */
export function actionChoices(): string[] {
  const actions = Object.keys(en).filter((id) => id.startsWith(actionPrefix)).map((id) => id.slice(actionPrefix.length));
  return actions.sort((a, b) => describeAction(a).localeCompare(describeAction(b)));
}

/** An action the list does not know yet, in words: "user.sessions_ended" → "User sessions ended". */
export function describeAction(action: string): string {
  return known(actionPrefix + action) ?? action.replace(/[._]/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

/** A detail's name: known ones by hand, any other from its camelCase ("lockedUntil" → "Locked until"). */
export function describeDetailName(key: string): string {
  const named = known(`audit.detail.${key}`);
  if (named) return named;
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
  return words.replace(/^./, (c) => c.toUpperCase());
}

export function describeValue(value: unknown, key = ''): string {
  if (value === true) return t('audit.on');
  if (value === false) return t('audit.off');
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object' && 'from' in value && 'to' in value) {
    const change = value as { from: unknown; to: unknown };
    return `${describeValue(change.from, key)} → ${describeValue(change.to, key)}`;
  }
  if (Array.isArray(value)) return value.map((v) => describeValue(v, key)).join(', ');
  if (key === 'appliesTo' && typeof value === 'object') return describeScope(value as { everyone?: boolean; roles?: string[]; groupIds?: string[] });
  if (typeof value === 'object') return JSON.stringify(value);
  if (typeof value === 'string') {
    // Values that read differently depending on the detail they belong to ("kind" reads as "scope").
    const forKey = known(`audit.value.${key === 'kind' ? 'scope' : key}.${value}`);
    if (forKey) return forKey;
    const word = known(`audit.methodType.${value}`) ?? known(`audit.pin.${value}`) ?? known(`audit.state.${value}`);
    if (word) return word;
    if (/^\d{4}-\d{2}-\d{2}T/.test(value)) return fullTime(value);
    // A method kept its default name, stored in the language of the day it was added (or the
    // server's English): read it in the admin's.
    const defaultName = key === 'name' ? defaultNameType(value) : null;
    if (defaultName) return methodTypeLabel(defaultName);
  }
  return String(value);
}

/** Whom the 2FA requirement applies to (server/enforcement/requirement-scope.ts scopeForAudit): everyone, or roles and a number of groups. */
function describeScope(scope: { everyone?: boolean; roles?: string[]; groupIds?: string[] }): string {
  if (scope.everyone) return t('audit.value.appliesTo.everyone');
  const roles = (scope.roles ?? []).map((role) => describeValue(role, 'role')).join(', ') || '—';
  return t('audit.value.appliesTo.chosen', { roles, groups: scope.groupIds?.length ?? 0 });
}

/**
 * What an admin reads: internal ids left out (names, emails and counts say it), and a setting
 * that stayed as it was ("on → on") left out too.
 */
export function visibleDetails(details: Record<string, unknown> | undefined): [string, unknown][] {
  return Object.entries(details ?? {}).filter(([key, value]) => {
    if (/Id$|^id$|^limit$|^userId$/.test(key)) return false;
    if (value && typeof value === 'object' && 'from' in value && 'to' in value) {
      const change = value as { from: unknown; to: unknown };
      return JSON.stringify(change.from) !== JSON.stringify(change.to);
    }
    return true;
  });
}
