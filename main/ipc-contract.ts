// The schema of every IPC message's arguments, checked in main before any handler runs. The
// bodies reuse the server's own schemas (server/schemas.ts), so main refuses exactly what the
// server would, before it leaves the machine.
import { Type, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import type { AgentDeskApi } from '../preload/agentdesk-api.js';
import { CreateAccountBody, CreateUserBody, Id, MethodName, SecuritySettingsBody, SignInBody } from '../server/http/schemas.js';
import type { InvokeName } from './ipc-channels.js';
import { DesktopError } from './server-client.js';

const strict = { additionalProperties: false } as const;
const None = Type.Tuple([]);
const Code = Type.String({ minLength: 1, maxLength: 32 });
// CTAP2 §6.5.1: a PIN is at least 4 code points and at most 63 bytes of UTF-8.
const Pin = Type.String({ minLength: 1, maxLength: 63 });

export const ipcArguments = {
  getSignupStatus: None,
  createAccount: Type.Tuple([CreateAccountBody]),
  signIn: Type.Tuple([SignInBody]),
  getCurrentSession: None,
  passSecondFactor: Type.Tuple([
    Type.Union([Type.Object({ method: Type.Literal('totp'), code: Code }, strict), Type.Object({ method: Type.Literal('recovery_code'), code: Code }, strict)]),
  ]),
  useSecurityKey: None,
  signOut: None,
  submitSecurityKeyPin: Type.Tuple([Pin]),
  cancelSecurityKey: None,
  getMe: None,
  startAuthenticatorApp: Type.Union([None, Type.Tuple([MethodName])]),
  confirmAuthenticatorApp: Type.Tuple([Id, Code]),
  addSecurityKey: Type.Tuple([MethodName]),
  renameMethod: Type.Tuple([Id, MethodName]),
  removeMethod: Type.Tuple([Id]),
  regenerateRecoveryCodes: None,
  getSecuritySettings: None,
  getEnforcementImpact: None,
  saveSecuritySettings: Type.Tuple([SecuritySettingsBody]),
  listUsers: None,
  createUser: Type.Tuple([CreateUserBody]),
  resetUserTwoFactor: Type.Tuple([Id]),
  listAuditEvents: Type.Union([
    None,
    Type.Tuple([
      Type.Object(
        { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })), before: Type.Optional(Type.String({ pattern: '^[0-9a-z]{1,64}$' })) },
        strict,
      ),
    ]),
  ]),
  getPendingRecoveryCodes: None,
  confirmRecoveryCodesSaved: None,
  listMySessions: None,
  endMySession: Type.Tuple([Id]),
  endOtherSessions: None,
} satisfies Record<InvokeName, TSchema>;

/** Each message's arguments, as the AgentDeskApi function declares them. */
export type InvokeArguments = { [K in InvokeName]: Parameters<AgentDeskApi[K]> };

/** Checks a message's arguments against its schema; anything else is refused as invalid_request. */
export function checkArguments<K extends InvokeName>(name: K, args: unknown): InvokeArguments[K] {
  const schema: TSchema | undefined = Object.hasOwn(ipcArguments, name) ? ipcArguments[name] : undefined;
  if (!schema) throw new DesktopError('invalid_request', 'Unknown request.');
  if (!Array.isArray(args) || !Value.Check(schema, args)) {
    const first = Array.isArray(args) && schema ? [...Value.Errors(schema, args)][0] : undefined;
    throw new DesktopError('invalid_request', `Invalid request${first ? ` (${first.instancePath || '/'}: ${first.message})` : ''}.`, 400);
  }
  return args as InvokeArguments[K];
}
