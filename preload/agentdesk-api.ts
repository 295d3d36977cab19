// The one interface the renderer talks to. The Electron preload exposes it as
// `window.agentdesk`; the web console uses a fetch implementation of the same shape
// (renderer/src/api/web-api.ts). Types only: nothing here may import electron or the DOM,
// so both the Node and the renderer tsconfig can read this file.
//
// Every operation of the API's contract (contract/operations.ts) that is not `internal` is one
// function here, under the operation's name, taking `{ params, query, body }` as the contract
// declares them and answering the contract's type (BridgeCalls). The rest are what only a
// client can do: sign-in and sign-out (main keeps the token), security-key ceremonies, pushed
// events, recovery codes kept until saved.
//
// Every function rejects with an Error carrying a stable `code` (the server's error codes of
// docs/api.md, plus the client-side ones in ClientErrorCode); the renderer rebuilds the
// contract's ApiError from whatever arrives (contract/api-error.ts).
import type { AccountUpdated, CurrentSession, MethodAdded, Session, SessionRevoked } from '../contract/answers.js';
import type { BridgeCalls } from '../contract/operations.js';

export type * from '../contract/answers.js';

/**
 * The client's own event stream lost the server (`dropped`) or has it back (`restored`): the
 * same connection banner as a call that could not reach the server. Each change once.
 */
export interface ServerConnectionChanged {
  state: 'dropped' | 'restored';
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

export type Unsubscribe = () => void;

/** Sign in with account, email and password (the device token is main's to send, never the page's). */
export interface SignInInput {
  /** The account's short name (slug). */
  account: string;
  email: string;
  password: string;
}

/** What only a client can do: the rest of the bridge beside the contract's operations. */
export interface ClientFunctions {
  signIn(input: SignInInput): Promise<CurrentSession>;
  /** The session this client already holds, or null when there is none. */
  getCurrentSession(): Promise<CurrentSession | null>;
  /** Pass the second step (or re-authenticate) by touching a security key. */
  useSecurityKey(): Promise<Session>;
  /**
   * Sign in with a security key alone (no password: the key's PIN or fingerprint). `autofill`
   * waits for the browser's passkey autofill on the email field instead of opening its dialog
   * (web console only; the desktop ignores it); cancel it with cancelSecurityKey().
   */
  signInWithSecurityKey(input: { account: string; autofill?: boolean }): Promise<CurrentSession>;
  /**
   * Sign in with one of the account's identity providers (GET /sessions/sso-providers lists
   * them). The desktop opens the system browser and waits for it to come back to main's loopback
   * redirect; the web console's page goes to the provider instead (the promise never settles,
   * the console is loaded again signed in, or with `sso_error` on the sign-in screen).
   */
  signInWithSso(input: { account: string; provider: string }): Promise<CurrentSession>;
  /** Stop waiting for the system browser: the pending signInWithSso ends in `sso_cancelled` (the web console has nothing to cancel). */
  cancelSignInWithSso(): Promise<void>;
  /** `passwordless`: the key keeps a sign-in credential and checks its PIN or fingerprint, to sign in with it alone. */
  addSecurityKey(name: string, options?: { passwordless?: boolean }): Promise<MethodAdded>;
  signOut(): Promise<void>;
  /** Pushed by the server when this session is revoked (enforcement, reset, signed out). */
  onSessionRevoked(callback: (event: SessionRevoked) => void): Unsubscribe;
  /** The event stream to the server dropped or came back (main's on the desktop, the page's in a browser). */
  onServerConnection(callback: (event: ServerConnectionChanged) => void): Unsubscribe;
  /** Pushed when an admin changes the account's security settings. */
  onAccountUpdated(callback: (event: AccountUpdated) => void): Unsubscribe;

  // Security keys: progress and PIN, shared by useSecurityKey, addSecurityKey and signInWithSecurityKey
  onSecurityKeyProgress(callback: (progress: SecurityKeyProgress) => void): Unsubscribe;
  submitSecurityKeyPin(pin: string): void;
  /** The account the agent chose on `choose_account` (its index in that list). */
  chooseSecurityKeyAccount(index: number): void;
  cancelSecurityKey(): void;

  /**
   * Recovery codes issued to this client and not yet confirmed as saved (they survive a reload:
   * sessionStorage in the browser, main's memory on the desktop); null when there are none.
   */
  getPendingRecoveryCodes(): Promise<string[] | null>;
  /** "I have saved my recovery codes": the kept copy is dropped. */
  confirmRecoveryCodesSaved(): Promise<void>;

  /**
   * Whether this desk is shared with other agents, as asked once per desk (main keeps the answer
   * and sends it with every sign-in): `shared` null until asked. Null in a browser, which is no
   * desk: the web console asks at the second step instead.
   */
  getDeskSharing(): Promise<{ shared: boolean | null } | null>;
  /** The answer to "Is this computer shared with other agents?": kept (desktop) and said of this session's device. */
  setDeskSharing(shared: boolean): Promise<void>;
}

export interface AgentDeskApi extends BridgeCalls, ClientFunctions {}
