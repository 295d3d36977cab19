// The AgentDesk API, every operation once (base /api/v1; PRODUCT.md "HTTP API contract"). The
// server registers each route from its entry here (server/http/routes/), both HTTP clients call
// it from here (contract/http-client.ts: main/server-client.ts for the desktop,
// renderer/src/api/web-api.ts for the web console), the renderer's bridge exposes one function
// per operation under the same name (preload/agentdesk-api.ts), and main checks the renderer's
// arguments with the same schemas (main/ipc-contract.ts). A path, a schema or an answer type
// is written here and nowhere else.
import type {
  AccountSummary,
  Adoption,
  AuditPage,
  AuditStream,
  AuditStreamAdded,
  ScimToken,
  ScimTokenCreated,
  Group,
  GroupMembersChanged,
  AuthenticatorAppSetup,
  CurrentSession,
  EnforcementImpact,
  EnrollmentCode,
  Grace,
  IdentityProvider,
  ProviderTest,
  ImportResult,
  InvitationPreview,
  InvitationSent,
  Language,
  LinkSent,
  Me,
  Method,
  MethodAdded,
  MySession,
  MyDevice,
  DeviceRemembered,
  NetworkPolicy,
  SignInSettings,
  SessionPolicy,
  SessionPolicySaved,
  SecurityKeyPolicy,
  SecurityKeyPolicySaved,
  PasskeyOptions,
  Rotated,
  SecurityActivityPage,
  SecurityAlert,
  SecurityPolicy,
  SecuritySettings,
  SecuritySettingsSaved,
  Session,
  SignedIn,
  SignupStatus,
  SsoProviderChoice,
  TwoFactorReset,
  User,
  UserChanged,
  UserPage,
  WebAuthnOptions,
} from './answers.js';
import { csv, CsvBody, events, json, none, operation, redirect, xml, type AnyInput, type CallOf, type Operation } from './operation.js';
import {
  AcceptInvitationBody,
  AddIdentityProviderBody,
  AddAuditStreamBody,
  CreateScimTokenBody,
  AdoptionExportQuery,
  AdoptionQuery,
  ActivityParams,
  ActivityQuery,
  AddSecurityKeyBody,
  AddTotpBody,
  AuditFilterQuery,
  AuditListQuery,
  ChangePasswordBody,
  ChangeUserBody,
  CompleteResetBody,
  ConfirmPasswordBody,
  ConfirmTotpBody,
  CreateAccountBody,
  DeclareDeviceBody,
  EmptyBody,
  GroupBody,
  GroupMembersBody,
  ExchangeSsoCodeBody,
  SamlAcsBody,
  SamlMetadataParams,
  ExportUsersQuery,
  IdParams,
  NetworkPolicyBody,
  SignInSettingsBody,
  SessionPolicyBody,
  SecurityKeyPolicyBody,
  ImpactQuery,
  ImportQuery,
  InviteUserBody,
  IssueEnrollmentCodeBody,
  UserGraceBody,
  ListUsersQuery,
  MAX_IMPORT_ROWS,
  PasskeyOptionsBody,
  PasskeySignInBody,
  PasswordResetBody,
  RedeemEnrollmentCodeBody,
  RenameMethodBody,
  SetLanguageBody,
  SecondFactorBody,
  SecurityKeyOptionsBody,
  SecuritySettingsBody,
  SignInBody,
  SsoCallbackQuery,
  SsoProvidersQuery,
  StartSsoBody,
  TokenBody,
  UpdateIdentityProviderBody,
} from './schemas.js';

