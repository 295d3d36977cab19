// What the API answers, as TypeScript types: the answer half of the contract (the request half
// is contract/schemas.ts; both are tied to each operation in contract/operations.ts). The server's
// handlers must return these shapes (checked when the routes are registered from the contract),
// and both clients and the renderer read them. Types only.
export type Role = 'admin' | 'agent';
/** A language AgentDesk speaks. */
export type Language = 'en' | 'pt-PT' | 'pt-BR' | 'es';
export type MethodType = 'totp' | 'security_key';
export type SessionState = 'two_factor_required' | 'enrollment_required' | 'active';

export interface User {
  id: string;
  name: string;
  email: string;
  role: Role;
  /** The user's own language, kept on the server (emails are in it); null follows the device. */
  language: Language | null;
}

/** A second-factor method; lists arrive last used first. */
export interface Method {
  id: string;
  type: MethodType;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  /** Security keys: registered for sign-in with the key alone, without a password. */
  passwordless?: boolean;
  /** A security key of a model the account's rule no longer accepts: it passes nothing and must be replaced. */
  outsideRule?: boolean;
}

export interface Session {
  state: SessionState;
  expiresAt: string;
  /** When this session last passed a second factor; sensitive changes need it recent. */
  secondFactorAt: string | null;
}

export interface AccountSummary {
  id: string;
  name: string;
  slug: string;
  /** In a user's own answers (sign-in, GET /me): whether 2FA is required *of this user* (the
   * account requires it and its scope holds them). */
  requireTwoFactor: boolean;
  /** Deployment day: when 2FA becomes required (GET /me only), or null. */
  twoFactorScheduledAt?: string | null;
  /** Who may set up a first method at a forced enrolment (GET /me only). */
  enrollment?: EnrollmentPolicy;
  /**
   * With a deployment day and no method (GET /me only): the grace the user will have from that
   * day, their own if an admin already set it, else the account's; null when none will let them
   * postpone. Absent without a deployment day or with a method.
   */
  graceOnDeploymentDay?: Grace | null;
  /** What applies to this user and why (GET /me only): My security's "What applies to you". */
  applies?: Applies;
}

/** The account's authentication policies as they bear on one user (GET /me). */
export interface Applies {
  /**
   * `required`: 2FA is required of this user now. `inScope`: the requirement's scope holds them
   * (so it applies once on, e.g. from the deployment day); why: the scope is everyone, or their
   * `role` is listed (else null), or the listed `groups` they are a member of (names).
   */
  twoFactor: { required: boolean; inScope: boolean; everyone: boolean; role: Role | null; groups: string[] };
  /** Which second factors count. */
  methods: 'any' | 'security_keys';
  /** Under security keys only: recovery codes are still accepted. */
  recoveryCodesUnderKeysOnly: boolean;
  /** Signed out after this many minutes idle, and after this many hours at most. */
  idleMinutes: number;
  absoluteHours: number;
  /** Sign-in networks: no rule, only from the organisation's networks, or exempt (break-glass admin). Never the ranges. */
  signInNetworks: 'none' | 'restricted' | 'exempt';
  /** SSO only, when on: the provider to sign in through (null: not known), or exempt (break-glass admin). */
  ssoOnly: { exempt: boolean; provider: string | null } | null;
  /** Personal devices may skip the second step for this many days (0: off). */
  rememberDeviceDays: number;
}

export type EnrollmentPolicy = 'password' | 'known_device';

/** What a signed-in client knows about itself: answer of sign-in and of session restore. */
export interface CurrentSession {
  session: Session;
  user: User;
  methods: Method[];
  account: AccountSummary;
  /**
   * At the second step (`two_factor_required`) of an account that lets personal devices skip it
   * (`rememberDeviceDays` > 0): the days, and this device as its client declared it (true shared,
   * false personal, null not said). Absent otherwise: remembering is not offered.
   */
  rememberDevice?: RememberDeviceOffer;
  /** The user's grace to postpone enrolment (while they have no method), or null. */
  grace?: Grace | null;
}

