// Request and response schemas (TypeBox → JSON Schema): Fastify validates every body, query and
// parameter against them, and the OpenAPI document is built from them.
import { Type, type Static } from 'typebox';
import { NAME_PATTERN } from '../people/names.js';

const strict = { additionalProperties: false } as const;

export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 });
export const Password = Type.String({ minLength: 10, maxLength: 256, description: 'At least 10 characters.' });
const nameRule = { pattern: NAME_PATTERN, description: 'No control characters (line breaks included) and no bidirectional controls.' };
export const PersonName = Type.String({ minLength: 1, maxLength: 120, ...nameRule });
export const AccountName = Type.String({ minLength: 1, maxLength: 120, ...nameRule });
export const Slug = Type.String({ pattern: '^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$', description: 'Lower-case letters, digits and hyphens.' });
export const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
export const IdParams = Type.Object({ id: Id }, strict);
export const MethodName = Type.String({ minLength: 1, maxLength: 64, ...nameRule });
export const Role = Type.Union([Type.Literal('admin'), Type.Literal('agent')]);
/** A language AgentDesk speaks (mail/languages.ts); null follows the device. */
export const Language = Type.Union([Type.Literal('en'), Type.Literal('pt-PT'), Type.Literal('pt-BR'), Type.Literal('es')]);
export const LanguageOrDevice = Type.Union([Language, Type.Null()], { description: 'en, pt-PT, pt-BR or es; null follows the device (the OS or browser language).' });
export const SetLanguageBody = Type.Object({ language: LanguageOrDevice }, strict);
export const UserVerification = Type.Union([Type.Literal('discouraged'), Type.Literal('preferred'), Type.Literal('required')]);

export const CreateAccountBody = Type.Object(
  {
    name: AccountName,
    slug: Slug,
    admin: Type.Object({ name: PersonName, email: Email, password: Password }, strict),
  },
  strict,
);

export const SignInBody = Type.Object(
  {
    account: Type.String({ minLength: 1, maxLength: 64 }),
    email: Type.String({ minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
    deviceToken: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The token this device was given at its first sign-in (desktop app; the web console keeps it in a cookie).' })),
  },
  strict,
);

export const EmptyBody = Type.Object({}, strict);

// WebAuthn responses are checked in depth by @simplewebauthn; the schema bounds their shape and size.
const B64url = (maxLength: number) => Type.String({ pattern: '^[A-Za-z0-9_-]*={0,2}$', maxLength });
const ClientExtensionResults = Type.Record(Type.String(), Type.Unknown());
// PublicKeyCredential.toJSON() (WebAuthn L3) gives null for an unknown attachment.
const AuthenticatorAttachment = Type.Optional(Type.Union([Type.String({ maxLength: 32 }), Type.Null()]));
export const RegistrationResponse = Type.Object({
  id: B64url(1400),
  rawId: B64url(1400),
  type: Type.Literal('public-key'),
  response: Type.Object({
    clientDataJSON: B64url(4096),
    attestationObject: B64url(16384),
    authenticatorData: Type.Optional(B64url(16384)),
    transports: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 8 })),
    publicKeyAlgorithm: Type.Optional(Type.Integer()),
    publicKey: Type.Optional(B64url(4096)),
  }),
  authenticatorAttachment: AuthenticatorAttachment,
  clientExtensionResults: ClientExtensionResults,
});
export const AuthenticationResponse = Type.Object({
  id: B64url(1400),
  rawId: B64url(1400),
  type: Type.Literal('public-key'),
  response: Type.Object({
    clientDataJSON: B64url(4096),
    authenticatorData: B64url(16384),
    signature: B64url(4096),
    userHandle: Type.Optional(Type.Union([B64url(1024), Type.Null()])),
  }),
  authenticatorAttachment: AuthenticatorAttachment,
  clientExtensionResults: ClientExtensionResults,
});

const Code = Type.String({ minLength: 1, maxLength: 32 });
export const SecondFactorBody = Type.Union([
  Type.Object({ method: Type.Literal('totp'), code: Code }, strict),
  Type.Object({ method: Type.Literal('recovery_code'), code: Code }, strict),
  Type.Object({ method: Type.Literal('security_key'), response: AuthenticationResponse }, strict),
]);
export type SecondFactorBody = Static<typeof SecondFactorBody>;

export const AddTotpBody = Type.Object({ name: Type.Optional(MethodName) }, strict);
export const ConfirmTotpBody = Type.Object({ code: Code }, strict);
export const AddSecurityKeyBody = Type.Object({ name: MethodName, response: RegistrationResponse }, strict);
export const RenameMethodBody = Type.Object({ name: MethodName }, strict);

export const SecondFactorPolicy = Type.Union([Type.Literal('any'), Type.Literal('security_keys')], {
  description: 'any: authenticator apps and security keys; security_keys: security keys only (recovery codes still work).',
});
export const SecuritySettingsBody = Type.Object(
  {
    requireTwoFactor: Type.Boolean(),
    acknowledged: Type.Boolean(),
    userVerification: Type.Optional(UserVerification),
    startsAt: Type.Optional(Type.Union([Type.String({ format: 'date-time', maxLength: 40, description: 'Deployment day: the requirement takes effect then (ISO time in the future).' }), Type.Null()], { description: 'null cancels a scheduled deployment day; absent leaves it.' })),
    enrollment: Type.Optional(Type.Union([Type.Literal('password'), Type.Literal('known_device')], { description: 'Who may set up a first method at a forced enrolment.' })),
    passwordlessSignIn: Type.Optional(Type.Boolean({ description: 'Sign in with a security key alone (a passkey); absent leaves it.' })),
    secondFactorPolicy: Type.Optional(SecondFactorPolicy),
    allowRecoveryCodesUnderKeysOnly: Type.Optional(Type.Boolean({ description: 'Under "security keys only", recovery codes still pass the second step and re-authentication (phishable); off by default. Absent leaves it.' })),
  },
  strict,
);
export const ImpactQuery = Type.Object({ secondFactorPolicy: Type.Optional(SecondFactorPolicy) }, strict);