export const operations = {
  // ---- Accounts
  getSignupStatus: operation({
    method: 'GET', path: '/signup', access: 'public', tags: ['accounts'],
    summary: 'Whether POST /accounts is open (first run, or open signup)',
    answer: json<SignupStatus>(),
  }),
  createAccount: operation({
    method: 'POST', path: '/accounts', access: 'public', tags: ['accounts'],
    summary: 'Create an account and its first admin',
    body: CreateAccountBody, status: 201,
    answer: json<{ account: AccountSummary; user: User }>(),
  }),

  // ---- Sessions: sign-in, the second step, sign-out
  signIn: operation({
    method: 'POST', path: '/sessions', access: 'public', tags: ['sessions'],
    summary: 'Sign in with account, email and password',
    body: SignInBody, status: 201, internal: true,
    answer: json<SignedIn>(),
  }),
  getCurrentSession: operation({
    method: 'GET', path: '/sessions/current', access: 'anySession', tags: ['sessions'],
    summary: 'The current session, in any state',
    internal: true,
    answer: json<CurrentSession>(),
  }),
  securityKeyOptions: operation({
    method: 'POST', path: '/sessions/current/security-key-options', access: 'secondStep', tags: ['sessions'],
    summary: 'WebAuthn request options for the second step',
    body: EmptyBody, internal: true,
    answer: json<WebAuthnOptions>(),
  }),
  passSecondFactor: operation({
    method: 'POST', path: '/sessions/current/second-factor', access: 'secondStep', tags: ['sessions'],
    summary: 'Pass the second step (also re-authentication): answers a new token, the old one ends',
    body: SecondFactorBody, rotatesToken: true,
    answer: json<Rotated & { session: Session }>(),
  }),
  // Remembered personal devices (server/sessions/remembered-devices.ts). Remembering is a
  // sensitive change: it needs the factor just passed (a remembered session cannot renew itself).
  declareCurrentDevice: operation({
    method: 'PUT', path: '/sessions/current/device', access: 'anySession', tags: ['sessions'],
    summary: 'Say whether this device is shared (shared: never remembered, for good) or personal',
    body: DeclareDeviceBody,
    answer: json<{ shared: boolean }>(),
  }),
  rememberDevice: operation({
    method: 'POST', path: '/sessions/current/remember-device', access: 'userSensitive', tags: ['sessions'],
    summary: "Don't ask the second step again on this personal device for the account's N days (never a factor for sensitive changes)",
    body: EmptyBody,
    answer: json<DeviceRemembered>(),
  }),
  confirmPassword: operation({
    method: 'POST', path: '/sessions/current/password', access: 'enrollment', tags: ['sessions'],
    summary: 'Enter my password again (before adding my first method): answers a new token',
    body: ConfirmPasswordBody, rotatesToken: true,
    answer: json<Rotated & { session: Session; passwordAt: string | null }>(),
  }),
  redeemEnrollmentCode: operation({
    method: 'POST', path: '/sessions/current/enrollment-code', access: 'enrollment', tags: ['sessions'],
    summary: "Redeem an admin's one-time enrolment code: this session may then set up a first method",
    body: RedeemEnrollmentCodeBody,
    answer: json<{ mayEnrol: true }>(),
  }),
  postponeEnrolment: operation({
    method: 'POST', path: '/sessions/current/postpone-enrolment', access: 'enrollment', tags: ['sessions'],
    summary: "Not now: spend one sign-in of my grace and go on without enrolling (an enrolment session only): answers a new token, the old one ends",
    body: EmptyBody, rotatesToken: true,
    answer: json<Rotated & { session: Session; grace: Grace | null }>(),
  }),
  signOut: operation({
    method: 'DELETE', path: '/sessions/current', access: 'anySession', tags: ['sessions'],
    summary: 'Sign out',
    internal: true,
    answer: none,
  }),
  passkeyOptions: operation({
    method: 'POST', path: '/sessions/passkey-options', access: 'public', tags: ['sessions'],
    summary: 'WebAuthn request options to sign in with a security key alone',
    body: PasskeyOptionsBody, internal: true,
    answer: json<PasskeyOptions>(),
  }),
  signInWithPasskey: operation({
    method: 'POST', path: '/sessions/passkey', access: 'public', tags: ['sessions'],
    summary: 'Sign in with a security key alone (both factors)',
    body: PasskeySignInBody, status: 201, internal: true,
    answer: json<SignedIn>(),
  }),
  listSsoProviders: operation({
    method: 'GET', path: '/sessions/sso-providers', access: 'public', tags: ['sessions'],
    summary: "The account's identity providers for the sign-in screen: ids and names only",
    query: SsoProvidersQuery,
    answer: json<{ providers: SsoProviderChoice[] }>(),
  }),
  startSsoSignIn: operation({
    method: 'POST', path: '/sessions/sso', access: 'public', tags: ['sessions'],
    summary: "Start single sign-on with one of the account's identity providers: the provider's authorization URL (code flow, PKCE S256, state and nonce kept server-side)",
    body: StartSsoBody, internal: true,
    answer: json<{ authorizationUrl: string }>(),
  }),
  ssoCallback: operation({
    method: 'GET', path: '/sso/oidc/callback', access: 'public', tags: ['sessions'],
    summary: "The OpenID provider's redirect: web, the session cookie and on to the console; desktop, a one-time code to its loopback redirect",
    query: SsoCallbackQuery, internal: true,
    answer: redirect,
  }),
  samlAcs: operation({
    method: 'POST', path: '/sso/saml/acs', access: 'public', tags: ['sessions'],
    summary: "The SAML identity provider's POST (assertion consumer service): web, the session cookie and on to the console; desktop, a one-time code to its loopback redirect",
    body: SamlAcsBody, formBody: true, internal: true,
    answer: redirect,
  }),
  samlMetadata: operation({
    method: 'GET', path: '/sso/saml/metadata/:id', access: 'public', tags: ['sessions'],
    summary: "Our service-provider metadata for one SAML identity provider (its entity id is this URL; the ACS URL; assertions must be signed), for the admin to give their IdP",
    params: SamlMetadataParams, internal: true,
    answer: xml,
  }),
  exchangeSsoCode: operation({
    method: 'POST', path: '/sessions/sso/exchange', access: 'public', tags: ['sessions'],
    summary: "The desktop's one-time single sign-on code and PKCE verifier for a session (as POST /sessions)",
    body: ExchangeSsoCodeBody, status: 201, internal: true,
    answer: json<SignedIn>(),
  }),
  events: operation({
    method: 'GET', path: '/events', access: 'anySession', tags: ['sessions'],
    summary: 'Server-sent events for this session (session.revoked, account.updated, reconnect)',
    internal: true,
    answer: events,
  }),

  // ---- Me: my methods, recovery codes, sessions, password, activity
  getMe: operation({
    method: 'GET', path: '/me', access: 'enrollment', tags: ['me'],
    summary: 'The user, their methods, recovery codes left, the account setting',
    answer: json<Me>(),
  }),
  getSecurityPolicy: operation({
    method: 'GET', path: '/me/security-policy', access: 'enrollment', tags: ['me'],
    summary: "The account's second-factor policy and whether keys may sign in alone",
    answer: json<SecurityPolicy>(),
  }),
  startAuthenticatorApp: operation({
    method: 'POST', path: '/me/methods/totp', access: 'enrollmentSensitive', tags: ['me'],
    summary: 'Start adding an authenticator app',
    body: AddTotpBody, status: 201,
    answer: json<AuthenticatorAppSetup>(),
  }),
  confirmAuthenticatorApp: operation({
    method: 'POST', path: '/me/methods/totp/:id/confirm', access: 'enrollmentSensitive', tags: ['me'],
    summary: 'Confirm an authenticator app with a current code (answers a new token)',
    params: IdParams, body: ConfirmTotpBody, rotatesToken: true,
    answer: json<Rotated & MethodAdded>(),
  }),
  securityKeyRegistrationOptions: operation({
    method: 'POST', path: '/me/methods/security-keys/options', access: 'enrollmentSensitive', tags: ['me'],
    summary: 'WebAuthn creation options for adding a security key (passwordless: for sign-in with the key alone)',
    body: SecurityKeyOptionsBody, internal: true,
    answer: json<WebAuthnOptions>(),
  }),
  registerSecurityKey: operation({
    method: 'POST', path: '/me/methods/security-keys', access: 'enrollmentSensitive', tags: ['me'],
    summary: 'Add a security key',
    body: AddSecurityKeyBody, status: 201, rotatesToken: true, internal: true,
    answer: json<Rotated & MethodAdded>(),
  }),
  setMyLanguage: operation({
    method: 'PUT', path: '/me/language', access: 'user', tags: ['me'],
    summary: 'Choose my language (null: follow the device); it follows me to another desk and emails to me are in it',
    body: SetLanguageBody,
    answer: json<{ language: Language | null }>(),
  }),
  renameMethod: operation({
    method: 'PATCH', path: '/me/methods/:id', access: 'user', tags: ['me'],
    summary: 'Rename a method',
    params: IdParams, body: RenameMethodBody,
    answer: json<{ method: Method }>(),
  }),
  removeMethod: operation({
    method: 'DELETE', path: '/me/methods/:id', access: 'userSensitive', tags: ['me'],
    summary: 'Remove a method; the answer says how many other sessions of mine are live (DELETE /me/sessions ends them)',
    params: IdParams,
    answer: json<{ otherSessions: number }>(),
  }),
  regenerateRecoveryCodes: operation({
    method: 'POST', path: '/me/recovery-codes', access: 'userSensitive', tags: ['me'],
    summary: 'Regenerate recovery codes',
    body: EmptyBody,
    answer: json<{ recoveryCodes: string[]; otherSessions: number }>(),
  }),
  listMySessions: operation({
    method: 'GET', path: '/me/sessions', access: 'user', tags: ['me'],
    summary: 'My sessions: device, address, last seen',
    answer: json<{ sessions: MySession[] }>(),
  }),
  endMySession: operation({
    method: 'DELETE', path: '/me/sessions/:id', access: 'userSensitive', tags: ['me'],
    summary: 'End one of my sessions',
    params: IdParams,
    answer: none,
  }),
  listMyDevices: operation({
    method: 'GET', path: '/me/devices', access: 'user', tags: ['me'],
    summary: 'The devices I signed in on: shared or personal, and until when each skips the second step',
    answer: json<{ devices: MyDevice[] }>(),
  }),
  forgetMyDevice: operation({
    method: 'DELETE', path: '/me/devices/:id', access: 'user', tags: ['me'],
    summary: 'Forget a remembered device: a sign-in there asks the second step again',
    params: IdParams,
    answer: none,
  }),
  forgetMyDevices: operation({
    method: 'DELETE', path: '/me/devices', access: 'user', tags: ['me'],
    summary: 'Forget every device I remembered: a sign-in on any of them asks the second step again',
    answer: json<{ forgotten: number }>(),
  }),
  endOtherSessions: operation({
    method: 'DELETE', path: '/me/sessions', access: 'userSensitive', tags: ['me'],
    summary: 'Sign out everywhere else: end every other session of mine',
    answer: json<{ revokedSessions: number }>(),
  }),
  changePassword: operation({
    method: 'PUT', path: '/me/password', access: 'userSensitive', tags: ['me'],
    summary: 'Change my password (current password, and a recent second factor when I have a method); my other sessions end',
    body: ChangePasswordBody,
    answer: json<{ revokedSessions: number; otherSessions: number }>(),
  }),
  listSecurityActivity: operation({
    method: 'GET', path: '/me/security-activity', access: 'user', tags: ['me'],
    summary: 'What changed on my account, newest first',
    query: ActivityQuery,
    answer: json<SecurityActivityPage>(),
  }),
  markAllSecurityActivityRead: operation({
    method: 'POST', path: '/me/security-activity/read', access: 'user', tags: ['me'],
    summary: 'Mark all my security activity read',
    body: EmptyBody,
    answer: json<{ marked: number }>(),
  }),
  markSecurityActivityRead: operation({
    method: 'POST', path: '/me/security-activity/:id/read', access: 'user', tags: ['me'],
    summary: 'Mark one security notification read',
    params: ActivityParams, body: EmptyBody,
    answer: json<{ marked: number }>(),
  }),
  reportNotMe: operation({
    method: 'POST', path: '/me/security-activity/:id/not-me', access: 'user', tags: ['me'],
    summary: '"This wasn\'t me": end every session of mine and alert the admins',
    params: ActivityParams, body: EmptyBody,
    answer: json<{ revokedSessions: number }>(),
  }),

  // ---- Links: invitations and forgotten passwords (no session)
  previewInvitation: operation({
    method: 'POST', path: '/invitations/preview', access: 'public', tags: ['people'],
    summary: 'Whose invitation a link is (before choosing a password)',
    body: TokenBody,
    answer: json<InvitationPreview>(),
  }),
  acceptInvitation: operation({
    method: 'POST', path: '/invitations/accept', access: 'public', tags: ['people'],
    summary: 'An invited user chooses their password (then signs in as usual)',
    body: AcceptInvitationBody,
    answer: json<{ account: { name: string; slug: string }; user: User }>(),
  }),
  requestPasswordReset: operation({
    method: 'POST', path: '/password-resets', access: 'public', tags: ['people'],
    summary: 'Email a reset link: 202 whether or not the email exists',
    body: PasswordResetBody, status: 202,
    answer: json<{ accepted: true }>(),
  }),
  completePasswordReset: operation({
    method: 'POST', path: '/password-resets/complete', access: 'public', tags: ['people'],
    summary: 'Choose a new password from a reset link: every session ends; sign in as usual',
    body: CompleteResetBody,
    answer: json<{ account: string; email: string }>(),
  }),

  // ---- Admin: security settings
  getSecuritySettings: operation({
    method: 'GET', path: '/account/security-settings', access: 'admin', tags: ['admin'],
    summary: 'Read the security settings',
    answer: json<SecuritySettings>(),
  }),
  getEnforcementImpact: operation({
    method: 'GET', path: '/account/security-settings/impact', access: 'admin', tags: ['admin'],
    summary: 'Who would be signed out if 2FA were required now (under the given second-factor policy)',
    query: ImpactQuery,
    answer: json<EnforcementImpact>(),
  }),
  saveSecuritySettings: operation({
    method: 'PUT', path: '/account/security-settings', access: 'adminSensitive', tags: ['admin'],
    summary: 'Change the security settings (requires a recent second factor)',
    body: SecuritySettingsBody,
    answer: json<SecuritySettingsSaved>(),
  }),

  // ---- Admin: groups (who "Require two-factor authentication" may apply to)
  listGroups: operation({
    method: 'GET', path: '/account/groups', access: 'admin', tags: ['admin'],
    summary: "The account's groups, by name, with their member counts",
    answer: json<{ groups: Group[] }>(),
  }),
  getGroupMembers: operation({
    method: 'GET', path: '/account/groups/:id/members', access: 'admin', tags: ['admin'],
    summary: "The ids of a group's members",
    params: IdParams,
    answer: json<{ userIds: string[] }>(),
  }),
  createGroup: operation({
    method: 'POST', path: '/account/groups', access: 'admin', tags: ['admin'],
    summary: 'Create a group (its name unique in the account, whatever its case)',
    body: GroupBody, status: 201,
    answer: json<{ group: Group }>(),
  }),
  renameGroup: operation({
    method: 'PATCH', path: '/account/groups/:id', access: 'admin', tags: ['admin'],
    summary: 'Rename a group',
    params: IdParams, body: GroupBody,
    answer: json<{ group: Group }>(),
  }),
  // A group's members and its existence decide whom the requirement applies to: sensitive.
  deleteGroup: operation({
    method: 'DELETE', path: '/account/groups/:id', access: 'adminSensitive', tags: ['admin'],
    summary: 'Delete a group: its memberships go, and it leaves the requirement\'s scope (requires a recent second factor)',
    params: IdParams,
    answer: json<{ deleted: true; members: number }>(),
  }),
  setGroupMembers: operation({
    method: 'PUT', path: '/account/groups/:id/members', access: 'adminSensitive', tags: ['admin'],
    summary: 'Replace a group\'s members, all or nothing; a user without a method who comes under the requirement is signed out at once (requires a recent second factor)',
    params: IdParams, body: GroupMembersBody,
    answer: json<GroupMembersChanged>(),
  }),

  // ---- Admin: identity providers (single sign-on)
  listIdentityProviders: operation({
    method: 'GET', path: '/account/identity-providers', access: 'admin', tags: ['admin'],
    summary: "The account's identity providers (never their client secret)",
    answer: json<{ providers: IdentityProvider[] }>(),
  }),
  addIdentityProvider: operation({
    method: 'POST', path: '/account/identity-providers', access: 'adminSensitive', tags: ['admin'],
    summary: 'Add an OpenID Connect provider (its discovery document is read first) or a SAML 2.0 provider (its metadata XML is checked first); requires a recent second factor',
    body: AddIdentityProviderBody, status: 201,
    answer: json<{ provider: IdentityProvider }>(),
  }),
  updateIdentityProvider: operation({
    method: 'PATCH', path: '/account/identity-providers/:id', access: 'adminSensitive', tags: ['admin'],
    summary: 'Change an identity provider (a new issuer or client is discovered again; requires a recent second factor)',
    params: IdParams, body: UpdateIdentityProviderBody,
    answer: json<{ provider: IdentityProvider }>(),
  }),
  removeIdentityProvider: operation({
    method: 'DELETE', path: '/account/identity-providers/:id', access: 'adminSensitive', tags: ['admin'],
    summary: 'Remove an identity provider (requires a recent second factor)',
    params: IdParams,
    answer: none,
  }),
  // Admin-only, not sensitive: it changes no setting (it reads the provider and asks it questions).
  testIdentityProvider: operation({
    method: 'POST', path: '/account/identity-providers/:id/test', access: 'admin', tags: ['admin'],
    summary: 'Test an identity provider before agents depend on it: OIDC discovery, issuer, endpoints, signing keys and client credentials; SAML signing certificate, SSO URL and our service-provider values. Network failures are failed checks, each bounded to 5 s',
    params: IdParams,
    answer: json<ProviderTest>(),
  }),
  getSignInSettings: operation({
    method: 'GET', path: '/account/sign-in-settings', access: 'admin', tags: ['admin'],
    summary: 'SSO only and the break-glass admins',
    answer: json<SignInSettings>(),
  }),
  saveSignInSettings: operation({
    method: 'PUT', path: '/account/sign-in-settings', access: 'adminSensitive', tags: ['admin'],
    summary: 'Turn SSO only on or off and name the break-glass admins (refused if it would lock out the saving admin; requires a recent second factor)',
    body: SignInSettingsBody,
    answer: json<SignInSettings>(),
  }),

  // ---- Admin: people
  listUsers: operation({
    method: 'GET', path: '/account/users', access: 'admin', tags: ['admin'],
    summary: 'Users: search, filters, sort, pages with the total, 2FA methods, last sign-in',
    query: ListUsersQuery,
    answer: json<UserPage>(),
  }),
  exportUsers: operation({
    method: 'GET', path: '/account/users/export', access: 'admin', tags: ['admin'],
    summary: 'The compliance report as CSV (the same filters as the list), streamed',
    query: ExportUsersQuery,
    answer: csv,
  }),
  importUsers: operation({
    method: 'POST', path: '/account/users/import', access: 'adminSensitive', tags: ['admin'],
    summary: `Bulk invitation from a CSV (name, email, role; at most ${MAX_IMPORT_ROWS} rows): a dry run, or all rows or none`,
    query: ImportQuery, body: CsvBody, csvBody: true,
    answer: json<ImportResult>(),
  }),
  inviteUser: operation({
    method: 'POST', path: '/account/users', access: 'adminSensitive', tags: ['admin'],
    summary: 'Invite a user (inviting an admin needs a recent second factor)',
    body: InviteUserBody, status: 201,
    answer: json<InvitationSent>(),
  }),
  updateUser: operation({
    method: 'PATCH', path: '/account/users/:id', access: 'adminSensitive', tags: ['admin'],
    summary: 'Change a role, deactivate or reactivate (role changes and deactivation need a recent second factor)',
    params: IdParams, body: ChangeUserBody,
    answer: json<UserChanged>(),
  }),
  deleteUser: operation({
    method: 'DELETE', path: '/account/users/:id', access: 'adminSensitive', tags: ['admin'],
    summary: 'Delete a user (needs a recent second factor); the audit log keeps their name',
    params: IdParams,
    answer: json<{ revokedSessions: number }>(),
  }),
  resendInvitation: operation({
    method: 'POST', path: '/account/users/:id/invitation', access: 'adminSensitive', tags: ['admin'],
    summary: 'Send the invitation again (a new link; the old one stops working)',
    params: IdParams,
    answer: json<InvitationSent>(),
  }),
  revokeInvitation: operation({
    method: 'DELETE', path: '/account/users/:id/invitation', access: 'adminSensitive', tags: ['admin'],
    summary: 'Revoke a pending invitation',
    params: IdParams,
    answer: none,
  }),
  sendPasswordReset: operation({
    method: 'POST', path: '/account/users/:id/password-reset', access: 'adminSensitive', tags: ['admin'],
    summary: 'Send a user a password reset link',
    params: IdParams,
    answer: json<LinkSent>(),
  }),
  resetUserTwoFactor: operation({
    method: 'DELETE', path: '/account/users/:id/two-factor', access: 'adminSensitive', tags: ['admin'],
    summary: "Reset a user's 2FA (requires a recent second factor)",
    params: IdParams,
    answer: json<TwoFactorReset>(),
  }),
  issueEnrollmentCode: operation({
    method: 'POST', path: '/account/users/:id/enrollment-code', access: 'adminSensitive', tags: ['admin'],
    summary: 'Issue a one-time enrolment code for a user (shown once; requires a recent second factor)',
    params: IdParams, body: IssueEnrollmentCodeBody, status: 201,
    answer: json<EnrollmentCode>(),
  }),
  setUserGrace: operation({
    method: 'PUT', path: '/account/users/:id/grace', access: 'adminSensitive', tags: ['admin'],
    summary: "Extend or end a user's grace to postpone enrolment (requires a recent second factor); ending it signs out the sessions they are in only because they postponed",
    params: IdParams, body: UserGraceBody,
    answer: json<{ grace: Grace | null; revokedSessions: number }>(),
  }),
  liftLockout: operation({
    method: 'DELETE', path: '/account/users/:id/lockout', access: 'adminSensitive', tags: ['admin'],
    summary: "Lift a user's lock-out (requires a recent second factor)",
    params: IdParams,
    answer: json<{ lifted: boolean }>(),
  }),
  signUserOutEverywhere: operation({
    method: 'DELETE', path: '/account/users/:id/sessions', access: 'adminSensitive', tags: ['admin'],
    summary: 'Sign a user out everywhere (requires a recent second factor)',
    params: IdParams,
    answer: json<{ revokedSessions: number }>(),
  }),
  forgetUsersDevices: operation({
    method: 'DELETE', path: '/account/users/:id/remembered-devices', access: 'adminSensitive', tags: ['admin'],
    summary: "Forget every device a user remembered: their sign-ins ask the second step again (requires a recent second factor)",
    params: IdParams,
    answer: json<{ forgotten: number }>(),
  }),
  signEveryoneElseOut: operation({
    method: 'DELETE', path: '/account/sessions', access: 'adminSensitive', tags: ['admin'],
    summary: 'Sign everyone in the account but me out everywhere (requires a recent second factor)',
    answer: json<{ revokedSessions: number; signedOutUsers: number }>(),
  }),

  // ---- Admin: adoption
  getAdoption: operation({
    method: 'GET', path: '/account/adoption', access: 'admin', tags: ['admin'],
    summary: '2FA adoption over time (one point per UTC day), the split by method now, and the deployment day\'s progress with who is still missing',
    query: AdoptionQuery,
    answer: json<Adoption>(),
  }),
  exportAdoption: operation({
    method: 'GET', path: '/account/adoption/export', access: 'admin', tags: ['admin'],
    summary: 'The adoption figures as CSV: one row per day (part=days), or who is still missing (part=missing)',
    query: AdoptionExportQuery,
    answer: csv,
  }),

  // ---- Admin: audit and alerts
  listAuditEvents: operation({
    method: 'GET', path: '/account/audit-events', access: 'admin', tags: ['admin'],
    summary: 'The audit log, newest first (filter by user, action and time)',
    query: AuditListQuery,
    answer: json<AuditPage>(),
  }),
  exportAuditEvents: operation({
    method: 'GET', path: '/account/audit-events/export', access: 'admin', tags: ['admin'],
    summary: 'The audit log as CSV (same filters as the list)',
    query: AuditFilterQuery,
    answer: csv,
  }),
  listAuditStreams: operation({
    method: 'GET', path: '/account/audit-streams', access: 'admin', tags: ['admin'],
    summary: 'Where the audit log is streamed, and how delivery is going',
    answer: json<{ streams: AuditStream[] }>(),
  }),
  // Where audit data flows is an account setting: a sensitive change (PRODUCT.md "Security rules").
  addAuditStream: operation({
    method: 'POST', path: '/account/audit-streams', access: 'adminSensitive', tags: ['admin'],
    summary: "Stream the audit log to a webhook or a syslog collector (a webhook's secret is answered once)",
    body: AddAuditStreamBody, status: 201,
    answer: json<AuditStreamAdded>(),
  }),
  removeAuditStream: operation({
    method: 'DELETE', path: '/account/audit-streams/:id', access: 'adminSensitive', tags: ['admin'],
    summary: 'Stop streaming the audit log there (undelivered entries are dropped)',
    params: IdParams,
    answer: json<{ removed: true; pending: number }>(),
  }),
  listScimTokens: operation({
    method: 'GET', path: '/account/scim-tokens', access: 'admin', tags: ['admin'],
    summary: "The SCIM base URL and the account's provisioning tokens: name, created, last used, revoked (never the token)",
    answer: json<{ baseUrl: string; tokens: ScimToken[] }>(),
  }),
  // A SCIM token creates, changes and deactivates users: giving one out gives access (sensitive).
  createScimToken: operation({
    method: 'POST', path: '/account/scim-tokens', access: 'adminSensitive', tags: ['admin'],
    summary: 'Create a SCIM provisioning token for an identity provider (the token is answered once)',
    body: CreateScimTokenBody, status: 201,
    answer: json<ScimTokenCreated>(),
  }),
  revokeScimToken: operation({
    method: 'DELETE', path: '/account/scim-tokens/:id', access: 'adminSensitive', tags: ['admin'],
    summary: 'Revoke a SCIM token: its next request is refused',
    params: IdParams,
    answer: json<ScimToken>(),
  }),
  getSessionPolicy: operation({
    method: 'GET', path: '/account/session-policy', access: 'admin', tags: ['admin'],
    summary: "How long the account's sessions live: idle minutes and absolute hours",
    answer: json<SessionPolicy>(),
  }),
  saveSessionPolicy: operation({
    method: 'PUT', path: '/account/session-policy', access: 'adminSensitive', tags: ['admin'],
    summary: 'Set session lifetimes, applied to live sessions at once (those past the new deadline end now)',
    body: SessionPolicyBody,
    answer: json<SessionPolicySaved>(),
  }),
  getNetworkPolicy: operation({
    method: 'GET', path: '/account/network-policy', access: 'admin', tags: ['admin'],
    summary: 'The networks sign-in is allowed from (empty: every network)',
    answer: json<NetworkPolicy>(),
  }),
  saveNetworkPolicy: operation({
    method: 'PUT', path: '/account/network-policy', access: 'adminSensitive', tags: ['admin'],
    summary: "Allow sign-in only from these networks (refused if the saving admin's own address is outside)",
    body: NetworkPolicyBody,
    answer: json<NetworkPolicy>(),
  }),
  getSecurityKeyPolicy: operation({
    method: 'GET', path: '/account/security-key-policy', access: 'admin', tags: ['admin'],
    summary: 'The security-key models the account accepts and what their attestation is checked against',
    answer: json<SecurityKeyPolicy>(),
  }),
  previewSecurityKeyPolicy: operation({
    method: 'POST', path: '/account/security-key-policy/preview', access: 'admin', tags: ['admin'],
    summary: 'What saving this security-key policy would do, without saving it: the registered keys it would not accept',
    body: SecurityKeyPolicyBody,
    answer: json<SecurityKeyPolicySaved>(),
  }),
  saveSecurityKeyPolicy: operation({
    method: 'PUT', path: '/account/security-key-policy', access: 'adminSensitive', tags: ['admin'],
    summary: 'Accept only these security-key models, their attestation checked against an MDS3 BLOB or your own roots',
    body: SecurityKeyPolicyBody,
    answer: json<SecurityKeyPolicySaved>(),
  }),
  listSecurityAlerts: operation({
    method: 'GET', path: '/account/security-alerts', access: 'admin', tags: ['admin'],
    summary: '"This wasn\'t me" answers not yet resolved',
    answer: json<{ alerts: SecurityAlert[] }>(),
  }),
  resolveSecurityAlert: operation({
    method: 'POST', path: '/account/security-alerts/:id/resolve', access: 'admin', tags: ['admin'],
    summary: 'Mark an alert as dealt with',
    params: IdParams, body: EmptyBody,
    answer: none,
  }),
};

export type Operations = typeof operations;
export type OperationName = keyof Operations;

/** The operations the renderer's bridge exposes as they are (not `internal`). */
export type BridgeOperationName = { [K in OperationName]: Operations[K] extends { internal: true } ? never : K }[OperationName];

/** Their names, for the preload and main's IPC channels. */
export const bridgeOperationNames = (Object.keys(operations) as OperationName[]).filter((name) => !(operations[name] as { internal?: boolean }).internal) as BridgeOperationName[];


/** One typed function per bridge operation, under its name: the renderer's view of the API. */
export type BridgeCalls = { [K in BridgeOperationName]: CallOf<Operations[K]> };

/** Builds the bridge's functions over one way of sending (the web console's HTTP client, main's). */
export function bridgeCalls(send: (op: Operation, input: AnyInput | undefined) => Promise<unknown>): BridgeCalls {
  return Object.fromEntries(bridgeOperationNames.map((name) => [name, (input?: AnyInput) => send(operations[name], input)])) as unknown as BridgeCalls;
}