/**
 * A user's grace to postpone enrolment: sign-ins left (null: no count, a date only) and until
 * when (null: no end date). Over when signInsLeft is 0 or until has passed.
 */
export interface Grace {
  signInsLeft: number | null;
  until: string | null;
}

/** Remembering offered at the second step: for how many days, and whether this device may be remembered. */
export interface RememberDeviceOffer {
  days: number;
  shared: boolean | null;
}

export interface Me extends CurrentSession {
  recoveryCodesLeft: number;
  /** Unused codes of the old, shorter format remain: the user should generate new ones. */
  recoveryCodesOutdated?: boolean;
  /** At a forced enrolment: false when this device needs an admin's enrolment code first. */
  mayEnrol?: boolean;
}

export interface SignInInput {
  /** The account's short name (slug). */
  account: string;
  email: string;
  password: string;
}

/** Whether this server lets a new account be created (answer of GET /signup). */
export interface SignupStatus {
  /** POST /accounts is open: no account exists yet, or the server has open signup. */
  open: boolean;
  /** No account exists yet: the app opens on account creation. */
  firstRun: boolean;
}

export interface CreateAccountInput {
  name: string;
  slug: string;
  admin: { name: string; email: string; password: string };
}

export type TypedSecondFactor = { method: 'totp'; code: string } | { method: 'recovery_code'; code: string };

export interface AuthenticatorAppSetup {
  id: string;
  /** Base32 secret, shown so it can be typed into an app by hand. */
  secret: string;
  otpauthUri: string;
  /** PNG data URL of the otpauth URI as a QR code. */
  qrCodeDataUrl: string;
}

export interface MethodAdded {
  method: Method;
  /** Present when this was the user's first method: shown once, never again. */
  recoveryCodes?: string[];
  session: Session;
  /** How many other sessions of the user are live: the screen offers to end them (ASVS 7.4.3). */
  otherSessions?: number;
}

/**
 * When a security key must verify its user (PIN or fingerprint): 'discouraged' asks only when
 * the key itself demands it (the default); 'required' always asks. 'preferred' is accepted by
 * the server but not offered by the UI.
 */
export type UserVerificationPolicy = 'discouraged' | 'preferred' | 'required';

/** `any`: authenticator apps and security keys; `security_keys`: security keys only (phishing-resistant). */
export type SecondFactorPolicy = 'any' | 'security_keys';

/** What the account accepts (GET /me/security-policy), for My security and enrolment. */
export interface SecurityPolicy {
  secondFactorPolicy: SecondFactorPolicy;
  /** Sign in with a security key alone is on for this account. */
  passwordlessSignIn: boolean;
  allowedMethods: MethodType[];
}

export interface SecuritySettings {
  requireTwoFactor: boolean;
  userVerification: UserVerificationPolicy;
  passwordlessSignIn: boolean;
  secondFactorPolicy: SecondFactorPolicy;
  /** Under "security keys only", recovery codes still pass the second step (off by default). */
  allowRecoveryCodesUnderKeysOnly?: boolean;
  updatedAt: string | null;
  /** Name and email are null when that admin has since been deleted. */
  updatedBy: { id: string; name: string | null; email: string | null } | null;
  /** Deployment day: when the requirement takes effect, and who set it. */
  scheduledAt?: string | null;
  scheduledBy?: { id: string; name: string | null; email: string | null } | null;
  requiredSince?: string | null;
  enrollment?: EnrollmentPolicy;
  /** Whom the requirement applies to. */
  appliesTo?: RequirementScopeView;
  /** Grace each user who must enrol gets once: sign-ins (0: none) and/or an end date. */
  graceSignIns?: number;
  graceUntil?: string | null;
}

