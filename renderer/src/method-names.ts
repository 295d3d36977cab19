import type { MethodType } from '../../preload/agentdesk-api';

export const methodTypeLabel: Record<MethodType, string> = {
  totp: 'Authenticator app',
  security_key: 'Security key',
};
