import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { CtapError, CtapStatus, SecurityKeyError, U2fStatusError } from './errors.js';
import { buildClientData, checkOrigin, fromBase64Url, sha256, toBase64Url } from './client-data.js';
import { encodeCbor } from './cbor.js';
import { Cose, spkiFromCose, publicKeyFromRawP256, coseEc2Key } from './cose.js';
import { AuthDataFlag, buildAuthenticatorData, parseAuthenticatorData } from './authenticator-data.js';
import { ctap2RequestSize, getAssertionParameters, makeCredentialParameters, type CredentialDescriptor, type GetAssertionRequest, type GetAssertionResponse, type MakeCredentialRequest } from './ctap2.js';
import { fitCredentialList } from './credential-lists.js';
import { ClientPin, PinPermission } from './client-pin.js';
import { planUserVerification, type UserVerificationRequirement, type UvPlan } from './uv-policy.js';
import { supportsCtap21, type OpenSecurityKey } from './security-key.js';
import { U2fStatus } from './u2f.js';
import { raceSecurityKeys, type AttemptControl, type KeyAttempt } from './key-race.js';
import type { CtapHidOptions } from './ctaphid.js';
import type { SecurityKeyDiscovery } from './transport/transport.js';

export type SecurityKeyProgress =
  | { type: 'waiting_for_key'; message: string }
  | { type: 'touch_needed'; message: string }
  | { type: 'pin_needed'; retries?: number; wrongPin: boolean; message: string }
  | { type: 'processing'; message: string }
  | { type: 'done' }
  | { type: 'cancelled' };

export interface PinRequest {
  /** Tries left before the key blocks its PIN, when the key says. */
  retries?: number;
  /** The previous PIN was wrong (or too short). */
  wrongPin: boolean;
  message: string;
  keyName: string;
  /**
   * Aborted when the PIN is no longer wanted: the agent cancelled, the ceremony timed out or
   * another key was chosen. The prompt should close then; its answer is ignored.
   */
  signal: AbortSignal;
}

/** One of the accounts a key holds for this service (a discoverable credential's user entity). */
export interface KeyAccount {
  /** user.id as base64url: what the server knows the account by. */
  userHandle: string;
  name?: string;
  displayName?: string;
}

export interface CeremonyOptions {
  /** The server's origin, as the web console would send it (e.g. https://agentdesk.example). */
  origin: string;
  signal?: AbortSignal;
  /** Asked whenever a key needs its PIN; resolve undefined to cancel. */
  requestPin?: (request: PinRequest) => Promise<string | undefined>;
  onProgress?: (event: SecurityKeyProgress) => void;
  /** Overrides the server's `timeout`. */
  timeoutMs?: number;
  /**
   * Sign-in without a username, when the key holds several accounts for this service: the index
   * of the one to use (default: the first); undefined or an index out of range cancels. The
   * signal aborts when the choice is no longer wanted (cancel, timeout): close the chooser then.
   */
  chooseAccount?: (accounts: KeyAccount[], context: { signal: AbortSignal }) => Promise<number | undefined>;
}

export interface SecurityKeyClientOptions {
  discovery: SecurityKeyDiscovery;
  /** How often to look for newly plugged keys and re-poll U2F keys for a touch. */
  pollIntervalMs?: number;
  hid?: CtapHidOptions;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const PROBE_HASH = sha256('agentdesk-probe');
/** Room for the largest pinUvAuthParam (protocol 2: 32 bytes), so a list fitted before the PIN still fits after it. */
const PIN_UV_ROOM = { param: new Uint8Array(32), protocol: 2 };
const CREDENTIAL_PROTECTION: Record<string, number> = {
  userVerificationOptional: 1,
  userVerificationOptionalWithCredentialIDList: 2,
  userVerificationRequired: 3,
};
/** Errors that mean the user acted on this key, so it settles the request even with others present. */
const DECISIVE = new Set<number>([
  CtapStatus.CREDENTIAL_EXCLUDED,
  CtapStatus.OPERATION_DENIED,
  CtapStatus.NOT_ALLOWED,
  CtapStatus.KEY_STORE_FULL,
  CtapStatus.PIN_BLOCKED,
  CtapStatus.PIN_AUTH_BLOCKED,
  CtapStatus.UV_BLOCKED,
]);

interface Ceremony {
  options: CeremonyOptions;
  emit(event: SecurityKeyProgress): void;
}

/**
 * The WebAuthn client: takes the options JSON the server produced, talks to whichever security
 * key the agent touches, and returns the response JSON the server verifies.
 */
export class SecurityKeyClient {
  constructor(private readonly config: SecurityKeyClientOptions) {}

