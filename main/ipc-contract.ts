// The schema of every IPC message's arguments, checked in main before any handler runs. The
// bodies reuse the server's own schemas (server/http/schemas.ts), so main refuses exactly what the
// server would, before it leaves the machine.
import { Type, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import type { AgentDeskApi } from '../preload/agentdesk-api.js';
import { CreateAccountBody, Email, Id, LanguageOrDevice, MethodName, Password, PersonName, Role, SecondFactorPolicy, SecuritySettingsBody, SignInBody } from '../server/http/schemas.js';
import type { InvokeName } from './ipc-channels.js';
import { DesktopError } from './server-client.js';

const strict = { additionalProperties: false } as const;
const None = Type.Tuple([]);
const ActivityId = Type.String({ pattern: '^[0-9a-z]{1,64}$' });
const AuditFilterFields = {
  userId: Type.Optional(Id),
  action: Type.Optional(Type.String({ pattern: '^[a-z_.]{1,64}$' })),
  from: Type.Optional(Type.String({ minLength: 10, maxLength: 40 })),
  to: Type.Optional(Type.String({ minLength: 10, maxLength: 40 })),
};
const Code = Type.String({ minLength: 1, maxLength: 32 });
// CTAP2 §6.5.1: a PIN is at least 4 code points and at most 63 bytes of UTF-8.
const Pin = Type.String({ minLength: 1, maxLength: 63 });
// An invitation or reset link's token: 32 random bytes, base64url.
const LinkToken = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' });
const UserStatus = Type.Union([Type.Literal('invited'), Type.Literal('active'), Type.Literal('deactivated')]);

export const ipcArguments = {
  getSignupStatus: None,
  createAccount: Type.Tuple([CreateAccountBody]),
  signIn: Type.Tuple([SignInBody]),
  getCurrentSession: None,
  passSecondFactor: Type.Tuple([
    Type.Union([Type.Object({ method: Type.Literal('totp'), code: Code }, strict), Type.Object({ method: Type.Literal('recovery_code'), code: Code }, strict)]),
  ]),
  useSecurityKey: None,
  signInWithSecurityKey: Type.Tuple([Type.Object({ account: Type.String({ minLength: 1, maxLength: 64 }), autofill: Type.Optional(Type.Boolean()) }, strict)]),
  getSecurityPolicy: None,
  signOut: None,
  submitSecurityKeyPin: Type.Tuple([Pin]),
  chooseSecurityKeyAccount: Type.Tuple([Type.Integer({ minimum: 0, maximum: 255 })]),
  cancelSecurityKey: None,
  getMe: None,
  startAuthenticatorApp: Type.Union([None, Type.Tuple([MethodName])]),
  confirmAuthenticatorApp: Type.Tuple([Id, Code]),
  addSecurityKey: Type.Union([Type.Tuple([MethodName]), Type.Tuple([MethodName, Type.Object({ passwordless: Type.Optional(Type.Boolean()) }, strict)])]),
  renameMethod: Type.Tuple([Id, MethodName]),
  setMyLanguage: Type.Tuple([LanguageOrDevice]),
  removeMethod: Type.Tuple([Id]),
  regenerateRecoveryCodes: None,
  getSecuritySettings: None,
  getEnforcementImpact: Type.Union([None, Type.Tuple([SecondFactorPolicy])]),
  saveSecuritySettings: Type.Tuple([SecuritySettingsBody]),
  listUsers: Type.Union([
    None,
    Type.Tuple([
      Type.Object(
        {
          q: Type.Optional(Type.String({ maxLength: 120 })),
          twoFactor: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('totp'), Type.Literal('security_key'), Type.Literal('no_security_key')])),
          role: Type.Optional(Role),
          status: Type.Optional(UserStatus),
          signedIn: Type.Optional(Type.Boolean()),
          sort: Type.Optional(Type.String({ pattern: '^-?(?:name|email|lastSignIn|created)$' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 999_999_999 })),
        },
        strict,
      ),
    ]),
  ]),
  inviteUser: Type.Tuple([Type.Object({ name: PersonName, email: Email, role: Role, language: Type.Optional(LanguageOrDevice) }, strict)]),
  resetUserTwoFactor: Type.Tuple([Id]),
  updateUser: Type.Tuple([Id, Type.Object({ role: Type.Optional(Role), status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('deactivated')])) }, { ...strict, minProperties: 1 })]),
  deleteUser: Type.Tuple([Id]),
  resendInvitation: Type.Tuple([Id]),
  sendPasswordReset: Type.Tuple([Id]),
  liftLockout: Type.Tuple([Id]),
  signUserOutEverywhere: Type.Tuple([Id]),
  signEveryoneElseOut: None,
  exportUsers: Type.Union([
    None,
    Type.Tuple([
      Type.Object(
        {
          q: Type.Optional(Type.String({ maxLength: 120 })),
          twoFactor: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('totp'), Type.Literal('security_key'), Type.Literal('no_security_key')])),
          role: Type.Optional(Role),
          status: Type.Optional(UserStatus),
          signedIn: Type.Optional(Type.Boolean()),
        },
        strict,
      ),
    ]),
  ]),
  importUsers: Type.Tuple([Type.String({ maxLength: 4 * 1024 * 1024 }), Type.Boolean()]),
  previewInvitation: Type.Tuple([LinkToken]),
  acceptInvitation: Type.Tuple([LinkToken, Password]),
  requestPasswordReset: Type.Tuple([Type.String({ minLength: 1, maxLength: 64 }), Type.String({ minLength: 1, maxLength: 254 })]),
  completePasswordReset: Type.Tuple([LinkToken, Password]),
  changePassword: Type.Tuple([Type.String({ minLength: 1, maxLength: 256 }), Password]),
  confirmPassword: Type.Tuple([Type.String({ minLength: 1, maxLength: 256 })]),
  listAuditEvents: Type.Union([
    None,
    Type.Tuple([
      Type.Object(
        { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })), before: Type.Optional(Type.String({ pattern: '^[0-9a-z]{1,64}$' })), ...AuditFilterFields },
        strict,
      ),
    ]),
  ]),
  exportAuditEvents: Type.Union([None, Type.Tuple([Type.Object(AuditFilterFields, strict)])]),
  issueEnrollmentCode: Type.Union([Type.Tuple([Id]), Type.Tuple([Id, Type.Integer({ minimum: 10, maximum: 10_080 })])]),
  redeemEnrollmentCode: Type.Tuple([Type.String({ minLength: 1, maxLength: 32 })]),
  listSecurityActivity: None,
  markSecurityActivityRead: Type.Union([None, Type.Tuple([ActivityId])]),
  reportNotMe: Type.Tuple([ActivityId]),
  listSecurityAlerts: None,
  resolveSecurityAlert: Type.Tuple([Id]),
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
