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
}

/** A second-factor method; lists arrive last used first. */
export interface Method {
  id: string;
  type: MethodType;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
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
}

/** What a signed-in client knows about itself: answer of sign-in and of session restore. */
export interface CurrentSession {
  session: Session;
  user: User;
  methods: Method[];
  account: AccountSummary;
}

export interface Me extends CurrentSession {
  recoveryCodesLeft: number;
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
}

/**
 * When a security key must verify its user (PIN or fingerprint): 'discouraged' asks only when
 * the key itself demands it (the default); 'required' always asks. 'preferred' is accepted by
 * the server but not offered by the UI.
 */
export type UserVerificationPolicy = 'discouraged' | 'preferred' | 'required';

export interface SecuritySettings {
  requireTwoFactor: boolean;
  userVerification: UserVerificationPolicy;
  updatedAt: string | null;
  updatedBy: { id: string; name: string; email: string } | null;
}

export interface SaveSecuritySettingsInput {
  requireTwoFactor: boolean;
  /** The admin ticked "I understand" under the warning. */
  acknowledged: boolean;
  /** Left out: unchanged. */
  userVerification?: UserVerificationPolicy;
}

export interface SecuritySettingsSaved {
  requireTwoFactor: boolean;
  signedOutUsers: number;
  revokedSessions: number;
}

export interface EnforcementImpact {
  usersWithoutTwoFactor: number;
  sessionsToRevoke: number;
  users: { id: string; name: string; email: string }[];
}

export interface AccountUser extends User {
  twoFactorEnabled: boolean;
  methodCount: number;
  createdAt: string;
}

export interface NewUserInput {
  name: string;
  email: string;
  password: string;
  role: Role;
}

export interface TwoFactorReset {
  removedMethods: number;
  revokedSessions: number;
}

export interface AuditEvent {
  id: string;
  at: string;
  actor: { id: string; name: string; email: string } | null;
  action: string;
  details: Record<string, unknown>;
}

export interface AuditPage {
  events: AuditEvent[];
  nextCursor: string | null;
}

export type SessionRevokedReason =
  | 'two_factor_required'
  | 'two_factor_reset'
  | 'signed_out'
  | 'expired'
  | 'second_factor_added'
  | 'signed_out_elsewhere'
  | 'deactivated'
  | 'password_changed'
  | 'not_me'
  | (string & {});

export interface SessionRevoked {
  reason: SessionRevokedReason;
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
 * `submitSecurityKeyPin(pin)` or `cancelSecurityKey()`.
 */
export type SecurityKeyProgress =
  | { step: 'touch_needed' }
  | { step: 'pin_needed'; retriesLeft: number | null; wrongPin: boolean }
  | { step: 'processing' }
  | { step: 'done' }
  | { step: 'cancelled' };

/** Errors made on the client side, before or instead of a server answer. */
export type ClientErrorCode =
  | 'network_error'
  | 'security_key_cancelled'
  | 'security_key_unavailable'
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
  signOut(): Promise<void>;
  /** Pushed by the server when this session is revoked (enforcement, reset, signed out). */
  onSessionRevoked(callback: (event: SessionRevoked) => void): Unsubscribe;

  // Security keys: progress and PIN, shared by useSecurityKey and addSecurityKey
  onSecurityKeyProgress(callback: (progress: SecurityKeyProgress) => void): Unsubscribe;
  submitSecurityKeyPin(pin: string): void;
  cancelSecurityKey(): void;

  // My security
  getMe(): Promise<Me>;
  startAuthenticatorApp(name?: string): Promise<AuthenticatorAppSetup>;
  confirmAuthenticatorApp(id: string, code: string): Promise<MethodAdded>;
  addSecurityKey(name: string): Promise<MethodAdded>;
  renameMethod(id: string, name: string): Promise<Method>;
  removeMethod(id: string): Promise<void>;
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
  getEnforcementImpact(): Promise<EnforcementImpact>;
  saveSecuritySettings(input: SaveSecuritySettingsInput): Promise<SecuritySettingsSaved>;
  listUsers(): Promise<AccountUser[]>;
  createUser(input: NewUserInput): Promise<User>;
  resetUserTwoFactor(userId: string): Promise<TwoFactorReset>;
  listAuditEvents(page?: { limit?: number; before?: string }): Promise<AuditPage>;
}