  async createCredential(options: PublicKeyCredentialCreationOptionsJSON, ceremonyOptions: CeremonyOptions): Promise<RegistrationResponseJSON> {
    const rpId = options.rp.id;
    if (!rpId) throw new SecurityKeyError('invalid_options', 'The registration options carry no RP ID.');
    const origin = checkOrigin(ceremonyOptions.origin, rpId);
    const clientData = buildClientData('webauthn.create', options.challenge, origin);
    const selection = options.authenticatorSelection ?? {};
    const residentKey = selection.residentKey ?? (selection.requireResidentKey ? 'required' : 'discouraged');
    const uv = (selection.userVerification ?? 'preferred') as UserVerificationRequirement;
    const extensions = (options.extensions ?? {}) as Record<string, unknown>;
    const excludeList = (options.excludeCredentials ?? []).map((c) => ({ type: 'public-key' as const, id: fromBase64Url(c.id, 'excludeCredentials id') }));
    const user = { id: fromBase64Url(options.user.id, 'user.id'), name: options.user.name, displayName: options.user.displayName };
    const algorithms = options.pubKeyCredParams.filter((p) => p.type === 'public-key').map((p) => ({ type: 'public-key' as const, alg: p.alg }));
    if (algorithms.length === 0) throw new SecurityKeyError('invalid_options', 'The registration options allow no public-key algorithm.');
    const credProtect = typeof extensions.credentialProtectionPolicy === 'string' ? CREDENTIAL_PROTECTION[extensions.credentialProtectionPolicy] : undefined;
    const enforceCredProtect = extensions.enforceCredentialProtectionPolicy === true;

    return this.#ceremony(ceremonyOptions, options.timeout, async (key, control, ceremony) => {
      if (key.kind === 'u2f') {
        if (residentKey === 'required' || uv === 'required') throw new SecurityKeyError('not_supported', "This older security key can't store sign-ins or check a PIN, which this service requires. Use another key.");
        if ((credProtect ?? 1) > 1 && enforceCredProtect) throw new SecurityKeyError('not_supported');
        if (!algorithms.some((a) => a.alg === Cose.ALG_ES256)) throw new CtapError(CtapStatus.UNSUPPORTED_ALGORITHM);
        const appParam = sha256(rpId);
        for (const cred of excludeList) {
          if (await key.u2f.isKeyHandleKnown(appParam, cred.id, control.signal)) {
            // As browsers do: let the user touch the key before saying it is already registered.
            await key.u2f.waitForTouch(this.#touchOptions(control));
            control.claim();
            throw new CtapError(CtapStatus.CREDENTIAL_EXCLUDED);
          }
        }
        const registration = await key.u2f.register(clientData.hash, appParam, this.#touchOptions(control));
        control.claim();
        ceremony.emit({ type: 'processing', message: 'Finishing with your security key…' });
        const publicKeyCose = coseEc2Key(publicKeyFromRawP256(registration.publicKey), Cose.ALG_ES256);
        const authData = buildAuthenticatorData({
          rpIdHash: appParam,
          flags: AuthDataFlag.UP | AuthDataFlag.AT,
          signCount: 0,
          attested: { aaguid: new Uint8Array(16), credentialId: registration.keyHandle, publicKeyCose },
        });
        const attStmt = new Map<string, unknown>([['sig', registration.signature], ['x5c', [registration.certificate]]]);
        return registrationResponse(clientData.json, 'fido-u2f', authData, attStmt, extensions, false, ['usb']);
      }

      const info = key.info;
      const rk = residentKey === 'required' || (residentKey === 'preferred' && info.options.rk === true && (info.options.clientPin === true || info.options.uv === true));
      if (rk && info.options.rk !== true) throw new SecurityKeyError('not_supported', "This security key can't store a sign-in on the key, which this service requires. Use another key.");
      if (info.algorithms && !info.algorithms.some((a) => algorithms.some((b) => b.alg === a.alg))) throw new CtapError(CtapStatus.UNSUPPORTED_ALGORITHM);
      const keyExtensions = new Map<string, unknown>();
      if (credProtect !== undefined && credProtect > 1) {
        if (info.extensions.includes('credProtect')) keyExtensions.set('credProtect', credProtect);
        else if (enforceCredProtect) throw new SecurityKeyError('not_supported');
      }
      let plan = planUserVerification(info, uv, 'makeCredential', rk);
      const request = (excludeList: CredentialDescriptor[], pinUv?: { param: Uint8Array; protocol: number }): MakeCredentialRequest => ({
        clientDataHash: clientData.hash,
        rp: { id: rpId, ...(options.rp.name !== undefined && { name: options.rp.name }) },
        user,
        pubKeyCredParams: algorithms,
        excludeList,
        extensions: keyExtensions,
        options: { ...(rk && { rk: true }), ...(plan === 'builtin' && { uv: true }) },
        ...(pinUv && { pinUvAuthParam: pinUv.param, pinUvAuthProtocol: pinUv.protocol }),
      });
      // Sized before any PIN is asked, so a request that cannot fit never costs the agent a PIN.
      const baseSize = excludeList.length > 0 || plan === 'pin' ? ctap2RequestSize(makeCredentialParameters(request([], PIN_UV_ROOM))) : 0;
      if (plan === 'pin') checkFits(baseSize, key.hid.maxRequestSize);
      const exclude = excludeList.length > 0 ? await this.#fitCredentialList(key, rpId, excludeList, control, 'exclude', baseSize) : [];

      const makeCredential = async (pinUv?: { param: Uint8Array; protocol: number }) =>
        key.ctap2.makeCredential(request(exclude, pinUv), { signal: control.signal, timeoutMs: remaining(control), onTouchNeeded: control.touchNeeded });

      let response;
      try {
        if (plan === 'pin') {
          response = await makeCredential(await this.#pinUvAuth(key, control, ceremony, PinPermission.MAKE_CREDENTIAL, rpId, clientData.hash));
        } else {
          try {
            response = await makeCredential();
          } catch (error) {
            // CTAP 2.0 keys with a PIN insist on it for makeCredential.
            if (!(error instanceof CtapError && error.status === CtapStatus.PUAT_REQUIRED && info.options.clientPin === true)) throw error;
            plan = 'pin';
            response = await makeCredential(await this.#pinUvAuth(key, control, ceremony, PinPermission.MAKE_CREDENTIAL, rpId, clientData.hash));
          }
        }
      } catch (error) {
        if (error instanceof CtapError && DECISIVE.has(error.status)) control.claim();
        throw error;
      }
      control.claim();
      ceremony.emit({ type: 'processing', message: 'Finishing with your security key…' });
      return registrationResponse(clientData.json, response.fmt, response.authData, response.attStmt, extensions, rk, info.transports ?? ['usb']);
    });
  }

  async getAssertion(options: PublicKeyCredentialRequestOptionsJSON, ceremonyOptions: CeremonyOptions): Promise<AuthenticationResponseJSON> {
    const rpId = options.rpId ?? safeHostname(ceremonyOptions.origin);
    const origin = checkOrigin(ceremonyOptions.origin, rpId);
    const clientData = buildClientData('webauthn.get', options.challenge, origin);
    const uv = (options.userVerification ?? 'preferred') as UserVerificationRequirement;
    const allowList = (options.allowCredentials ?? []).map((c) => ({ type: 'public-key' as const, id: fromBase64Url(c.id, 'allowCredentials id') }));

    return this.#ceremony(ceremonyOptions, options.timeout, async (key, control, ceremony) => {
      if (key.kind === 'u2f') {
        if (uv === 'required') throw new SecurityKeyError('not_supported', "This older security key can't check a PIN, which this service requires. Use another key.");
        if (allowList.length === 0) throw new SecurityKeyError('not_supported', "This older security key can't sign in without the server naming its credentials.");
        const appParam = sha256(rpId);
        let credential: CredentialDescriptor | undefined;
        for (const cred of allowList) {
          if (await key.u2f.isKeyHandleKnown(appParam, cred.id, control.signal)) {
            credential = cred;
            break;
          }
        }
        if (!credential) throw new CtapError(CtapStatus.NO_CREDENTIALS);
        let answer;
        try {
          answer = await key.u2f.authenticate(clientData.hash, appParam, credential.id, this.#touchOptions(control));
        } catch (error) {
          if (error instanceof U2fStatusError && error.statusWord === U2fStatus.WRONG_DATA) throw new CtapError(CtapStatus.NO_CREDENTIALS);
          throw error;
        }
        control.claim();
        ceremony.emit({ type: 'processing', message: 'Finishing with your security key…' });
        const authData = buildAuthenticatorData({ rpIdHash: appParam, flags: answer.flags & AuthDataFlag.UP, signCount: answer.counter });
        return assertionResponse(clientData.json, credential.id, authData, answer.signature, undefined);
      }

      const info = key.info;
      const plan = planUserVerification(info, uv, 'getAssertion');
      if (allowList.length === 0 && info.options.rk !== true) throw new SecurityKeyError('not_supported', "This security key can't sign in without the server naming its credentials. Use another key.");
      const request = (allowList: CredentialDescriptor[], pinUv?: { param: Uint8Array; protocol: number }): GetAssertionRequest => ({
        rpId,
        clientDataHash: clientData.hash,
        allowList,
        options: plan === 'builtin' ? { uv: true } : {},
        ...(pinUv && { pinUvAuthParam: pinUv.param, pinUvAuthProtocol: pinUv.protocol }),
      });
      let allowed = allowList;
      if (allowList.length > 0 && (plan === 'pin' || allowList.length > 1)) {
        // Learn silently which credential this key holds, so a PIN is never asked for a key
        // that cannot answer and long lists fit the key's limits.
        const baseSize = ctap2RequestSize(getAssertionParameters(request([], PIN_UV_ROOM)));
        allowed = await this.#fitCredentialList(key, rpId, allowList, control, 'allow', baseSize);
        if (allowed.length === 0) {
          // credProtect level 3 credentials stay invisible to a probe without UV: after the PIN
          // the key itself decides, on as much of the list as one request carries.
          if (plan !== 'pin') throw new CtapError(CtapStatus.NO_CREDENTIALS);
          allowed = fitCredentialList(usableIds(info, allowList), baseSize, key.hid.maxRequestSize, info.maxCredentialCountInList ?? 1).batches[0] ?? [];
          if (allowed.length === 0) throw new SecurityKeyError('request_too_large');
        }
      }
      let pinUv: { param: Uint8Array; protocol: number } | undefined;
      let assertions: GetAssertionResponse[];
      try {
        if (plan === 'pin') pinUv = await this.#pinUvAuth(key, control, ceremony, PinPermission.GET_ASSERTION, rpId, clientData.hash);
        const first = await key.ctap2.getAssertion(request(allowed, pinUv), { signal: control.signal, timeoutMs: remaining(control), onTouchNeeded: control.touchNeeded });
        assertions = [first];
        control.claim();
        for (let i = 1; i < Math.min(first.numberOfCredentials ?? 1, 32); i++) {
          assertions.push(await key.ctap2.getNextAssertion({ signal: control.signal }));
        }
      } catch (error) {
        if (error instanceof CtapError && DECISIVE.has(error.status)) control.claim();
        throw error;
      }
      ceremony.emit({ type: 'processing', message: 'Finishing with your security key…' });
      let index: number | undefined = 0;
      if (assertions.length > 1 && ceremony.options.chooseAccount) {
        const accounts = assertions.map((a): KeyAccount => ({
          userHandle: toBase64Url(a.user?.id ?? new Uint8Array()),
          ...(a.user?.name !== undefined && { name: a.user.name }),
          ...(a.user?.displayName !== undefined && { displayName: a.user.displayName }),
        }));
        index = await untilAborted(ceremony.options.chooseAccount(accounts, { signal: control.signal }), control.signal, 'No account was chosen in time. Try again.');
      }
      const chosen = index === undefined ? undefined : assertions[index];
      if (!chosen) throw new SecurityKeyError('cancelled');
      const credentialId = chosen.credential?.id ?? (allowed.length === 1 ? allowed[0]!.id : undefined);
      if (!credentialId) throw new CtapError(CtapStatus.INVALID_CREDENTIAL);
      return assertionResponse(clientData.json, credentialId, chosen.authData, chosen.signature, chosen.user?.id);
    });
  }

  #touchOptions(control: AttemptControl) {
    return { signal: control.signal, deadline: control.deadline, pollIntervalMs: Math.min(this.config.pollIntervalMs ?? 100, 100), onTouchNeeded: control.touchNeeded };
  }

