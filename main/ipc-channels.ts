// The names of every IPC message between the preload and main: one per AgentDeskApi function
// that is answered (renderer → main: each bridge operation of the contract, under its name, and
// each client-side function), and one per pushed event (main → renderer).
import { bridgeOperationNames } from '../contract/operations.js';
import type { ClientFunctions } from '../preload/agentdesk-api.js';

/** The client-side functions that are asked of main (answered), beside the contract's operations. */
export const clientInvokeNames = [
  'signIn',
  'getCurrentSession',
  'useSecurityKey',
  'signInWithSecurityKey',
  'signInWithSso',
  'cancelSignInWithSso',
  'addSecurityKey',
  'signOut',
  'submitSecurityKeyPin',
  'chooseSecurityKeyAccount',
  'cancelSecurityKey',
  'getPendingRecoveryCodes',
  'confirmRecoveryCodesSaved',
  'getDeskSharing',
  'setDeskSharing',
] as const satisfies readonly (keyof ClientFunctions)[];

/** Every AgentDeskApi function but the push subscriptions is one invoke message. */
export const invokeNames = [...bridgeOperationNames, ...clientInvokeNames] as const;

export type InvokeName = (typeof invokeNames)[number];

/** The channel of one invoke message. */
export const invokeChannel = (name: InvokeName): string => `agentdesk:${name}`;

export const pushChannels = {
  sessionRevoked: 'agentdesk:session-revoked',
  securityKeyProgress: 'agentdesk:security-key-progress',
  accountUpdated: 'agentdesk:account-updated',
  serverConnection: 'agentdesk:server-connection',
} as const;

/** How every answer crosses IPC: Electron would keep only an Error's message, and the renderer needs its code. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

export interface IpcError {
  code: string;
  message: string;
  status: number | null;
  retryAfterSeconds: number | null;
  /** A lock-out rather than a short throttle. */
  locked?: boolean;
  /** Why the server ended the session (on unauthenticated). */
  reason?: string;
  /** When a lock-out ends (ISO time). */
  lockedUntil?: string;
}
