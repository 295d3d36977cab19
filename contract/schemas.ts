// The request schemas of the API contract (TypeBox → JSON Schema): the server validates every
// body, query and parameter against them (and publishes them as OpenAPI), and the desktop's main
// process checks the renderer's IPC arguments against the very same ones before anything leaves
// the machine. Query values are strings, as they travel: the server never coerces types.
import { Type, type Static } from 'typebox';
import { NAME_PATTERN } from './names.js';

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
/** A language AgentDesk speaks (server/mail/languages.ts); null follows the device. */
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
/**
 * Whom "Require two-factor authentication" applies to: `{everyone: true}`, or chosen roles and
 * groups (at least one; unknown ones are refused with invalid_scope).
 */
export const AppliesTo = Type.Object(
  {
    everyone: Type.Optional(Type.Boolean()),
    roles: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 40 }), { maxItems: 10, description: 'admin and/or agent.' })),
    groupIds: Type.Optional(Type.Array(Id, { maxItems: 200, description: "Groups of this account (GET /account/groups)." })),
  },
  strict,
);
/** Grace (server/enforcement/grace.ts): how many sign-ins a user who must enrol may postpone; 0: none. */
export const GRACE_LIMITS = { signIns: 10, days: 90 } as const;
const GraceSignIns = Type.Integer({ minimum: 0, maximum: GRACE_LIMITS.signIns, description: `Sign-ins a user who must enrol may postpone it (0 to ${GRACE_LIMITS.signIns}; 0: none).` });
const GraceUntil = Type.Union([Type.String({ format: 'date-time', maxLength: 40 }), Type.Null()], {
  description: `Postponing is allowed until then (in the future, at most ${GRACE_LIMITS.days} days ahead); null: no end date. Absent leaves it.`,
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
    appliesTo: Type.Optional(AppliesTo),
    graceSignIns: Type.Optional(GraceSignIns),
    graceUntil: Type.Optional(GraceUntil),
  },
  strict,
);
/** PUT /account/users/{id}/grace: extend or end one user's grace (signInsLeft 0 ends it; until null drops the end date). */
export const UserGraceBody = Type.Object({ signInsLeft: Type.Optional(GraceSignIns), until: Type.Optional(GraceUntil) }, strict);
const ScopeList = Type.String({ maxLength: 2000, pattern: '^[A-Za-z0-9_-]{1,64}(?:,[A-Za-z0-9_-]{1,64})*$' });
export const ImpactQuery = Type.Object(
  {
    secondFactorPolicy: Type.Optional(SecondFactorPolicy),
    everyone: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'Measure a scope about to be saved: true for everyone; false with roles and/or groupIds. Absent: the stored scope.' })),
    roles: Type.Optional(ScopeList),
    groupIds: Type.Optional(ScopeList),
  },
  strict,
);

/** A group's name (PRODUCT.md "Authentication policies"): unique in the account whatever its case. */
export const GroupName = Type.String({ minLength: 1, maxLength: 80, ...nameRule });
export const GroupBody = Type.Object({ name: GroupName }, strict);
/** The most users one PUT of a group's members names (server/groups/groups.ts). */
export const MAX_GROUP_MEMBERS = 10_000;
export const GroupMembersBody = Type.Object(
  { userIds: Type.Array(Id, { maxItems: MAX_GROUP_MEMBERS, description: 'Every member, replacing the current ones (all or nothing: an id that is not a user of this account refuses the change).' }) },
  strict,
);

/** POST /me/methods/security-keys/options: `passwordless` asks for a discoverable credential and user verification. */
export const SecurityKeyOptionsBody = Type.Object({ passwordless: Type.Optional(Type.Boolean()) }, strict);

// Sign in with a security key alone.
const AccountSlug = Type.String({ minLength: 1, maxLength: 64 });
const DeviceToken = Type.String({ pattern: '^[A-Za-z0-9_-]{20,100}$' });
export const PasskeyOptionsBody = Type.Object({ account: AccountSlug, deviceToken: Type.Optional(DeviceToken) }, strict);
export const PasskeySignInBody = Type.Object(
  {
    account: AccountSlug,
    /** From the options; without it the challenge is found by the value the response signed. */
    challengeId: Type.Optional(Id),
    response: AuthenticationResponse,
    deviceToken: Type.Optional(DeviceToken),
  },
  strict,
);

export const ConfirmPasswordBody = Type.Object({ password: Type.String({ minLength: 1, maxLength: 256 }) }, strict);