  async #ceremony<T>(options: CeremonyOptions, serverTimeout: number | undefined, attempt: (key: OpenSecurityKey, control: AttemptControl, ceremony: Ceremony) => Promise<T>): Promise<T> {
    const timeoutMs = options.timeoutMs ?? serverTimeout ?? DEFAULT_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    // One signal for the whole ceremony: the lifetime timer or the caller's abort (linked by hand,
    // since AbortSignal.any is slow on Node 20).
    const ending = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ending.abort(new SecurityKeyError('timeout'));
    }, timeoutMs);
    const cancel = () => ending.abort(new SecurityKeyError('cancelled'));
    if (options.signal?.aborted) cancel();
    else options.signal?.addEventListener('abort', cancel, { once: true });
    const signal = ending.signal;
    let last: string | undefined;
    const ceremony: Ceremony = {
      options,
      emit(event) {
        // Several keys report the same state; tell the UI once per change (the message follows from the rest).
        const fingerprint = event.type === 'pin_needed' ? `${event.type}:${event.retries}:${event.wrongPin}` : event.type;
        if (fingerprint === last) return;
        last = fingerprint;
        options.onProgress?.(event);
      },
    };
    const keyAttempt: KeyAttempt<T> = (key, control) => attempt(key, control, ceremony);
    try {
      const result = await raceSecurityKeys(keyAttempt, {
        discovery: this.config.discovery,
        signal,
        deadline,
        pollIntervalMs: this.config.pollIntervalMs ?? 500,
        ...(this.config.hid && { hid: this.config.hid }),
        onWaitingForKey: () => ceremony.emit({ type: 'waiting_for_key', message: 'Insert your security key.' }),
        onTouchNeeded: () => ceremony.emit({ type: 'touch_needed', message: 'Touch your security key.' }),
      });
      ceremony.emit({ type: 'done' });
      return result;
    } catch (error) {
      if (options.signal?.aborted) {
        ceremony.emit({ type: 'cancelled' });
        throw new SecurityKeyError('cancelled', undefined, { cause: error });
      }
      // A key that never answered is not one that was not touched.
      if (timedOut) throw error instanceof SecurityKeyError && (error.code === 'timeout' || error.code === 'key_not_responding') ? error : new SecurityKeyError('timeout', undefined, { cause: error });
      throw error;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', cancel);
    }
  }

  /** Chooses this key (by touch when others are present), asks for the PIN and returns pinUvAuthParam. */
  async #pinUvAuth(key: OpenSecurityKey & { kind: 'ctap2' }, control: AttemptControl, ceremony: Ceremony, permission: number, rpId: string, clientDataHash: Uint8Array): Promise<{ param: Uint8Array; protocol: number }> {
    if (control.otherKeysPresent()) await selectByTouch(key, control);
    control.claim();
    const clientPin = ClientPin.for(key.ctap2, key.info);
    const pinCall = () => ({ signal: control.signal, timeoutMs: Math.min(10_000, remaining(control)) });
    let retries = await clientPin.getPinRetries(pinCall()).then((r) => r.retries, () => undefined);
    if (retries === 0) throw new CtapError(CtapStatus.PIN_BLOCKED);
    let wrongPin = false;
    for (;;) {
      const message = wrongPin
        ? `Wrong PIN.${retries === undefined ? '' : ` ${retries} ${retries === 1 ? 'try' : 'tries'} left.`} Enter your security key PIN.`
        : 'Enter your security key PIN.';
      ceremony.emit({ type: 'pin_needed', ...(retries !== undefined && { retries }), wrongPin, message });
      if (!ceremony.options.requestPin) throw new SecurityKeyError('pin_required');
      const pin = await untilAborted(ceremony.options.requestPin({ ...(retries !== undefined && { retries }), wrongPin, message, keyName: key.transport.productName, signal: control.signal }), control.signal, "The security key PIN wasn't entered in time. Try again.");
      if (pin === undefined) throw new SecurityKeyError('cancelled');
      try {
        const token = await clientPin.getPinToken(pin, permission, rpId, pinCall());
        ceremony.emit({ type: 'processing', message: 'Checking…' });
        return { param: clientPin.authenticate(token, clientDataHash), protocol: clientPin.protocol.version };
      } catch (error) {
        if (error instanceof CtapError && error.status === CtapStatus.PIN_INVALID) {
          retries = error.retries;
          if (retries === 0) throw new CtapError(CtapStatus.PIN_BLOCKED);
          wrongPin = true;
          continue;
        }
        if (error instanceof SecurityKeyError && error.code === 'invalid_options') {
          wrongPin = true;
          continue;
        }
        throw error;
      }
    }
  }

  /**
   * Fits a credential list to the key (CTAP 2.1 §6.4): drops ids longer than it accepts or too
   * long for any request to it, and when the list does not fit one request (by count or by
   * maxMsgSize) probes batches that do, silently (up=false), to find the one it holds.
   * `baseSize` is the real request's size without the list.
   */
  async #fitCredentialList(key: OpenSecurityKey & { kind: 'ctap2' }, rpId: string, list: CredentialDescriptor[], control: AttemptControl, purpose: 'allow' | 'exclude', baseSize: number): Promise<CredentialDescriptor[]> {
    const limit = key.hid.maxRequestSize;
    const maxCount = key.info.maxCredentialCountInList ?? 1;
    checkFits(baseSize, limit);
    const usable = usableIds(key.info, list);
    const whole = fitCredentialList(usable, baseSize, limit, maxCount);
    const fitsAtOnce = whole.batches.length <= 1 && whole.unfit.length === 0;
    if (fitsAtOnce && purpose === 'exclude') return usable;
    if (usable.length > 0 && whole.unfit.length === usable.length) throw new SecurityKeyError('request_too_large');
    // A batch found by a probe is then sent in the real request, so it must fit both.
    const probeBase = ctap2RequestSize(getAssertionParameters({ rpId, clientDataHash: PROBE_HASH, options: { up: false } }));
    for (const chunk of fitCredentialList(usable, Math.max(baseSize, probeBase), limit, maxCount).batches) {
      try {
        const probe = await key.ctap2.getAssertion(
          { rpId, clientDataHash: PROBE_HASH, allowList: chunk, options: { up: false } },
          { signal: control.signal, timeoutMs: Math.min(5_000, remaining(control)) },
        );
        const id = probe.credential?.id ?? (chunk.length === 1 ? chunk[0]!.id : undefined);
        const found = id && chunk.find((c) => Buffer.from(c.id).equals(Buffer.from(id)));
        return found ? [found] : chunk;
      } catch (error) {
        if (error instanceof CtapError && error.status === CtapStatus.NO_CREDENTIALS) continue;
        // A key that refuses silent probes gets the list as it is, if it fits.
        if (error instanceof CtapError && fitsAtOnce) return usable;
        throw error;
      }
    }
    return [];
  }
}