export interface SaveSecuritySettingsInput {
  requireTwoFactor: boolean;
  /** The admin ticked "I understand" under the warning. */
  acknowledged: boolean;
  /** Left out: unchanged. */
  userVerification?: UserVerificationPolicy;
  /** Sign in with a security key alone; left out: unchanged. */
  passwordlessSignIn?: boolean;
  /** Left out: unchanged. Turning on security_keys while 2FA is required needs `acknowledged`. */
  secondFactorPolicy?: SecondFactorPolicy;
  /** Under "security keys only", recovery codes still pass the second step; left out: unchanged. */
  allowRecoveryCodesUnderKeysOnly?: boolean;
  /** Deployment day (ISO time in the future, with requireTwoFactor: true); null cancels; left out: unchanged. */
  startsAt?: string | null;
  /** Left out: unchanged. */
  enrollment?: EnrollmentPolicy;
  /** Whom it applies to: everyone, or chosen roles and groups; left out: unchanged. */
  appliesTo?: { everyone?: boolean; roles?: string[]; groupIds?: string[] };
}

export interface SecuritySettingsSaved {
  requireTwoFactor: boolean;
  signedOutUsers: number;
  revokedSessions: number;
  scheduledAt?: string | null;
}

/** An admin's one-time enrolment code, shown once. */
export interface EnrollmentCode {
  code: string;
  expiresAt: string;
}

export type SecurityActivityKind =
  | 'method_added'
  | 'method_removed'
  | 'recovery_codes_regenerated'
  | 'two_factor_reset'
  | 'password_changed'
  | 'new_device_sign_in'
  | 'enrollment_code_redeemed'
  | (string & {});

/** Something that changed on the user's account (GET /me/security-activity). */
export interface SecurityActivity {
  id: string;
  kind: SecurityActivityKind;
  at: string;
  details: Record<string, unknown>;
  address: string | null;
  userAgent: string | null;
  read: boolean;
  /** When the user answered "This wasn't me". */
  notMeAt: string | null;
}

export interface SecurityActivityPage {
  activity: SecurityActivity[];
  unread: number;
  nextCursor: string | null;
}

/** A "This wasn't me" the admins have not resolved yet. */
export interface SecurityAlert extends SecurityActivity {
  user: { id: string; name: string; email: string };
}

export interface AuditFilter {
  userId?: string;
  action?: string;
  /** ISO times: from inclusive, to exclusive. */
  from?: string;
  to?: string;
}

export interface EnforcementImpact {
  usersWithoutTwoFactor: number;
  sessionsToRevoke: number;
  /** The policy this impact was counted under. */
  secondFactorPolicy?: SecondFactorPolicy;
  /** Under security_keys: how many of them have only an authenticator app. */
  usersWithOnlyAuthenticatorApp?: number;
  /** Of them, the users who last signed in through an identity provider whose MFA is trusted: their provider's MFA counts as 2FA when it did MFA. */
  usersWithTrustedProviderMfa?: number;
  users: { id: string; name: string; email: string; onlyAuthenticatorApp?: boolean; trustedProvider?: string }[];
  /** The scope these counts are of (the stored one, or the one asked about). */
  appliesTo?: AppliesTo;
}

/** Whom "Require two-factor authentication" applies to (a save's and an impact's shape). */
export type AppliesTo = { everyone: true } | { everyone: false; roles: ('admin' | 'agent')[]; groupIds: string[] };

/** The stored scope as the settings page reads it: groups named. */
export interface RequirementScopeView {
  everyone: boolean;
  roles: ('admin' | 'agent')[];
  groups: { id: string; name: string }[];
}

export type UserStatus = 'invited' | 'active' | 'deactivated';

export interface AccountUser extends User {
  status: UserStatus;
  twoFactorEnabled: boolean;
  /** The kinds of method the user has set up. */
  methodTypes: MethodType[];
  methodCount: number;
  createdAt: string;
  lastSignInAt: string | null;
  /** Set while sign-ins from new devices are refused after wrong attempts (an admin may lift it). */
  lockedUntil: string | null;
  /** Has a live session now. */
  signedIn?: boolean;
  /** Without a method: their grace to postpone enrolment, or null. */
  grace?: Grace | null;
  /** The identity provider of the user's last single sign-on, and whether its MFA is trusted (then it can count as 2FA). */
  lastSsoProvider?: { id: string; name: string; trustMfa: boolean } | null;
  /** Named a break-glass admin (keeps password + second factor under SSO only). */
  breakGlass?: boolean;
}

