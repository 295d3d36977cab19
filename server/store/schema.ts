// The tables, as Kysely sees them. Times are integer milliseconds since the epoch and booleans
// are 0/1 so that every query reads the same on SQLite and PostgreSQL.
import type { Language } from '../mail/languages.js';
import type { Generated } from 'kysely';

export interface AccountsTable {
  id: string;
  name: string;
  slug: string;
  require_two_factor: number;
  user_verification: 'discouraged' | 'preferred' | 'required';
  settings_updated_at: number | null;
  settings_updated_by: string | null;
  created_at: number;
  /** Deployment day (enforcement/schedule.ts): when the requirement takes effect, and who set it. */
  two_factor_scheduled_at: Generated<number | null>;
  two_factor_scheduled_by: Generated<string | null>;
  /** The scheduling admin's name and email as they were when the day was set: the entry written
   * when it fires names them even if they were deleted meanwhile. */
  two_factor_scheduled_by_name: Generated<string | null>;
  two_factor_scheduled_by_email: Generated<string | null>;
  /** When the requirement last took effect: devices used before it are known devices. */
  two_factor_required_since: Generated<number | null>;
  /** Who may set up a first method at a forced enrolment (enforcement/enrollment-policy.ts). */
  enrollment_policy: Generated<'password' | 'known_device'>;
  /** Sign in with a security key alone (second-factors/passkeys.ts); 0 by default. Optional here
   * (the column has a default) so rows built without it stay valid. */
  passwordless_sign_in?: number;
  /** Which methods pass the second step (second-factors/policy.ts); 'any' by default. */
  second_factor_policy?: 'any' | 'security_keys';
  /** Under "security keys only", whether recovery codes still pass the second step (0 by default; policy.ts). */
  allow_recovery_codes_under_keys_only?: number;
  /** Sign-in networks (sessions/sign-in-networks.ts): a JSON array of CIDRs, or null for no rule. */
  allowed_networks?: string | null;
  /** Session lifetimes set by the admin (sessions/session-policy.ts); null: the server's defaults. */
  session_idle_minutes?: number | null;
  session_absolute_hours?: number | null;
  /** Remembered personal devices (sessions/remembered-devices.ts): days a remembrance lasts; 0 (the default) is off. */
  remember_device_days?: number;
  /** Whom "Require two-factor authentication" applies to (enforcement/requirement-scope.ts): 1 (the
   * default) everyone; 0 the roles and groups listed in two_factor_scope_roles / _groups. */
  two_factor_scope_everyone?: number;
  /** Grace (enforcement/grace.ts): postponements each user gets when they first must enrol; 0: none. */
  grace_sign_ins?: number;
  /** Grace until this time (milliseconds), or null. */
  grace_until?: number | null;
  /** SSO only (sso/sign-in-settings.ts): local sign-in refused for all but break-glass admins; 0 by default. */
  sso_only?: number;
}

export interface UsersTable {
  id: string;
  account_id: string;
  name: string;
  email: string;
  password_hash: string;
  role: 'admin' | 'agent';
  /** Kept in step with confirmed methods so enforcement finds users without 2FA by index. */
  has_two_factor: number;
  created_at: number;
  /** Until when sign-ins from devices this user has not used are refused (see sessions/throttling.ts). */
  locked_until: number | null;
  /** Kept in step with confirmed security keys, so "security keys only" finds users without one by index. */
  has_security_key?: number;
  /** Kept in step with confirmed authenticator apps (second-factors/method-flags.ts), for the users list. */
  has_totp?: number;
  /** `invited` until the invitation is accepted (no usable password: password_hash is ''),
   * `deactivated` by an admin (people/lifecycle.ts). Optional here: the column has a default. */
  status?: UserStatus;
  /** The last accepted password step (people/users.ts recordSignIn). */
  last_sign_in_at?: number | null;
  /** en, pt-PT, pt-BR or es; null follows the device (people/language.ts). Emails are in it. */
  language?: Language | null;
  /** Named a break-glass admin (sso/sign-in-settings.ts): keeps password + second factor under SSO only, exempt from sign-in networks. */
  break_glass?: number;
  /** The identity provider of the user's last SSO sign-in (sessions/strategies/sso.ts); null: never. */
  last_sso_provider_id?: string | null;
  /** The identity provider's id for this user, set by SCIM provisioning (server/scim/). */
  scim_external_id?: string | null;
  /** 'sso' or 'scim' when an identity provider brought the user (people/provisioning.ts). */
  provisioned_via?: 'sso' | 'scim' | null;
}

