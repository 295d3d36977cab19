// How a method reads: its kind in the user's language, and its name when the user gave one.
import type { MethodType } from '../../preload/agentdesk-api';
import { t } from './i18n';
import { en } from './i18n/messages/en';

/** "Authenticator app", "Security key", in the current language. */
export function methodTypeLabel(type: MethodType): string {
  return t(`method.type.${type}`);
}

/**
 * "Authenticator app added" when the method kept its default name, "Security key “Blue
 * YubiKey” added" when the user named it: never the type twice. A default name is the type's
 * English word (what the setup screens store) or its word in the current language.
 */
export function describeMethod(method: { type: MethodType; name: string }): string {
  const type = methodTypeLabel(method.type);
  const name = method.name.trim().toLowerCase();
  if (!name || name === type.toLowerCase() || name === en[`method.type.${method.type}`].toLowerCase()) return type;
  return t('method.named', { type, name: method.name.trim() });
}