// People: the users list, invitations, links, passwords.
/** At most this many rows in one bulk invitation. */
export const MAX_IMPORT_ROWS = 10_000;
/** A link's token: 32 random bytes, base64url. */
const LinkToken = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' });
export const UserStatus = Type.Union([Type.Literal('invited'), Type.Literal('active'), Type.Literal('deactivated')]);
const TwoFactorFilter = Type.Union([Type.Literal('none'), Type.Literal('totp'), Type.Literal('security_key'), Type.Literal('no_security_key')], {
  description: 'no_security_key: whom "security keys only" would sign out.',
});
const UsersSort = Type.String({ pattern: '^-?(?:name|email|lastSignIn|created)$', description: 'name, email, lastSignIn or created; a leading "-" sorts descending.' });
const BooleanText = Type.Union([Type.Literal('true'), Type.Literal('false')]);

const userFilterFields = {
  q: Type.Optional(Type.String({ maxLength: 120 })),
  twoFactor: Type.Optional(TwoFactorFilter),
  role: Type.Optional(Role),
  status: Type.Optional(UserStatus),
  signedIn: Type.Optional(BooleanText),
  inScope: Type.Optional(BooleanText),
  groupId: Type.Optional(Id),
  /** A scope about to be saved (the impact preview's list): users with one of these roles or in one of these groups. */
  scopeRoles: Type.Optional(ScopeList),
  scopeGroupIds: Type.Optional(ScopeList),
};
export const ListUsersQuery = Type.Object(
  {
    ...userFilterFields,
    sort: Type.Optional(UsersSort),
    limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]{0,2}|1000)$' })),
    offset: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$' })),
  },
  strict,
);
export type ListUsersQuery = Static<typeof ListUsersQuery>;
export const ExportUsersQuery = Type.Object(userFilterFields, strict);
export type ExportUsersQuery = Static<typeof ExportUsersQuery>;
export const ImportQuery = Type.Object({ dryRun: Type.Optional(BooleanText) }, strict);
/** `language`: the invitee's (default null: their device decides; the invitation mail is then in the inviting admin's language). */
export const InviteUserBody = Type.Object({ name: PersonName, email: Email, role: Role, language: Type.Optional(LanguageOrDevice) }, strict);
export const ChangeUserBody = Type.Object({ role: Type.Optional(Role), status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('deactivated')])) }, { ...strict, minProperties: 1 });
export const TokenBody = Type.Object({ token: LinkToken }, strict);
export const AcceptInvitationBody = Type.Object({ token: LinkToken, password: Password }, strict);
export const PasswordResetBody = Type.Object(
  {
    account: Type.String({ minLength: 1, maxLength: 64 }),
    email: Type.String({ minLength: 1, maxLength: 254 }),
    /** The desktop app's device token (the web console sends its cookie): a device the user signed in on asks with its own budget. */
    deviceToken: Type.Optional(DeviceToken),
  },
  strict,
);
export const CompleteResetBody = Type.Object({ token: LinkToken, newPassword: Password }, strict);
export const ChangePasswordBody = Type.Object({ currentPassword: Type.String({ minLength: 1, maxLength: 256 }), newPassword: Password }, strict);

// Rolling 2FA out: enrolment codes, security activity, alerts.
export const ENROLLMENT_CODE_MINUTES = { min: 10, max: 10_080, default: 1_440 };
export const IssueEnrollmentCodeBody = Type.Object(
  {
    expiresInMinutes: Type.Optional(
      Type.Integer({ minimum: ENROLLMENT_CODE_MINUTES.min, maximum: ENROLLMENT_CODE_MINUTES.max, description: `Default ${ENROLLMENT_CODE_MINUTES.default} (a day).` }),
    ),
  },
  strict,
);
export const RedeemEnrollmentCodeBody = Type.Object({ code: Type.String({ minLength: 1, maxLength: 32 }) }, strict);
const Cursor = Type.String({ pattern: '^[0-9a-z]{1,64}$' });
export const ActivityQuery = Type.Object({ limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]?|100)$' })), before: Type.Optional(Cursor) }, strict);
export const ActivityParams = Type.Object({ id: Cursor }, strict);

// The audit log's filters, shared by the list and its CSV export.
const IsoTime = Type.String({ minLength: 10, maxLength: 40, description: 'ISO 8601 date or date and time.' });
export const AuditFilterQuery = Type.Object(
  {
    userId: Type.Optional(Id),
    action: Type.Optional(Type.String({ pattern: '^[a-z_.]{1,64}$' })),
    from: Type.Optional(IsoTime),
    to: Type.Optional(IsoTime),
  },
  strict,
);
export type AuditFilterQuery = Static<typeof AuditFilterQuery>;
export const AuditListQuery = Type.Object(
  {
    ...AuditFilterQuery.properties,
    limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]?|1[0-9]{2}|200)$' })),
    before: Type.Optional(Cursor),
  },
  strict,
);
export type AuditListQuery = Static<typeof AuditListQuery>;