export type UserStatus = 'invited' | 'active' | 'deactivated';

/** A one-time link sent to a user: an invitation or a password reset (people/links.ts). */
export interface UserLinksTable {
  id: string;
  account_id: string;
  user_id: string;
  purpose: 'invitation' | 'password_reset';
  /** SHA-256 of the 256-bit token; the token itself is only in the link. */
  token_hash: string;
  created_at: number;
  /** The admin who sent it; null when the user asked for a reset themselves. */
  created_by: string | null;
  expires_at: number;
}

export interface MethodsTable {
  id: string;
  user_id: string;
  account_id: string;
  type: 'totp' | 'security_key';
  name: string;
  confirmed: number;
  created_at: number;
  last_used_at: number | null;
  totp_secret: string | null;
  totp_last_step: number | null;
  credential_id: string | null;
  public_key: string | null;
  sign_count: number | null;
  transports: string | null;
  /** Set when a sign counter went backwards: the key may have been cloned. */
  clone_warning_at: number | null;
  /** While unconfirmed: the session that started adding it, the only one that may confirm it. */
  session_id: string | null;
  /** 1: a discoverable credential registered with user verification, for sign-in without a password. */
  discoverable?: number;
  /** The key's model (AAGUID) when its attestation was verified at registration; null: never attested. */
  aaguid?: string | null;
  /** 1: the account's security-key rule refuses this key today (set at each rule save); it counts as no method. */
  outside_rule?: number;
}

/** An account's security-key model rule (second-factors/key-models.ts); no row: any key. */
export interface SecurityKeyPoliciesTable {
  account_id: string;
  /** JSON array of lower-case AAGUIDs; empty: any model the trust anchors vouch for. */
  allowed_aaguids: string;
  metadata: 'none' | 'fido_mds' | 'own_roots';
  /** JSON array of PEM certificates (own_roots). */
  trusted_roots: string | null;
  /** The verified MDS3 BLOB's serial, next update (YYYY-MM-DD) and FIDO2 entries, trimmed (JSON). */
  blob_no: number | null;
  blob_next_update: string | null;
  blob_entries: string | null;
  blob_uploaded_at: number | null;
  updated_at: number;
  updated_by: string | null;
}

/** A passkey sign-in's challenge: no session exists yet, so it is a row of its own, taken once. */
export interface PasskeyChallengesTable {
  id: string;
  account_slug: string;
  challenge: string;
  expires_at: number;
}

export interface RecoveryCodesTable {
  id: string;
  user_id: string;
  code_hash: string;
  used_at: number | null;
  /** 1: a 24-character code (~118.9 bits); 0: one of the 10-character codes issued before (recovery-codes.ts). */
  strong?: number;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  account_id: string;
  state: 'two_factor_required' | 'enrollment_required' | 'active';
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  second_factor_at: number | null;
  /** When the password was last entered in this session (sign-in or re-entry); null for a passkey sign-in. */
  password_at: number | null;
  revoked_at: number | null;
  revoked_reason: string | null;
  client_address: string | null;
  user_agent: string | null;
  /** The device (sessions/devices.ts) the sign-in came from. */
  device_id: string | null;
  /** The password sign-in skipped the second step through a remembered device (never a second factor). */
  remembered_at?: number | null;
  /** Active without enrolling: the user postponed enrolment (enforcement/grace.ts). Never a factor. */
  postponed_at?: number | null;
  /** A postponed session's end: its user's grace's end date (null: a grace by count only). Past it the session ends while 2FA is required of them. */
  postponed_until?: number | null;
}

export interface ChallengesTable {
  id: string;
  session_id: string;
  /** passkey_registration: a key being added for sign-in without a password (second-factors/passkeys.ts). */
  purpose: 'registration' | 'authentication' | 'passkey_registration';
  challenge: string;
  expires_at: number;
}

/** One limit, named by what it keys on (see sessions/throttling.ts). */
export interface ThrottlesTable {
  key: string;
  /** The user the limit belongs to (sessions/throttling.ts `userKind`), so their locks are found by id. */
  user_id: string | null;
  /** Wrong secrets since the last success, forgotten after a quiet period. */
  failures: number;
  /** Attempts reserved and not yet finished: parallel guesses count before they are checked. */
  in_flight: number;
  reserved_at: number;
  last_failure_at: number | null;
  locked_until: number | null;
}

