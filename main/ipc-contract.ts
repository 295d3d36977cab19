// The schema of every IPC message's arguments, checked in main before any handler runs. A
// bridge operation's one argument is its `{ params, query, body }`, checked against the
// contract's own schemas (contract/operations.ts), so main refuses exactly what the server
// would, before it leaves the machine; the client-side functions have their schemas here.
import { Type, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { ApiError } from '../contract/api-error.js';
import { inputSchema } from '../contract/operation.js';
import { bridgeOperationNames, operations } from '../contract/operations.js';
import { SignInBody, MethodName, StartSsoBody } from '../contract/schemas.js';
import type { AgentDeskApi } from '../preload/agentdesk-api.js';
import type { InvokeName } from './ipc-channels.js';
import { clientInvokeNames } from './ipc-channels.js';

const strict = { additionalProperties: false } as const;
const None = Type.Tuple([]);
// CTAP2 §6.5.1: a PIN is at least 4 code points and at most 63 bytes of UTF-8.
const Pin = Type.String({ minLength: 1, maxLength: 63 });

const clientArguments = {
  // The renderer's three fields only: the device token is main's to send.
  signIn: Type.Tuple([Type.Object({ account: SignInBody.properties.account, email: SignInBody.properties.email, password: SignInBody.properties.password }, strict)]),
  getCurrentSession: None,
  useSecurityKey: None,
  signInWithSecurityKey: Type.Tuple([Type.Object({ account: Type.String({ minLength: 1, maxLength: 64 }), autofill: Type.Optional(Type.Boolean()) }, strict)]),
  signInWithSso: Type.Tuple([Type.Object({ account: StartSsoBody.properties.account, provider: StartSsoBody.properties.provider }, strict)]),
  cancelSignInWithSso: None,
  addSecurityKey: Type.Union([Type.Tuple([MethodName]), Type.Tuple([MethodName, Type.Object({ passwordless: Type.Optional(Type.Boolean()) }, strict)])]),
  signOut: None,
  submitSecurityKeyPin: Type.Tuple([Pin]),
  chooseSecurityKeyAccount: Type.Tuple([Type.Integer({ minimum: 0, maximum: 255 })]),
  cancelSecurityKey: None,
  getPendingRecoveryCodes: None,
  confirmRecoveryCodesSaved: None,
  getDeskSharing: None,
  setDeskSharing: Type.Tuple([Type.Boolean()]),
} satisfies Record<(typeof clientInvokeNames)[number], TSchema>;

/** A bridge operation takes its input, or nothing when nothing in it is required. */
function operationArguments(name: (typeof bridgeOperationNames)[number]): TSchema {
  const input = inputSchema(operations[name]);
  if (Object.keys(input.properties).length === 0) return None;
  const required = (input.required as string[] | undefined) ?? [];
  return required.length ? Type.Tuple([input]) : Type.Union([None, Type.Tuple([input])]);
}

export const ipcArguments: Record<InvokeName, TSchema> = {
  ...(Object.fromEntries(bridgeOperationNames.map((name) => [name, operationArguments(name)])) as Record<(typeof bridgeOperationNames)[number], TSchema>),
  ...clientArguments,
};

/** Each message's arguments, as the AgentDeskApi function declares them. */
export type InvokeArguments = { [K in InvokeName]: Parameters<AgentDeskApi[K]> };

/** Checks a message's arguments against its schema; anything else is refused as invalid_request. */
export function checkArguments<K extends InvokeName>(name: K, args: unknown): InvokeArguments[K] {
  const schema: TSchema | undefined = Object.hasOwn(ipcArguments, name) ? ipcArguments[name] : undefined;
  if (!schema) throw new ApiError('invalid_request', 'Unknown request.');
  if (!Array.isArray(args) || !Value.Check(schema, args)) {
    const first = Array.isArray(args) && schema ? [...Value.Errors(schema, args)][0] : undefined;
    throw new ApiError('invalid_request', `Invalid request${first ? ` (${first.instancePath || '/'}: ${first.message})` : ''}.`, 400);
  }
  return args as InvokeArguments[K];
}
