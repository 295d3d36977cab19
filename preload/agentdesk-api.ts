// The one interface the renderer talks to. The Electron preload exposes it as
// `window.agentdesk`; the web console uses a fetch implementation of the same shape
// (renderer/src/api/web-api.ts). Types only: nothing here may import electron or the DOM,
// so both the Node and the renderer tsconfig can read this file.
//
// Every function rejects with an Error carrying a stable `code` (the server's error codes of
// docs/api.md, plus the client-side ones in ClientErrorCode) and, when throttled,
// `retryAfterSeconds`. The renderer turns whatever arrives into its own ApiError class.

export type Role = 'admin' | 'agent';
export type MethodType = 'totp' | 'security_key';
export type SessionState = 'two_factor_required' | 'enrollment_required' | 'active';

export interface User {
  id: string;
  name: string;
  email: string;
  role: Role;
  /** The user's own language, kept on the server (null: follow the device). */
  language?: Language | null;
}

/** A language AgentDesk speaks. */
export type Language = 'en' | 'pt-PT' | 'pt-BR' | 'es';

/** A second-factor method; lists arrive last used first. */
export interface Method {
  id: string;
  type: MethodType;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  /** Security keys: registered for sign-in with the key alone, without a password. */
  passwordless?: boolean;
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
  requireTwoFactor: boolean;
  /** Deployment day: when 2FA becomes required (GET /me only), or null. */
  twoFactorScheduledAt?: string | null;
  /** Who may set up a first method at a forced enrolment (GET /me only). */
  enrollment?: EnrollmentPolicy;
}

export type EnrollmentPolicy = 'password' | 'known_device';

/** What a signed-in client knows about itself: answer of sign-in and of session restore. */
export interface CurrentSession {
  session: Session;
  user: User;
  methods: Method[];
  account: AccountSummary;
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
  updatedBy: { id: string; name: string; email: string } | null;
  /** Deployment day: when the requirement takes effect, and who set it. */
  scheduledAt?: string | null;
  scheduledBy?: { id: string; name: string; email: string } | null;
  requiredSince?: string | null;
  enrollment?: EnrollmentPolicy;
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
  users: { id: string; name: string; email: string; onlyAuthenticatorApp?: boolean }[];
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
  /** The user's own language; null follows their device. */
  language?: Language | null;
  /** Set while sign-ins from new devices are refused after wrong attempts (an admin may lift it). */
  lockedUntil: string | null;
  /** Has a live session now. */
  signedIn?: boolean;
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
  /** The invitee's language (default null: their device decides, and the invitation is in mine). */
  language?: Language | null;
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

/**
 * The client's own event stream lost the server (`dropped`) or has it back (`restored`): the
 * same connection banner as a call that could not reach the server. Each change once.
 */
export interface ServerConnectionChanged {
  state: 'dropped' | 'restored';
}

/** Pushed to every open client of the account when an admin saves its security settings. */
export interface AccountUpdated {
  requireTwoFactor: boolean;
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

/**
 * Progress of a security-key ceremony. The desktop drives the key itself over HID and reports
 * every step; the browser only knows "waiting" and "done", so it sends touch_needed, processing
 * and done/cancelled. On `pin_needed` the UI asks for the PIN and answers with
 * `submitSecurityKeyPin(pin)` or `cancelSecurityKey()`. On `choose_account` (a passkey sign-in
 * with a key that holds several accounts for this service) it lists them and answers with
 * `chooseSecurityKeyAccount(index)` or `cancelSecurityKey()`.
 */
export type SecurityKeyProgress =
  | { step: 'touch_needed' }
  | { step: 'choose_account'; accounts: { name: string | null; displayName: string | null }[] }
  | { step: 'pin_needed'; retriesLeft: number | null; wrongPin: boolean }
  | { step: 'processing' }
  | { step: 'done' }
  | { step: 'cancelled' };

/** Errors made on the client side, before or instead of a server answer. */
export type ClientErrorCode =
  | 'network_error'
  | 'security_key_cancelled'
  | 'security_key_unavailable'
  /** The key never answered (a wedged firmware): unplugging it is the cure, not touching it. */
  | 'security_key_not_responding'
  | 'security_key_pin_blocked'
  | 'unexpected_response';

export type Unsubscribe = () => void;

export interface AgentDeskApi {
  // First run
  /** Whether "Create an account" is offered, and whether this is the server's first run. */
  getSignupStatus(): Promise<SignupStatus>;
  createAccount(input: CreateAccountInput): Promise<{ account: AccountSummary; user: User }>;

  // Sign-in and the second step
  signIn(input: SignInInput): Promise<CurrentSession>;
  /** The session this client already holds, or null when there is none. */
  getCurrentSession(): Promise<CurrentSession | null>;
  /** Pass the second step (or re-authenticate) with a typed code. */
  passSecondFactor(input: TypedSecondFactor): Promise<Session>;
  /** Pass the second step (or re-authenticate) by touching a security key. */
  useSecurityKey(): Promise<Session>;
  /**
   * Sign in with a security key alone (no password: the key's PIN or fingerprint). `autofill`
   * waits for the browser's passkey autofill on the email field instead of opening its dialog
   * (web console only; the desktop ignores it); cancel it with cancelSecurityKey().
   */
  signInWithSecurityKey(input: { account: string; autofill?: boolean }): Promise<CurrentSession>;
  signOut(): Promise<void>;
  /** Pushed by the server when this session is revoked (enforcement, reset, signed out). */
  onSessionRevoked(callback: (event: SessionRevoked) => void): Unsubscribe;
  /** The event stream to the server dropped or came back (main's on the desktop, the page's in a browser). */
  onServerConnection(callback: (event: ServerConnectionChanged) => void): Unsubscribe;