// Single sign-on (PRODUCT.md "Enterprise sign-in").
const ProviderName = Type.String({ minLength: 1, maxLength: 80, ...nameRule });
const Issuer = Type.String({ minLength: 8, maxLength: 500, description: 'https (http only on a loopback address); its /.well-known/openid-configuration is read when saved.' });
const ClientId = Type.String({ minLength: 1, maxLength: 500 });
const ClientSecret = Type.String({ minLength: 1, maxLength: 1000, description: 'Sealed at rest; never answered.' });
const AcrValues = Type.Array(Type.String({ minLength: 1, maxLength: 200, ...nameRule }), { maxItems: 20, description: '`acr` values this provider uses for multi-factor sign-ins.' });
const MetadataXml = Type.String({ minLength: 1, maxLength: 60_000, description: "SAML: the identity provider's metadata XML (EntityDescriptor with an IDPSSODescriptor: entity id, single sign-on URL, signing certificates)." });
const TrustMfa = Type.Boolean({ description: "Count a sign-in as both factors when the provider says it did multi-factor (OIDC amr per RFC 8176, or an acr / SAML AuthnContextClassRef in mfaAcrValues)." });
const Jit = Type.Boolean({ description: 'Create an unknown (verified) email as an agent at first sign-in.' });
export const AddIdentityProviderBody = Type.Union([
  Type.Object(
    {
      type: Type.Literal('oidc'),
      name: ProviderName,
      issuer: Issuer,
      clientId: ClientId,
      clientSecret: ClientSecret,
      trustMfa: TrustMfa,
      mfaAcrValues: Type.Optional(AcrValues),
      jitProvisioning: Jit,
    },
    strict,
  ),
  Type.Object(
    {
      type: Type.Literal('saml'),
      name: ProviderName,
      metadataXml: MetadataXml,
      trustMfa: TrustMfa,
      mfaAcrValues: Type.Optional(AcrValues),
      jitProvisioning: Jit,
    },
    strict,
  ),
]);
export const UpdateIdentityProviderBody = Type.Object(
  {
    name: Type.Optional(ProviderName),
    issuer: Type.Optional(Issuer),
    clientId: Type.Optional(ClientId),
    clientSecret: Type.Optional(ClientSecret),
    metadataXml: Type.Optional(MetadataXml),
    trustMfa: Type.Optional(Type.Boolean()),
    mfaAcrValues: Type.Optional(AcrValues),
    jitProvisioning: Type.Optional(Type.Boolean()),
  },
  strict,
);
/** SSO only and its break-glass admins (PRODUCT.md "Enterprise sign-in"). */
export const SignInSettingsBody = Type.Object(
  {
    ssoOnly: Type.Boolean({ description: 'Local sign-in (password, security key alone) refused for everyone but the break-glass admins.' }),
    breakGlassUserIds: Type.Array(Id, { maxItems: 20, description: 'Active admins with a second-factor method; at least one when ssoOnly.' }),
  },
  strict,
);
export const SsoProvidersQuery = Type.Object({ account: AccountSlug }, strict);
export const StartSsoBody = Type.Object(
  {
    account: AccountSlug,
    provider: Id,
    client: Type.Union([Type.Literal('web'), Type.Literal('desktop')]),
    redirectUri: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'Desktop only: http://127.0.0.1:<port>/… (RFC 8252 §7.3).' })),
    codeChallenge: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'Desktop only: the S256 challenge of the verifier its exchange sends.' })),
  },
  strict,
);
/** What the provider sends back: the code and state, or an error (and any parameter of its own). */
export const SsoCallbackQuery = Type.Object(
  {
    state: Type.Optional(Type.String({ maxLength: 500 })),
    code: Type.Optional(Type.String({ maxLength: 4096 })),
    error: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: true },
);
/** What a SAML identity provider posts to our assertion consumer service (HTTP-POST binding, a form). */
export const SamlAcsBody = Type.Object(
  {
    SAMLResponse: Type.String({ minLength: 1, maxLength: 60_000, description: 'The base64 SAML Response.' }),
    RelayState: Type.Optional(Type.String({ maxLength: 500 })),
  },
  strict,
);
export const SamlMetadataParams = Type.Object({ id: Id }, strict);
export const ExchangeSsoCodeBody = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 100 }),
    codeVerifier: Type.String({ pattern: '^[A-Za-z0-9._~-]{43,128}$' }),
    deviceToken: Type.Optional(DeviceToken),
  },
  strict,
);