/** The ids a key can take at all (CTAP 2.1 §6.4 maxCredentialIdLength). */
function usableIds(info: { maxCredentialIdLength?: number }, list: CredentialDescriptor[]): CredentialDescriptor[] {
  const maxLength = info.maxCredentialIdLength;
  return maxLength ? list.filter((c) => c.id.length <= maxLength) : list;
}

/** The request without any list is already too large for the key: no cutting helps, and retrying would not either. */
function checkFits(size: number, limit: number): void {
  if (size > limit) throw new SecurityKeyError('request_too_large', `This sign-in request (${size} bytes) is too large for this security key, which takes ${limit}. Try another key or another sign-in method.`);
}

/** Waits for a touch without doing anything else (CTAP 2.1 selection, or the 2.0 / U2F equivalents). */
async function selectByTouch(key: OpenSecurityKey & { kind: 'ctap2' }, control: AttemptControl): Promise<void> {
  const callOptions = { signal: control.signal, timeoutMs: remaining(control), onTouchNeeded: control.touchNeeded };
  if (supportsCtap21(key.info)) {
    await key.ctap2.selection(callOptions);
    return;
  }
  // CTAP 2.0 §5.1: a zero-length pinAuth makes the key wait for a touch, then report its PIN state.
  try {
    await key.ctap2.makeCredential(
      {
        clientDataHash: new Uint8Array(32),
        rp: { id: '.dummy' },
        user: { id: Uint8Array.of(1), name: 'dummy' },
        pubKeyCredParams: [{ type: 'public-key', alg: Cose.ALG_ES256 }],
        pinUvAuthParam: new Uint8Array(),
        pinUvAuthProtocol: 1,
      },
      callOptions,
    );
  } catch (error) {
    if (error instanceof CtapError && (error.status === CtapStatus.PIN_INVALID || error.status === CtapStatus.PIN_NOT_SET)) return;
    throw error;
  }
}

