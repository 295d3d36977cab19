// Security-key ceremonies run by main: fetch the WebAuthn options from the server, drive the key
// with the CTAP client (HID, or UDP when AGENTDESK_SECURITY_KEY_UDP names a simulator), post the
// response. Progress goes to the renderer; the PIN comes back from it; cancel aborts the key.
import type { AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { MethodAdded, SecurityKeyProgress, Session } from '../preload/agentdesk-api.js';
import { CtapError, CtapHidError, CtapProtocolError, CtapStatus, defaultDiscovery, SecurityKeyClient, SecurityKeyError, U2fStatusError, type CeremonyOptions } from './security-keys/index.js';
import { ApiError } from '../contract/api-error.js';
import type { ServerClient } from './server-client.js';

/** What main needs of the WebAuthn client (main/security-keys), so tests and a future entry point can stand in. */
export interface SecurityKeyAuthenticator {
  createCredential(options: PublicKeyCredentialCreationOptionsJSON, ceremony: CeremonyOptions): Promise<RegistrationResponseJSON>;
  getAssertion(options: PublicKeyCredentialRequestOptionsJSON, ceremony: CeremonyOptions): Promise<AuthenticationResponseJSON>;
}

/** The WebAuthn client over USB HID, or over UDP to a simulated key when the environment names one. */
export function securityKeyAuthenticatorFromEnvironment(env: NodeJS.ProcessEnv = process.env): SecurityKeyAuthenticator {
  return new SecurityKeyClient({ discovery: defaultDiscovery(env) });
}

export interface SecurityKeyCeremoniesOptions {
  authenticator: SecurityKeyAuthenticator;
  /** The server's origin, written into clientDataJSON as the web console would. */
  origin: string;
  onProgress(progress: SecurityKeyProgress): void;
  /** Overrides the server's `timeout` for every ceremony (tests, or a stricter local policy). */
  timeoutMs?: number;
}

/**
 * The two server calls of a sign-in with a passkey (a discoverable credential on a security key,
 * no email or password): the desktop's ServerClient provides them.
 */
export interface PasskeySignInServer<T> {
  /** POST /api/v1/sessions/passkey-options {account} → WebAuthn request options (allowCredentials empty, userVerification required). */
  passkeyOptions(account: string): Promise<unknown>;
  /** POST /api/v1/sessions/passkey {account, response} (with what it needs of the options, such as their challengeId). */
  signInWithPasskey(account: string, response: AuthenticationResponseJSON, requestOptions: PublicKeyCredentialRequestOptionsJSON): Promise<T>;
}

export interface PasskeySignInOptions {
  /** The key holds several accounts for this service: which one (see CeremonyOptions.chooseAccount). */
  chooseAccount?: CeremonyOptions['chooseAccount'];
}

interface Running {
  abort: AbortController;
  pin: ((pin: string | undefined) => void) | undefined;
  /** Answers an open account chooser (passkey sign-in with several accounts on the key). */
  choose: ((index: number | undefined) => void) | undefined;
}

export class SecurityKeyCeremonies {
  #running: Running | undefined;

  constructor(private readonly options: SecurityKeyCeremoniesOptions) {}

  /** The second step (or re-authentication) with a security key. */
  authenticate(client: ServerClient): Promise<Session> {
    return this.#run(async (ceremony) => {
      const options = (await client.securityKeyAssertionOptions()) as unknown as PublicKeyCredentialRequestOptionsJSON;
      const response = await this.options.authenticator.getAssertion(options, ceremony);
      return client.passSecondFactorWithSecurityKey(response);
    });
  }

  /** Registers a new security key under `name`; `passwordless`: to sign in with it alone (a passkey). */
  register(client: ServerClient, name: string, registration: { passwordless?: boolean } = {}): Promise<MethodAdded> {
    return this.#run(async (ceremony) => {
      const options = (await client.securityKeyRegistrationOptions(registration.passwordless)) as unknown as PublicKeyCredentialCreationOptionsJSON;
      const response = await this.options.authenticator.createCredential(options, ceremony);
      return client.addSecurityKey(name, response);
    });
  }

  /**
   * Sign-in without email or password: the key finds the agent's passkey for this service (its
   * PIN is always asked), and the server signs in the account it belongs to. U2F-only keys and
   * keys that cannot store passkeys fail with `security_key_unavailable`.
   */
  signInWithPasskey<T>(server: PasskeySignInServer<T>, account: string, options: PasskeySignInOptions = {}): Promise<T> {
    return this.#run(async (ceremony) => {
      const requestOptions = (await server.passkeyOptions(account)) as PublicKeyCredentialRequestOptionsJSON;
      const response = await this.options.authenticator.getAssertion(requestOptions, { ...ceremony, chooseAccount: options.chooseAccount ?? ceremony.chooseAccount });
      return server.signInWithPasskey(account, response, requestOptions);
    });
  }

  /** The account the agent chose from the list `choose_account` showed; ignored when none is open. */
  chooseAccount(index: number): void {
    const running = this.#running;
    if (!running?.choose) return;
    const answer = running.choose;
    running.choose = undefined;
    answer(index);
  }

  /** The PIN the renderer asked the agent for; ignored when no key is waiting for one. */
  submitPin(pin: string): void {
    const running = this.#running;
    if (!running?.pin) return;
    const answer = running.pin;
    running.pin = undefined;
    answer(pin);
  }

  cancel(): void {
    const running = this.#running;
    if (!running) return;
    running.abort.abort();
    running.pin?.(undefined);
    running.pin = undefined;
    running.choose?.(undefined);
    running.choose = undefined;
  }

  async #run<T>(ceremony: (options: CeremonyOptions) => Promise<T>): Promise<T> {
    // A new request replaces one the screen has left behind.
    this.cancel();
    const running: Running = { abort: new AbortController(), pin: undefined, choose: undefined };
    this.#running = running;
    let showing: SecurityKeyProgress['step'] | undefined;
    const emit = (progress: SecurityKeyProgress) => {
      if (this.#running !== running) return;
      // The start already says "touch your key", and the key says it again when it is reached:
      // the screen hears each state once. Prompts always go, since each waits for its answer.
      if ((progress.step === 'touch_needed' || progress.step === 'processing') && progress.step === showing) return;
      showing = progress.step;
      this.options.onProgress(progress);
    };
    emit({ step: 'touch_needed' });
    try {
      const result = await ceremony({
        origin: this.options.origin,
        signal: running.abort.signal,
        ...(this.options.timeoutMs !== undefined && { timeoutMs: this.options.timeoutMs }),
        onProgress: (event) => {
          switch (event.type) {
            case 'waiting_for_key':
            case 'touch_needed':
              return emit({ step: 'touch_needed' });
            case 'pin_needed':
              return emit({ step: 'pin_needed', retriesLeft: event.retries ?? null, wrongPin: event.wrongPin });
            case 'processing':
              return emit({ step: 'processing' });
            // done / cancelled are said once the server has answered.
          }
        },
        // Several accounts for this service on the key: the screen lists them, the agent picks one.
        chooseAccount: (accounts, request) =>
          new Promise<number | undefined>((resolve) => {
            if (running.abort.signal.aborted || request.signal.aborted) return resolve(undefined);
            running.choose = resolve;
            request.signal.addEventListener('abort', () => {
              if (running.choose === resolve) running.choose = undefined;
              resolve(undefined);
            }, { once: true });
            emit({ step: 'choose_account', accounts: accounts.map((a) => ({ name: a.name ?? null, displayName: a.displayName ?? null })) });
          }),
        requestPin: (request) =>
          new Promise<string | undefined>((resolve) => {
            if (running.abort.signal.aborted || request.signal.aborted) return resolve(undefined);
            running.pin = resolve;
            // Timed out, or another key won: the prompt closes and a late PIN goes nowhere.
            request.signal.addEventListener('abort', () => {
              if (running.pin === resolve) running.pin = undefined;
              resolve(undefined);
            }, { once: true });
          }),
      });
      emit({ step: 'done' });
      return result;
    } catch (error) {
      emit({ step: 'cancelled' });
      throw securityKeyFailure(error, running.abort.signal.aborted);
    } finally {
      if (this.#running === running) this.#running = undefined;
    }
  }
}

