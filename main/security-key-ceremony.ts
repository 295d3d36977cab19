// Security-key ceremonies run by main: fetch the WebAuthn options from the server, drive the key
// with the CTAP client (HID, or UDP when AGENTDESK_SECURITY_KEY_UDP names a simulator), post the
// response. Progress goes to the renderer; the PIN comes back from it; cancel aborts the key.
import type { AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { MethodAdded, SecurityKeyProgress, Session } from '../preload/agentdesk-api.js';
import { CtapError, CtapHidError, CtapProtocolError, CtapStatus, defaultDiscovery, SecurityKeyClient, SecurityKeyError, U2fStatusError, type CeremonyOptions } from './security-keys/index.js';
import { DesktopError, type ServerClient } from './server-client.js';

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
}

interface Running {
  abort: AbortController;
  pin: ((pin: string | undefined) => void) | undefined;
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

  /** Registers a new security key under `name`. */
  register(client: ServerClient, name: string): Promise<MethodAdded> {
    return this.#run(async (ceremony) => {
      const options = (await client.securityKeyRegistrationOptions()) as unknown as PublicKeyCredentialCreationOptionsJSON;
      const response = await this.options.authenticator.createCredential(options, ceremony);
      return client.addSecurityKey(name, response);
    });
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
  }

  async #run<T>(ceremony: (options: CeremonyOptions) => Promise<T>): Promise<T> {
    // A new request replaces one the screen has left behind.
    this.cancel();
    const running: Running = { abort: new AbortController(), pin: undefined };
    this.#running = running;
    const emit = (progress: SecurityKeyProgress) => {
      if (this.#running === running) this.options.onProgress(progress);
    };
    emit({ step: 'touch_needed' });
    try {
      const result = await ceremony({
        origin: this.options.origin,
        signal: running.abort.signal,
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
        requestPin: () =>
          new Promise<string | undefined>((resolve) => {
            if (running.abort.signal.aborted) return resolve(undefined);
            running.pin = resolve;
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
export function securityKeyFailure(error: unknown, cancelled = false): DesktopError {
  if (error instanceof DesktopError) return error;
  if (cancelled || (error instanceof SecurityKeyError && (error.code === 'cancelled' || error.code === 'timeout'))) {
    return new DesktopError('security_key_cancelled', error instanceof SecurityKeyError && error.code === 'timeout' ? error.message : 'The security key request was cancelled or timed out.');
  }
  if (error instanceof CtapError) {
    if (BLOCKED.has(error.status)) return new DesktopError('security_key_pin_blocked', error.message);
    if (error.status === CtapStatus.CREDENTIAL_EXCLUDED) return new DesktopError('method_already_registered', 'That security key is already registered.');
    return new DesktopError('security_key_unavailable', error.message);
  }
  if (error instanceof SecurityKeyError || error instanceof CtapHidError || error instanceof CtapProtocolError || error instanceof U2fStatusError) {
    return new DesktopError('security_key_unavailable', error.message);
  }
  return new DesktopError('security_key_unavailable', 'The security key could not be used.');
}