/** The users list's search, filters, sort (`name`, `email`, `lastSignIn`, `created`; `-` first: descending) and page. */
export interface UserListQuery {
  q?: string;
  /** `no_security_key`: whom "security keys only" would sign out. */
  twoFactor?: 'none' | 'totp' | 'security_key' | 'no_security_key';
  /** Only users with (true) or without (false) a live session now. */
  signedIn?: boolean;
  role?: Role;
  status?: UserStatus;
  /** Only users the 2FA requirement's stored scope holds (true) or leaves out (false). */
  inScope?: boolean;
  /** Only members of this group. */
  groupId?: string;
  /** Only users a scope about to be saved holds: comma-separated roles and group ids. */
  scopeRoles?: string;
  scopeGroupIds?: string;
  sort?: string;
  limit?: number;
  offset?: number;
}

export interface UserPage {
  users: AccountUser[];
  /** Every user matching the search and filters, over all pages. */
  total: number;
}

/** Invited by name, email and role: the user chooses their own password from the link. */
export interface NewUserInput {
  name: string;
  email: string;
  role: Role;
}

/** A one-time link sent to a user: emailed, or (no mail configured) `link` for the admin to hand over. */
export interface LinkSent {
  expiresAt: string;
  emailed: boolean;
  link?: string;
}

export interface InvitationSent {
  user: User & { status: UserStatus };
  invitation: LinkSent;
}

export interface UserChange {
  role?: Role;
  status?: 'active' | 'deactivated';
}

export interface UserChanged {
  user: User & { status: UserStatus };
  revokedSessions: number;
}

export interface ImportRowError {
  line: number;
  email: string;
  code: string;
  message: string;
}

/** A bulk invitation's preview (dryRun) or result. */
export interface ImportResult {
  dryRun: boolean;
  counts: { rows: number; valid: number; invalid: number };
  errors?: ImportRowError[];
  emailed?: boolean;
  invitations?: { user: User & { status: UserStatus }; expiresAt: string; link?: string }[];
}

/** Whose invitation a link is, shown before the invitee chooses a password. */
export interface InvitationPreview {
  user: { name: string; email: string };
  account: { name: string; slug: string };
  expiresAt: string;
}

export interface TwoFactorReset {
  removedMethods: number;
  revokedSessions: number;
}

export interface AuditEvent {
  id: string;
  at: string;
  actor: { id: string; name: string; email: string } | null;
  /** The user the entry is about, when not the actor. */
  subject?: { id: string; name: string; email: string } | null;
  action: string;
  details: Record<string, unknown>;
  address?: string | null;
  userAgent?: string | null;
  deviceId?: string | null;
}

/** Where the account's audit log is streamed, and how delivery is going (docs/audit-streaming.md). */
export interface AuditStream {
  id: string;
  type: 'webhook' | 'syslog';
  url: string;
  createdAt: string;
  lastDeliveredAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  /** When the current run of failed attempts began; null once a batch is delivered. */
  failingSince: string | null;
  /** Failing for 24 hours: shown, never dropped. */
  failing: boolean;
  nextAttemptAt: string | null;
  /** Entries written but not yet delivered. */
  pending: number;
}

/** A stream just added: a webhook's signing secret is answered this once. */
export type AuditStreamAdded = AuditStream & { secret?: string };