/** A desktop app or browser, known by the hash of the long-lived token it keeps. Never a factor. */
export interface DevicesTable {
  id: string;
  token_hash: string;
  created_at: number;
  last_seen_at: number;
  created_address: string | null;
  last_address: string | null;
  user_agent: string | null;
  /** Declared by the client (sessions/remembered-devices.ts): null not yet, 1 shared (for good), 0 personal. Optional: the column may be absent from rows built in code. */
  shared?: number | null;
}

/** A personal device a user chose not to be asked the second step on, until expires_at. */
export interface RememberedDevicesTable {
  device_id: string;
  user_id: string;
  account_id: string;
  created_at: number;
  expires_at: number;
}

/** The users who completed a sign-in on a device: to them it is a known device. */
export interface DeviceUsersTable {
  device_id: string;
  user_id: string;
  account_id: string;
  first_signed_in_at: number;
  last_signed_in_at: number;
}

export interface AuditEventsTable {
  /** Time-ordered, so the newest-first page is an index scan on the id. */
  id: string;
  account_id: string;
  actor_id: string | null;
  action: string;
  details: string;
  at: number;
  /** The user the entry is about, when not the actor (a reset, an issued enrolment code). */
  subject_user_id: string | null;
  /** The actor's and the subject's name and email as they were when the entry was written, so
   * the log still says who after a user is deleted (audit/audit.ts). */
  actor_name: string | null;
  actor_email: string | null;
  subject_name: string | null;
  subject_email: string | null;
  /** The request it came from: client address, device and user agent. */
  address: string | null;
  user_agent: string | null;
  device_id: string | null;
}

/** An admin's one-time code that lets one enrollment_required session set up a first method. */
export interface EnrollmentCodesTable {
  id: string;
  account_id: string;
  user_id: string;
  /** HMAC of the code (a key derived from the server secret). */
  code_hash: string;
  created_by: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  /** The session that redeemed it: that session may enrol. */
  used_session_id: string | null;
}

/** What changed on a user's account, told to them (notifications/security-activity.ts). */
export interface SecurityNotificationsTable {
  id: string;
  account_id: string;
  user_id: string;
  kind: string;
  details: string;
  address: string | null;
  user_agent: string | null;
  created_at: number;
  /** The Accept-Language of the request that caused it: the mail's language for a user without one. */
  language?: Language | null;
  read_at: number | null;
  /** "This wasn't me": the user's sessions were ended and the admins alerted. */
  not_me_at: number | null;
  alert_resolved_at: number | null;
  alert_resolved_by: string | null;
  /** When the email about it was handed to the mail server (claimed once across instances). */
  mailed_at: number | null;
  /** When the admins' email about a "This wasn't me" was claimed for sending (once across instances). */
  admins_mailed_at: number | null;
}

/** Where an account's audit entries are streamed (audit-streams/): a signed webhook or syslog. */
export interface AuditStreamsTable {
  id: string;
  account_id: string;
  type: 'webhook' | 'syslog';
  url: string;
  /** The webhook's signing secret, sealed with the server key (crypto/secret-box.ts); null for syslog. */
  secret: string | null;
  created_at: number;
  created_by: string | null;
  /** Delivery state, shown to admins. */
  last_delivered_at: number | null;
  last_error: string | null;
  last_error_at: number | null;
  /** When the current run of failed deliveries began; null while delivering. */
  failing_since: number | null;
  /** Failed attempts in a row: the back-off grows with it. */
  attempts: number;
  next_attempt_at: number | null;
  /** The instance delivering this stream and until when (one claimant across instances). */
  lease_owner: string | null;
  lease_until: number | null;
}

/** One row per audit entry per stream of its account, written with the entry, deleted once delivered. */
export interface AuditOutboxTable {
  stream_id: string;
  event_id: string;
  created_at: number;
}

