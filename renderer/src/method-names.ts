// How a method reads: its kind in the user's language, and its name when the user gave one.
import type { MethodType } from '../../contract/answers';
import { catalogues, t } from './i18n';

/** "Authenticator app", "Security key", in the current language. */
export function methodTypeLabel(type: MethodType): string {
  return t(`method.type.${type}`);
}

/**
 * "Authenticator app added" when the method kept its default name, "Security key “Blue
 * YubiKey” added" when the user named it: never the type twice. A default name is the type's
 * word in any of our languages (the setup screens store it in the language of the day).
 */
export function describeMethod(method: { type: MethodType; name: string }): string {
  const type = methodTypeLabel(method.type);
  const name = method.name.trim().toLowerCase();
  const defaults = Object.values(catalogues).map((messages) => messages[`method.type.${method.type}`].toLowerCase());
  if (!name || defaults.includes(name)) return type;
  return t('method.named', { type, name: method.name.trim() });
}