/** A SCIM provisioning token (server/scim/tokens.ts): never the token itself once created. */
export interface ScimToken {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** A SCIM token just created: the bearer token is answered this once, with the SCIM base URL. */
export type ScimTokenCreated = ScimToken & { token: string };

export interface AuditPage {
  events: AuditEvent[];
  nextCursor: string | null;
}

export type SessionRevokedReason =
  | 'two_factor_required'
  | 'security_key_required'
  | 'two_factor_reset'
  | 'signed_out'
  | 'expired'
  | 'second_factor_added'
  | 'signed_out_elsewhere'
  | 'deactivated'
  | 'password_changed'
  | 'not_me'
  | 'signed_out_by_admin'
  | (string & {});

export interface SessionRevoked {
  reason: SessionRevokedReason;
}

/** Pushed to every open client of the account when an admin saves its security settings. */
export interface AccountUpdated {
  requireTwoFactor: boolean;
}

/** A device the user signed in on (GET /me/devices): whether it is shared, and until when it skips the second step. */
export interface MyDevice {
  id: string;
  /** A short name of the device (e.g. "Firefox on Windows"). */
  name: string;
  /** The device this client is on. */
  current: boolean;
  /** As its client declared it: true shared, false personal, null not said. */
  shared: boolean | null;
  firstSignedInAt: string;
  lastSignedInAt: string;
  /** Until when a password sign-in here skips the second step; null: it is asked. */
  rememberedUntil: string | null;
}

/** POST /sessions/current/remember-device: until when this device skips the second step. */
export interface DeviceRemembered {
  rememberedUntil: string;
  days: number;
}

/** One of the user's own sessions (GET /me/sessions). */
export interface MySession {
  id: string;
  /** The session this client holds. */
  current: boolean;
  state: SessionState;
  /** A short name of the device (e.g. "AgentDesk desktop on Linux", "Firefox on Windows"), if known. */
  device: string | null;
  userAgent: string | null;
  address: string | null;
  createdAt: string;
  lastSeenAt: string | null;
  secondFactorAt: string | null;
}

/** Errors made on the client side, before or instead of a server answer. */
export type ClientErrorCode =
  | 'network_error'
  | 'security_key_cancelled'
  | 'security_key_unavailable'
  /** The key never answered (a wedged firmware): unplugging it is the cure, not touching it. */
  | 'security_key_not_responding'
  | 'security_key_pin_blocked'
  | 'unexpected_response';

/** A sign-in's answer as it travels (POST /sessions, POST /sessions/passkey): main keeps the tokens. */
export interface SignedIn extends CurrentSession {
  token: string;
  /** This device's token: new on its first sign-in, else the one sent. */
  deviceToken?: string;
}

/** WebAuthn options (PublicKeyCredentialCreationOptionsJSON / RequestOptionsJSON, WebAuthn L3). */
export interface WebAuthnOptions {
  challenge: string;
}

/** A security-key sign-in's options: the challenge's id names it in the answer. */
export type PasskeyOptions = WebAuthnOptions & { challengeId: string };

/** An answer that carries a new session token (the old one has ended). */
export interface Rotated {
  token: string;
}

/** An identity provider as admins see it: never its client secret. */
export interface IdentityProvider {
  id: string;
  type: 'oidc' | 'saml';
  name: string;
  /** OIDC: the issuer; SAML: the IdP's entity id (from its metadata). */
  issuer: string;
  clientId: string;
  trustMfa: boolean;
  mfaAcrValues: string[];
  jitProvisioning: boolean;
  createdAt: string;
  updatedAt: string;
  /** SAML: what the admin gives their identity provider (our entity id, which is also our metadata's address, and our ACS). */
  serviceProvider?: { entityId: string; acsUrl: string };
}

/** The stable names of a provider test's checks (POST /account/identity-providers/{id}/test). */
export type ProviderCheckName =
  | 'oidc.discovery'
  | 'oidc.issuer'
  | 'oidc.authorization_endpoint'
  | 'oidc.token_endpoint'
  | 'oidc.client_credentials'
  | 'oidc.jwks'
  | 'saml.metadata'
  | 'saml.signing_certificate'
  | 'saml.sso_url'
  | 'saml.service_provider';

/** One check of a provider test. */
export interface ProviderCheck {
  check: ProviderCheckName;
  /** true passed, false failed, null not run or not conclusive (the detail says why). */
  ok: boolean | null;
  /** What was seen, in plain technical terms (an address, an HTTP status, a key id, a library's error). */
  detail: string;
  /** Passed, but needs attention soon (a signing certificate that expires within 30 days). */
  warning?: boolean;
  /** The signing certificate check: when the certificate in use expires. */
  expiresAt?: string;
}

/** A provider test: every check, and whether none failed. */
export interface ProviderTest {
  providerId: string;
  /** No check failed (a check not run or not conclusive does not fail the test). */
  ok: boolean;
  testedAt: string;
  checks: ProviderCheck[];
}

/** SSO only and the admins who keep password + second factor under it. */
export interface SignInSettings {
  ssoOnly: boolean;
  breakGlassUserIds: string[];
}

/** The sign-in screen's "Sign in with <name>" buttons. */
export interface SsoProviderChoice {
  id: string;
  name: string;
}

/** One day of GET /account/adoption: the state at the end of that UTC day (today: now). */
export interface AdoptionDay {
  /** The UTC day, YYYY-MM-DD. */
  date: string;
  /** Users who are not deactivated (active, or invited and not yet signed up). */
  users: number;
  /** Of them, with at least one method. */
  withAnyMethod: number;
  /** With an authenticator app; a user with an app and a key counts here and in `withSecurityKey`. */
  withAuthenticatorApp: number;
  withSecurityKey: number;
  /** With both kinds (counted in each of the two above). */
  withBoth: number;
}

/** The split now: each user in exactly one bucket. */
export interface AdoptionSplit {
  authenticatorAppOnly: number;
  securityKeyOnly: number;
  both: number;
  none: number;
}

/** A user still without a method the account accepts. */
export interface MissingUser {
  id: string;
  name: string;
  email: string;
  status: UserStatus;
}

/** GET /account/adoption: 2FA adoption over time, the split now, and the deployment day's progress. */
export interface Adoption {
  days: AdoptionDay[];
  split: AdoptionSplit;
  /** The second-factor policy "missing" is counted under (under security_keys an app alone is missing). */
  secondFactorPolicy: SecondFactorPolicy;
  /** Whether 2FA is required now. */
  requireTwoFactor: boolean;
  /** When a deployment day is scheduled, else null. */
  deploymentDay: {
    scheduledAt: string;
    /** Users the requirement will apply to: every user not deactivated. */
    inScope: number;
    /** In scope and still without an accepted method: the total, and one page of them by name. */
    missing: { total: number; limit: number; offset: number; users: MissingUser[] };
  } | null;
  /** Per-group figures come with groups (issue 21); absent until then. */
  byGroup?: never;
}

/** The networks an account allows sign-in from; empty is every network. */
export interface NetworkPolicy {
  allowedNetworks: string[];
}

/** How long an account's sessions live. */
export interface SessionPolicy {
  idleMinutes: number;
  absoluteHours: number;
  /** Days a personal device may skip the second step (0: off). */
  rememberDeviceDays: number;
}

export interface SessionPolicySaved extends SessionPolicy {
  /** Live sessions already past their new deadline, ended at once. */
  endedSessions: number;
}

/** Which security-key models an account accepts, and what their attestation is checked against. */
export interface SecurityKeyPolicy {
  allowedAaguids: string[];
  metadata: 'none' | 'fido_mds' | 'own_roots';
  trustedRoots: string[];
  /** The MDS3 BLOB in use (fido_mds): its serial, next update (YYYY-MM-DD) and FIDO2 models. */
  metadataBlob: { no: number; nextUpdate: string; models: number; uploadedAt: string } | null;
  /** fido_mds: the allowed models' names as the BLOB gives them, by AAGUID. */
  modelNames?: Record<string, string>;
}

export interface SecurityKeyPolicySaved extends SecurityKeyPolicy {
  /** Security keys already registered that the rule would not accept today (never attested, another model, or revoked): they must be replaced. */
  keysOutsideRule: number;
  /** Users whom those keys leave without a method the account accepts. */
  usersWithoutMethod: number;
  /** Of those, the users signed out at once, to set up a new method at next sign-in: all of them while 2FA is required. */
  signedOutUsers: number;
  /** The save only: the sessions it ended. */
  revokedSessions?: number;
}

/** A group of users (PRODUCT.md "Authentication policies"; server/groups/groups.ts). */
export interface Group {
  id: string;
  name: string;
  /** The identity provider's id for it, when SCIM pushed it. */
  externalId: string | null;
  createdAt: string;
  memberCount: number;
}

/** What replacing a group's members did. */
export interface GroupMembersChanged {
  added: number;
  removed: number;
  memberCount: number;
  /** Sessions ended because a user without a method came under the requirement. */
  revokedSessions: number;
}