/** An audit stream's target (server/audit-streams/targets.ts checks the address and scheme). */
export const AddAuditStreamBody = Type.Object(
  {
    type: Type.Union([Type.Literal('webhook'), Type.Literal('syslog')]),
    url: Type.String({ minLength: 1, maxLength: 2048, description: 'https://… for a webhook; tcp://host:port or tls://host:port for syslog.' }),
  },
  strict,
);
/** A SCIM token's name: which identity provider holds it ("Okta", "Entra ID"). */
export const CreateScimTokenBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 80, ...nameRule }) }, strict);

/** GET /account/adoption: `days` 7–365 (default 30); the missing list's page (limit 1–500, default 100). */
const AdoptionDays = Type.String({ pattern: '^(?:[7-9]|[1-9][0-9]|[12][0-9]{2}|3[0-5][0-9]|36[0-5])$', description: 'Days of history, 7 to 365 (default 30).' });
export const AdoptionQuery = Type.Object(
  {
    days: Type.Optional(AdoptionDays),
    missingLimit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]{0,1}|[1-4][0-9]{2}|500)$' })),
    missingOffset: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$' })),
    groupId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: "Only this group's members (today's members, over every day)." })),
  },
  strict,
);
export type AdoptionQuery = Static<typeof AdoptionQuery>;
/** GET /account/adoption/export: `part=days` (default) one row per day, `part=missing` who is still without a method. */
export const AdoptionExportQuery = Type.Object(
  { days: Type.Optional(AdoptionDays), part: Type.Optional(Type.Union([Type.Literal('days'), Type.Literal('missing')])), groupId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })) },
  strict,
);
export type AdoptionExportQuery = Static<typeof AdoptionExportQuery>;

/** Sign-in networks (PRODUCT.md "Authentication policies"): IPv4 or IPv6, one address or a CIDR. */
export const NetworkPolicyBody = Type.Object(
  {
    allowedNetworks: Type.Array(Type.String({ minLength: 1, maxLength: 49 }), {
      maxItems: 100,
      description: 'For example 203.0.113.0/24 or 2001:db8::/32; at most 100; empty allows every network.',
    }),
  },
  strict,
);

/** Whether the session's device is shared (PRODUCT.md "Remembered devices"): the desktop asks once per desk, the web console at the second step. */
export const DeclareDeviceBody = Type.Object(
  { shared: Type.Boolean({ description: 'true: a shared desk (never remembers anyone, for good); false: a personal device.' }) },
  strict,
);

/** Session lifetimes (PRODUCT.md "Authentication policies"), applied to live sessions at once. */
export const SessionPolicyBody = Type.Object(
  {
    idleMinutes: Type.Integer({ minimum: 15, maximum: 720, description: 'Minutes without a request before a session ends: 15 to 720 (12 hours).' }),
    absoluteHours: Type.Integer({ minimum: 1, maximum: 24, description: 'Hours after sign-in when a session ends whatever happens: 1 to 24.' }),
    rememberDeviceDays: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 30, description: 'Days a personal device may skip the second step once its user chose so: 0 (off, the default) to 30. Absent: unchanged.' }),
    ),
  },
  strict,
);

/** The longest MDS3 BLOB taken (the FIDO Alliance's whole BLOB is a few megabytes). */
export const MAX_METADATA_BLOB_CHARS = 10 * 1024 * 1024;

/** Security-key models (PRODUCT.md "Authentication policies"). */
export const SecurityKeyPolicyBody = Type.Object(
  {
    allowedAaguids: Type.Array(Type.String({ pattern: '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$' }), {
      maxItems: 200,
      description: 'The authenticator models (AAGUIDs, e.g. cb69481e-8ff7-4039-93ec-0a2729a154a8) that may be registered; empty: any model the metadata or roots vouch for.',
    }),
    metadata: Type.Union([Type.Literal('none'), Type.Literal('fido_mds'), Type.Literal('own_roots')], {
      description: 'What a key\'s attestation is checked against: nothing (no rule; then allowedAaguids must be empty), the FIDO Metadata Service BLOB, or your own roots.',
    }),
    metadataBlob: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_METADATA_BLOB_CHARS, description: 'An MDS3 BLOB (the JWT from https://mds3.fidoalliance.org/); with fido_mds, absent keeps the one uploaded before.' })),
    trustedRoots: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 16_384 }), { maxItems: 20, description: 'PEM root certificates (own_roots).' })),
    acknowledged: Type.Optional(Type.Boolean({ description: '"I understand": required (acknowledgement_required) when the save signs users out: 2FA is required and the rule leaves them without a method. The preview ignores it.' })),
  },
  strict,
);