const BLOCKED = new Set<number>([CtapStatus.PIN_BLOCKED, CtapStatus.PIN_AUTH_BLOCKED, CtapStatus.UV_BLOCKED]);

/** Turns what the CTAP client throws into the renderer's stable codes, with its readable message. */
export function securityKeyFailure(error: unknown, cancelled = false): ApiError {
  if (error instanceof ApiError) return error;
  if (cancelled || (error instanceof SecurityKeyError && (error.code === 'cancelled' || error.code === 'timeout'))) {
    return new ApiError('security_key_cancelled', error instanceof SecurityKeyError && error.code === 'timeout' ? error.message : 'The security key request was cancelled or timed out.');
  }
  if (error instanceof SecurityKeyError && error.code === 'key_not_responding') return new ApiError('security_key_not_responding', error.message);
  if (error instanceof CtapError) {
    if (BLOCKED.has(error.status)) return new ApiError('security_key_pin_blocked', error.message);
    if (error.status === CtapStatus.CREDENTIAL_EXCLUDED) return new ApiError('method_already_registered', 'That security key is already registered.');
    return new ApiError('security_key_unavailable', error.message);
  }
  if (error instanceof SecurityKeyError || error instanceof CtapHidError || error instanceof CtapProtocolError || error instanceof U2fStatusError) {
    return new ApiError('security_key_unavailable', error.message);
  }
  return new ApiError('security_key_unavailable', 'The security key could not be used.');
}
