import type { MethodType } from '../../preload/agentdesk-api';

export const methodTypeLabel: Record<MethodType, string> = {
  totp: 'Authenticator app',
  security_key: 'Security key',
};

/**
 * "Authenticator app added" when the method kept its default name, "Security key “Blue
 * YubiKey” added" when the user named it: never the type twice.
 */
export function describeMethod(method: { type: MethodType; name: string }): string {
  const type = methodTypeLabel[method.type];
  const name = method.name.trim();
  if (!name || name.toLowerCase() === type.toLowerCase()) return type;
  return `${type} “${name}”`;
}
