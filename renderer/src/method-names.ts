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
  if (hasDefaultName(method)) return type;
  return t('method.named', { type, name: method.name.trim() });
}

/**
 * A method's name as shown: the user's own, or, for a default name (stored in the language of
 * the day it was added, or the server's English), the type's word in the current language.
 */
export function methodName(method: { type: MethodType; name: string }): string {
  return hasDefaultName(method) ? methodTypeLabel(method.type) : method.name.trim();
}

const methodTypes: readonly MethodType[] = ['totp', 'security_key'];

/** The kind of method whose default name this is, in any of our languages (the audit log's "name" of a method). */
export function defaultNameType(name: string): MethodType | null {
  return methodTypes.find((type) => hasDefaultName({ type, name }) && name.trim() !== '') ?? null;
}

function hasDefaultName(method: { type: MethodType; name: string }): boolean {
  const name = method.name.trim().toLowerCase();
  const defaults = Object.values(catalogues).map((messages) => messages[`method.type.${method.type}`].toLowerCase());
  return !name || defaults.includes(name);
}