  // Security keys: progress and PIN, shared by useSecurityKey and addSecurityKey
  onSecurityKeyProgress(callback: (progress: SecurityKeyProgress) => void): Unsubscribe;
  submitSecurityKeyPin(pin: string): void;
  /** The account the agent chose on `choose_account` (its index in that list). */
  chooseSecurityKeyAccount(index: number): void;
  cancelSecurityKey(): void;

  // My security
  getMe(): Promise<Me>;
  startAuthenticatorApp(name?: string): Promise<AuthenticatorAppSetup>;
  confirmAuthenticatorApp(id: string, code: string): Promise<MethodAdded>;
  /** `passwordless`: the key keeps a sign-in credential and checks its PIN or fingerprint, to sign in with it alone. */
  addSecurityKey(name: string, options?: { passwordless?: boolean }): Promise<MethodAdded>;
  getSecurityPolicy(): Promise<SecurityPolicy>;
  renameMethod(id: string, name: string): Promise<Method>;
  /** My language, kept on the server so it follows me to another desk and emails are in it (null: follow the device). */
  setMyLanguage(language: Language | null): Promise<{ language: Language | null }>;
  /** `otherSessions`: how many other sessions of mine are live (endOtherSessions ends them). */
  removeMethod(id: string): Promise<{ otherSessions: number }>;
  regenerateRecoveryCodes(): Promise<string[]>;
  /**
   * Recovery codes issued to this client and not yet confirmed as saved (they survive a reload:
   * sessionStorage in the browser, main's memory on the desktop); null when there are none.
   */
  getPendingRecoveryCodes(): Promise<string[] | null>;
  /** "I have saved my recovery codes": the kept copy is dropped. */
  confirmRecoveryCodesSaved(): Promise<void>;
  /** Pushed when an admin changes the account's security settings. */
  onAccountUpdated(callback: (event: AccountUpdated) => void): Unsubscribe;

  // My sessions
  listMySessions(): Promise<MySession[]>;
  endMySession(id: string): Promise<void>;
  /** Ends every session of mine but this one. */
  endOtherSessions(): Promise<{ revokedSessions: number }>;

  // Admin
  getSecuritySettings(): Promise<SecuritySettings>;
  /** Under the account's second-factor policy, or the one given (the admin's unsaved choice). */
  getEnforcementImpact(secondFactorPolicy?: SecondFactorPolicy): Promise<EnforcementImpact>;
  saveSecuritySettings(input: SaveSecuritySettingsInput): Promise<SecuritySettingsSaved>;
  listUsers(query?: UserListQuery): Promise<UserPage>;
  inviteUser(input: NewUserInput): Promise<InvitationSent>;
  resetUserTwoFactor(userId: string): Promise<TwoFactorReset>;
  updateUser(userId: string, change: UserChange): Promise<UserChanged>;
  deleteUser(userId: string): Promise<{ revokedSessions: number }>;
  resendInvitation(userId: string): Promise<InvitationSent>;
  sendPasswordReset(userId: string): Promise<LinkSent>;
  liftLockout(userId: string): Promise<void>;
  /** Ends every session of one user of the account, on every device (sensitive). */
  signUserOutEverywhere(userId: string): Promise<{ revokedSessions: number }>;
  /** Ends every session of everyone in the account but me (sensitive). */
  signEveryoneElseOut(): Promise<{ revokedSessions: number; signedOutUsers: number }>;
  /** The compliance report (CSV text) with the list's filters. */
  exportUsers(filters?: Omit<UserListQuery, 'sort' | 'limit' | 'offset'>): Promise<string>;
  /** Bulk invitation from a CSV file (name, email, role): a preview (dryRun) or all rows or none. */
  importUsers(csv: string, dryRun: boolean): Promise<ImportResult>;

  // People: invitations and passwords
  previewInvitation(token: string): Promise<InvitationPreview>;
  acceptInvitation(token: string, password: string): Promise<{ account: { name: string; slug: string }; user: User }>;
  /** Always succeeds (the server answers the same whether or not the email exists). */
  requestPasswordReset(account: string, email: string): Promise<void>;
  completePasswordReset(token: string, newPassword: string): Promise<{ account: string; email: string }>;
  /** Every other session of mine ends (`revokedSessions`); `otherSessions` is what is live besides this one after it. */
  changePassword(currentPassword: string, newPassword: string): Promise<{ revokedSessions: number; otherSessions: number }>;
  /** Enter the password again in this session: a first method needs it within 10 minutes. */
  confirmPassword(password: string): Promise<{ passwordAt: string }>;
  listAuditEvents(page?: { limit?: number; before?: string } & AuditFilter): Promise<AuditPage>;
  /** The filtered audit log as CSV text. */
  exportAuditEvents(filter?: AuditFilter): Promise<string>;

  // Rolling 2FA out: enrolment codes, security activity, admins' alerts
  /** An admin issues a one-time enrolment code for a user (needs a recent second factor). */
  issueEnrollmentCode(userId: string, expiresInMinutes?: number): Promise<EnrollmentCode>;
  /** An enrollment_required session from an unknown device redeems its admin's code. */
  redeemEnrollmentCode(code: string): Promise<void>;
  listSecurityActivity(): Promise<SecurityActivityPage>;
  /** Marks one notification read, or all of them without an id. */
  markSecurityActivityRead(id?: string): Promise<void>;
  /** "This wasn't me": every session of mine ends (this one too) and the admins are alerted. */
  reportNotMe(id: string): Promise<{ revokedSessions: number }>;
  listSecurityAlerts(): Promise<SecurityAlert[]>;
  resolveSecurityAlert(id: string): Promise<void>;
}