/** A SCIM provisioning token of an account (scim/tokens.ts): shown once, stored as its SHA-256. */
export interface ScimTokensTable {
  id: string;
  account_id: string;
  name: string;
  token_hash: string;
  created_at: number;
  created_by: string | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** An account's identity provider (sso/identity-providers.ts). */
export interface IdentityProvidersTable {
  id: string;
  account_id: string;
  /** 'oidc' (OpenID Connect) or 'saml' (SAML 2.0). */
  type: 'oidc' | 'saml';
  name: string;
  issuer: string | null;
  client_id: string | null;
  /** Sealed with the secret box (crypto/secret-box.ts); never answered. */
  client_secret: string | null;
  /** 1: an SSO sign-in counts as both factors when the provider says it did more than one. */
  trust_mfa: number;
  /** JSON array of `acr` values the admin counts as multi-factor. */
  mfa_acr_values: string;
  /** 1: an unknown verified email is created as an agent at first sign-in. */
  jit_provisioning: number;
  created_at: number;
  updated_at: number;
  /** SAML: the IdP's metadata XML as the admin gave it (null for OpenID Connect). */
  metadata_xml?: string | null;
}

/** A SAML assertion already accepted (sso/saml.ts): refused if it comes again before it expires. */
export interface SamlAssertionsTable {
  provider_id: string;
  assertion_id: string;
  expires_at: number;
}

/** An SSO sign-in in flight (sessions/strategies/sso.ts): one authorization request, one use. */
export interface SsoRequestsTable {
  id: string;
  /** SHA-256 of the state sent to the provider. */
  state_hash: string;
  account_id: string;
  provider_id: string;
  client: 'web' | 'desktop';
  nonce: string;
  /** The PKCE verifier, sealed. */
  code_verifier: string;
  /** Desktop: its loopback redirect. */
  redirect_uri: string | null;
  /** Desktop: the S256 challenge its exchange must answer. */
  code_challenge: string | null;
  /** Web: the device the console presented when it started. */
  device_id: string | null;
  /** Web: SHA-256 of the value of the cookie set on the browser that started it (login CSRF). */
  browser_hash: string | null;
  created_at: number;
  expires_at: number;
  /** When the callback spent it. */
  used_at: number | null;
  /** Desktop, after the callback: whom it signed in and what the provider said. */
  user_id: string | null;
  mfa_trusted: number | null;
  amr: string | null;
  acr: string | null;
  exchange_code_hash: string | null;
  exchange_expires_at: number | null;
  exchange_used_at: number | null;
}

/** One user's grace (enforcement/grace.ts): granted once, spent one sign-in at a time, set by an admin. */
export interface UserGraceTable {
  user_id: string;
  account_id: string;
  /** Postponements left; null: no limit on the count (grace until a date only). */
  sign_ins_left: number | null;
  /** Grace ends at this time (milliseconds); null: no end date (grace by count only). */
  until: number | null;
  granted_at: number;
  updated_at: number;
}

export interface Database {
  accounts: AccountsTable;
  users: UsersTable;
  methods: MethodsTable;
  recovery_codes: RecoveryCodesTable;
  sessions: SessionsTable;
  challenges: ChallengesTable;
  passkey_challenges: PasskeyChallengesTable;
  throttles: ThrottlesTable;
  audit_events: AuditEventsTable;
  devices: DevicesTable;
  device_users: DeviceUsersTable;
  remembered_devices: RememberedDevicesTable;
  enrollment_codes: EnrollmentCodesTable;
  security_notifications: SecurityNotificationsTable;
  user_links: UserLinksTable;
  identity_providers: IdentityProvidersTable;
  sso_requests: SsoRequestsTable;
  saml_assertions: SamlAssertionsTable;
  audit_streams: AuditStreamsTable;
  audit_outbox: AuditOutboxTable;
  security_key_policies: SecurityKeyPoliciesTable;
  user_grace: UserGraceTable;
  scim_tokens: ScimTokensTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  two_factor_scope_roles: TwoFactorScopeRolesTable;
  two_factor_scope_groups: TwoFactorScopeGroupsTable;
}

/** A group of users of one account (groups/groups.ts), made by an admin or pushed by SCIM. */
export interface GroupsTable {
  id: string;
  account_id: string;
  name: string;
  /** The name in lower case: unique per account. */
  name_key: string;
  /** The identity provider's id for it (SCIM), if it came from there. */
  external_id: string | null;
  created_at: number;
}

export interface GroupMembersTable {
  group_id: string;
  user_id: string;
  /** Copies of the user's flags, kept by the store's triggers (migrations.ts groupMemberFlags) and groups/member-flags.ts only. */
  has_two_factor: Generated<number>;
  has_security_key: Generated<number>;
}

/** The roles "Require two-factor authentication" applies to when not everyone. */
export interface TwoFactorScopeRolesTable {
  account_id: string;
  role: 'admin' | 'agent';
}

/** The groups "Require two-factor authentication" applies to when not everyone. */
export interface TwoFactorScopeGroupsTable {
  account_id: string;
  group_id: string;
}

export type { Generated };