/**
 * What the agent answers (a PIN, an account), raced against cancel, another key winning and the
 * ceremony's deadline: WebAuthn L3 §5.1.3 / §5.1.4.1 end the request on abort or when the
 * lifetime timer expires, whatever prompt is open.
 */
async function untilAborted<T>(answer: Promise<T>, signal: AbortSignal, timeoutMessage: string): Promise<T> {
  const reason = () => {
    const why = signal.reason;
    if (why instanceof SecurityKeyError && why.code === 'timeout') return new SecurityKeyError('timeout', timeoutMessage);
    return why instanceof SecurityKeyError ? why : new SecurityKeyError('cancelled');
  };
  if (signal.aborted) throw reason();
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(reason());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const value = await Promise.race([answer, aborted]);
    // A prompt that answered while closing (undefined, say) loses to the reason it was closed for.
    if (signal.aborted) throw reason();
    return value;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function remaining(control: AttemptControl): number {
  return Math.max(1, control.deadline - Date.now());
}

function safeHostname(origin: string): string {
  try {
    return new URL(origin).hostname;
  } catch {
    throw new SecurityKeyError('invalid_options', `"${origin}" is not a valid origin.`);
  }
}

function registrationResponse(
  clientDataJSON: Uint8Array,
  fmt: string,
  authData: Uint8Array,
  attStmt: Map<unknown, unknown>,
  requestedExtensions: Record<string, unknown>,
  residentKey: boolean,
  transports: string[],
): RegistrationResponseJSON {
  const parsed = parseAuthenticatorData(authData);
  if (!parsed.attested) throw new CtapError(CtapStatus.INVALID_CREDENTIAL);
  const attestationObject = encodeCbor(new Map<string, unknown>([['fmt', fmt], ['attStmt', attStmt], ['authData', authData]]));
  const cose = parsed.attested.publicKeyCose;
  const alg = cose instanceof Map ? cose.get(Cose.ALG) : undefined;
  let publicKey: string | undefined;
  try {
    publicKey = toBase64Url(spkiFromCose(cose));
  } catch {
    // Not an EC2 P-256 key: the server reads the key from attestationObject instead.
  }
  const id = toBase64Url(parsed.attested.credentialId);
  return {
    id,
    rawId: id,
    type: 'public-key',
    response: {
      clientDataJSON: toBase64Url(clientDataJSON),
      attestationObject: toBase64Url(attestationObject),
      authenticatorData: toBase64Url(authData),
      transports,
      ...(typeof alg === 'number' && { publicKeyAlgorithm: alg }),
      ...(publicKey !== undefined && { publicKey }),
    },
    authenticatorAttachment: 'cross-platform',
    clientExtensionResults: requestedExtensions.credProps === true ? { credProps: { rk: residentKey } } : {},
  };
}

function assertionResponse(clientDataJSON: Uint8Array, credentialId: Uint8Array, authData: Uint8Array, signature: Uint8Array, userHandle: Uint8Array | undefined): AuthenticationResponseJSON {
  const id = toBase64Url(credentialId);
  return {
    id,
    rawId: id,
    type: 'public-key',
    response: {
      clientDataJSON: toBase64Url(clientDataJSON),
      authenticatorData: toBase64Url(authData),
      signature: toBase64Url(signature),
      ...(userHandle && userHandle.length > 0 && { userHandle: toBase64Url(userHandle) }),
    },
    authenticatorAttachment: 'cross-platform',
    clientExtensionResults: {},
  };
}
