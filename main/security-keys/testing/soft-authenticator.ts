import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { decode, encode } from 'cborg';
import { Capability, KeepaliveStatus } from '../ctaphid-frames.js';
import { CtapStatus } from '../errors.js';
import { createMemoryLink, type DevicePort } from '../transport/memory.js';
import type { SecurityKeyTransport } from '../transport/transport.js';
import { CtapHidDeviceSimulator, type HidMessageHandler } from './ctaphid-device.js';
import { keyAgreementCose, newKeyAgreementKey, softPinProtocols } from './soft-pin.js';
import { selfSignedCertificate } from './x509.js';

/**
 * A software security key for tests and the bench: CTAP 2.1 (ES256, client PIN with protocols
 * 1 and 2, resident keys, credProtect) and CTAP1/U2F, behind real CTAPHID framing. User presence
 * is scripted: 'touch' answers by itself, 'refuse' declines, 'never' lets the key time out,
 * 'manual' waits for touch().
 */
export type PresenceMode = 'touch' | 'refuse' | 'never' | 'manual';

export interface SoftAuthenticatorOptions {
  mode?: 'ctap2' | 'u2f';
  /** CTAP2 versions; drop 'FIDO_2_1' to behave like a CTAP 2.0 key. */
  versions?: string[];
  pin?: string;
  pinProtocols?: (1 | 2)[];
  maxPinRetries?: number;
  presence?: PresenceMode;
  touchDelayMs?: number;
  /** How long 'never' waits before USER_ACTION_TIMEOUT. */
  presenceTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  maxCredentialCountInList?: number;
  /** getInfo maxMsgSize, enforced: longer requests are refused (CTAPHID ERROR INVALID_LEN). */
  maxMsgSize?: number;
  /** false: never answers CTAPHID_INIT (a key whose firmware is wedged). */
  answersInit?: boolean;
  /** ClientPIN token requests take this long (slow PIN hashing on the key), with keepalives. */
  pinDelayMs?: number;
  productName?: string;
}

interface Credential {
  id: Uint8Array;
  rpId: string;
  rpIdHash: Uint8Array;
  privateKey: KeyObject;
  publicKey: KeyObject;
  user?: { id: Uint8Array; name?: string; displayName?: string };
  resident: boolean;
  credProtect: number;
  u2f: boolean;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const sha256 = (d: Uint8Array | string) => new Uint8Array(createHash('sha256').update(d).digest());

class StatusError extends Error {
  constructor(readonly status: number) {
    super(`CTAP status 0x${status.toString(16)}`);
  }
}

export class SoftAuthenticator implements HidMessageHandler {
  readonly aaguid = randomBytes(16);
  readonly options: Required<Omit<SoftAuthenticatorOptions, 'pin'>>;
  readonly credentials = new Map<string, Credential>();
  pin: string | undefined;
  pinRetries: number;
  #consecutivePinFailures = 0;
  #keyAgreement = newKeyAgreementKey();
  #pinToken: { token: Uint8Array; permissions: number; rpId?: string } | undefined;
  #signCount = 0;
  #pendingAssertions: { list: Credential[]; clientDataHash: Uint8Array; uv: boolean; up: boolean } | undefined;
  #presenceWaiters: ((touched: boolean) => void)[] = [];
  #u2fTouched = false;
  #attestation: { privateKey: KeyObject; certificate: Uint8Array };
  /** Time spent creating keys and signing: what the bench subtracts to find the client's share. */
  cryptoTimeNs = 0n;
  simulator: CtapHidDeviceSimulator | undefined;

  constructor(options: SoftAuthenticatorOptions = {}) {
    this.options = {
      mode: options.mode ?? 'ctap2',
      versions: options.versions ?? ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1'],
      pinProtocols: options.pinProtocols ?? [2, 1],
      maxPinRetries: options.maxPinRetries ?? 8,
      presence: options.presence ?? 'touch',
      touchDelayMs: options.touchDelayMs ?? 0,
      presenceTimeoutMs: options.presenceTimeoutMs ?? 30_000,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 100,
      maxCredentialCountInList: options.maxCredentialCountInList ?? 8,
      maxMsgSize: options.maxMsgSize ?? 1200,
      answersInit: options.answersInit ?? true,
      pinDelayMs: options.pinDelayMs ?? 0,
      productName: options.productName ?? 'AgentDesk soft key',
    };
    this.pin = options.pin;
    this.pinRetries = this.options.maxPinRetries;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.#attestation = { privateKey, certificate: selfSignedCertificate(privateKey, publicKey, 'AgentDesk soft key attestation') };
  }

  get capabilities(): number {
    return this.options.mode === 'u2f' ? Capability.WINK : Capability.WINK | Capability.CBOR;
  }

  get maxMessageSize(): number {
    return this.options.maxMsgSize;
  }

  get answersInit(): boolean {
    return this.options.answersInit;
  }

  get ctap21(): boolean {
    return this.options.versions.includes('FIDO_2_1');
  }

  /** Connects to a device port (memory link or UDP simulator). */
  attach(port: DevicePort): this {
    this.simulator = new CtapHidDeviceSimulator(port, this);
    return this;
  }

  /** A host transport wired to this key through an in-memory link. */
  plugIn(): SecurityKeyTransport & { unplug(): void } {
    const { host, device } = createMemoryLink(this.options.productName);
    this.attach(device);
    return host;
  }

  setPresence(mode: PresenceMode): void {
    this.options.presence = mode;
  }

  /** The user touches the key (for 'manual' presence and U2F polling). */
  touch(): void {
    this.#u2fTouched = true;
    for (const waiter of this.#presenceWaiters.splice(0)) waiter(true);
  }

  /** Unplug and replug: PIN auth blocks and tokens are forgotten (CTAP 2.1 §6.5.2). */
  powerCycle(): void {
    this.#consecutivePinFailures = 0;
    this.#keyAgreement = newKeyAgreementKey();
    this.#pinToken = undefined;
  }

  #timed<T>(work: () => T): T {
    const start = process.hrtime.bigint();
    try {
      return work();
    } finally {
      this.cryptoTimeNs += process.hrtime.bigint() - start;
    }
  }

  async #userPresence(context: { keepalive(status: number): void; signal: AbortSignal }): Promise<void> {
    const { signal } = context;
    const mode = this.options.presence;
    const keepalive = setInterval(() => context.keepalive(KeepaliveStatus.UP_NEEDED), this.options.keepaliveIntervalMs);
    context.keepalive(KeepaliveStatus.UP_NEEDED);
    try {
      const cancelled = new Promise<'cancelled'>((resolve) => {
        if (signal.aborted) resolve('cancelled');
        signal.addEventListener('abort', () => resolve('cancelled'), { once: true });
      });
      const timeout = sleep(this.options.presenceTimeoutMs, 'timeout' as const, { ref: false });
      let outcome: 'touched' | 'refused' | 'cancelled' | 'timeout';
      // An instant touch needs no timer (a 0 ms timer still costs a millisecond of the bench's time).
      if (mode === 'touch') outcome = this.options.touchDelayMs > 0 ? await Promise.race([sleep(this.options.touchDelayMs, 'touched' as const), cancelled]) : signal.aborted ? 'cancelled' : 'touched';
      else if (mode === 'refuse') outcome = await Promise.race([sleep(this.options.touchDelayMs, 'refused' as const), cancelled]);
      else if (mode === 'never') outcome = await Promise.race([timeout, cancelled]);
      else {
        outcome = await Promise.race([
          new Promise<'touched' | 'refused'>((resolve) => this.#presenceWaiters.push((t) => resolve(t ? 'touched' : 'refused'))),
          cancelled,
          timeout,
        ]);
      }
      if (outcome === 'cancelled') throw new StatusError(CtapStatus.KEEPALIVE_CANCEL);
      if (outcome === 'refused') throw new StatusError(CtapStatus.OPERATION_DENIED);
      if (outcome === 'timeout') throw new StatusError(CtapStatus.USER_ACTION_TIMEOUT);
    } finally {
      clearInterval(keepalive);
    }
  }

  /** Busy for `ms` with KEEPALIVE(processing), ending early on CTAPHID_CANCEL. */
  async #processing(ms: number, context: { keepalive(status: number): void; signal: AbortSignal }): Promise<void> {
    const keepalive = setInterval(() => context.keepalive(KeepaliveStatus.PROCESSING), this.options.keepaliveIntervalMs);
    try {
      await sleep(ms, undefined, { signal: context.signal }).catch(() => undefined);
      if (context.signal.aborted) throw new StatusError(CtapStatus.KEEPALIVE_CANCEL);
    } finally {
      clearInterval(keepalive);
    }
  }

  // ---- CTAP2 -------------------------------------------------------------------------------

  async cbor(request: Uint8Array, context: { keepalive(status: number): void; signal: AbortSignal }): Promise<Uint8Array> {
    if (this.options.mode === 'u2f') return Uint8Array.of(CtapStatus.INVALID_COMMAND);
    const command = request[0];
    let params: Map<unknown, unknown> = new Map();
    if (request.length > 1) {
      try {
        const decoded = decode(request.subarray(1), { useMaps: true, rejectDuplicateMapKeys: true, allowIndefinite: false });
        if (!(decoded instanceof Map)) return Uint8Array.of(CtapStatus.CBOR_UNEXPECTED_TYPE);
        params = decoded;
      } catch {
        return Uint8Array.of(CtapStatus.INVALID_CBOR);
      }
    }
    if (command !== 0x08) this.#pendingAssertions = undefined;
    try {
      let reply: Map<number, unknown> | undefined;
      switch (command) {
        case 0x04: reply = this.#getInfo(); break;
        case 0x01: reply = await this.#makeCredential(params, context); break;
        case 0x02: reply = await this.#getAssertion(params, context); break;
        case 0x08: reply = this.#getNextAssertion(); break;
        case 0x06:
          if (this.options.pinDelayMs > 0 && (params.get(0x02) === 0x05 || params.get(0x02) === 0x09)) await this.#processing(this.options.pinDelayMs, context);
          reply = this.#clientPin(params);
          break;
        case 0x0b:
          if (!this.ctap21) throw new StatusError(CtapStatus.INVALID_COMMAND);
          await this.#userPresence(context);
          break;
        default: throw new StatusError(CtapStatus.INVALID_COMMAND);
      }
      if (!reply) return Uint8Array.of(0);
      const body = encode(reply);
      const out = new Uint8Array(1 + body.length);
      out.set(body, 1);
      return out;
    } catch (error) {
      if (error instanceof StatusError) return Uint8Array.of(error.status);
      return Uint8Array.of(CtapStatus.OTHER);
    }
  }

  #getInfo(): Map<number, unknown> {
    const options = new Map<string, boolean>([['rk', true], ['up', true], ['plat', false], ['clientPin', this.pin !== undefined]]);
    if (this.ctap21) {
      options.set('pinUvAuthToken', true);
      options.set('makeCredUvNotRqd', true);
    }
    return new Map<number, unknown>([
      [0x01, this.options.versions],
      [0x02, ['credProtect']],
      [0x03, this.aaguid],
      [0x04, options],
      [0x05, this.options.maxMsgSize],
      [0x06, this.options.pinProtocols],
      [0x07, this.options.maxCredentialCountInList],
      [0x08, 128],
      [0x09, ['usb']],
      [0x0a, [new Map<string, unknown>([['alg', -7], ['type', 'public-key']])]],
    ]);
  }

  /** Checks pinUvAuthParam; `undefined` when absent. A zero-length one asks only for a touch. */
  async #checkPinUvAuth(params: Map<unknown, unknown>, paramKey: number, protocolKey: number, clientDataHash: Uint8Array, permission: number, rpId: string, context: { keepalive(status: number): void; signal: AbortSignal }): Promise<boolean> {
    const param = params.get(paramKey);
    if (param === undefined) return false;
    if (!(param instanceof Uint8Array)) throw new StatusError(CtapStatus.CBOR_UNEXPECTED_TYPE);
    if (param.length === 0) {
      await this.#userPresence(context);
      throw new StatusError(this.pin === undefined ? CtapStatus.PIN_NOT_SET : CtapStatus.PIN_INVALID);
    }
    const protocol = params.get(protocolKey);
    if (protocol === undefined) throw new StatusError(CtapStatus.MISSING_PARAMETER);
    if (protocol !== 1 && protocol !== 2) throw new StatusError(CtapStatus.INVALID_PARAMETER);
    if (!this.options.pinProtocols.includes(protocol)) throw new StatusError(CtapStatus.INVALID_PARAMETER);
    const token = this.#pinToken;
    if (!token || !softPinProtocols[protocol].verify(token.token, clientDataHash, param)) throw new StatusError(CtapStatus.PIN_AUTH_INVALID);
    if (!(token.permissions & permission) || (token.rpId !== undefined && token.rpId !== rpId)) throw new StatusError(CtapStatus.PIN_AUTH_INVALID);
    token.rpId ??= rpId;
    return true;
  }

  async #makeCredential(params: Map<unknown, unknown>, context: { keepalive(status: number): void; signal: AbortSignal }): Promise<Map<number, unknown>> {
    const clientDataHash = params.get(0x01);
    const rp = params.get(0x02);
    const user = params.get(0x03);
    const algs = params.get(0x04);
    if (clientDataHash === undefined || rp === undefined || user === undefined || algs === undefined) throw new StatusError(CtapStatus.MISSING_PARAMETER);
    if (!(clientDataHash instanceof Uint8Array) || !(rp instanceof Map) || !(user instanceof Map) || !Array.isArray(algs)) throw new StatusError(CtapStatus.CBOR_UNEXPECTED_TYPE);
    const rpId = rp.get('id');
    const userId = user.get('id');
    if (typeof rpId !== 'string' || !(userId instanceof Uint8Array)) throw new StatusError(CtapStatus.MISSING_PARAMETER);
    const options = (params.get(0x07) as Map<string, boolean> | undefined) ?? new Map<string, boolean>();
    if (options.get('up') === false) throw new StatusError(CtapStatus.INVALID_OPTION);
    if (options.get('uv') === true) throw new StatusError(CtapStatus.INVALID_OPTION);
    if (!algs.some((a) => a instanceof Map && a.get('alg') === -7 && a.get('type') === 'public-key')) {
      // A zero-length pinUvAuthParam (selection) comes with a valid list, so check this first only for real requests.
      throw new StatusError(CtapStatus.UNSUPPORTED_ALGORITHM);
    }
    const resident = options.get('rk') === true;
    const uv = await this.#checkPinUvAuth(params, 0x08, 0x09, clientDataHash, 0x01, rpId, context);
    if (!uv && this.pin !== undefined && (resident || !this.ctap21)) throw new StatusError(CtapStatus.PUAT_REQUIRED);
    const excludeList = params.get(0x05);
    if (Array.isArray(excludeList)) {
      for (const descriptor of excludeList) {
        const id = descriptor instanceof Map ? descriptor.get('id') : undefined;
        const existing = id instanceof Uint8Array ? this.credentials.get(hex(id)) : undefined;
        if (existing && existing.rpId === rpId && (existing.credProtect !== 3 || uv)) {
          await this.#userPresence(context);
          throw new StatusError(CtapStatus.CREDENTIAL_EXCLUDED);
        }
      }
    }
    const extensions = params.get(0x06);
    let credProtect = 1;
    if (extensions instanceof Map && typeof extensions.get('credProtect') === 'number') {
      credProtect = extensions.get('credProtect') as number;
      if (credProtect < 1 || credProtect > 3) throw new StatusError(CtapStatus.INVALID_OPTION);
    }
    await this.#userPresence(context);
    const rpIdHash = sha256(rpId);
    const { privateKey, publicKey } = this.#timed(() => generateKeyPairSync('ec', { namedCurve: 'P-256' }));
    const id = new Uint8Array(randomBytes(resident ? 32 : 64));
    const userEntity = { id: userId } as NonNullable<Credential['user']>;
    if (typeof user.get('name') === 'string') userEntity.name = user.get('name') as string;
    if (typeof user.get('displayName') === 'string') userEntity.displayName = user.get('displayName') as string;
    const credential: Credential = { id, rpId, rpIdHash, privateKey, publicKey, user: userEntity, resident, credProtect, u2f: false };
    if (resident) {
      for (const [key, other] of this.credentials) if (other.resident && other.rpId === rpId && hex(other.user?.id ?? new Uint8Array()) === hex(userId)) this.credentials.delete(key);
    }
    this.credentials.set(hex(id), credential);
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))], [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))]]);
    const extOut = credProtect > 1 ? encode(new Map([['credProtect', credProtect]])) : undefined;
    const flags = 0x01 | (uv ? 0x04 : 0) | 0x40 | (extOut ? 0x80 : 0);
    const authData = this.#authData(rpIdHash, flags, [this.aaguid, Uint8Array.of(0, id.length), id, encode(cose), ...(extOut ? [extOut] : [])]);
    const signature = this.#timed(() => sign('sha256', Buffer.concat([authData, clientDataHash]), privateKey));
    return new Map<number, unknown>([[0x01, 'packed'], [0x02, authData], [0x03, new Map<string, unknown>([['alg', -7], ['sig', new Uint8Array(signature)]])]]);
  }

  #authData(rpIdHash: Uint8Array, flags: number, rest: Uint8Array[]): Uint8Array {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(++this.#signCount);
    return new Uint8Array(Buffer.concat([rpIdHash, Buffer.of(flags), counter, ...rest]));
  }

  async #getAssertion(params: Map<unknown, unknown>, context: { keepalive(status: number): void; signal: AbortSignal }): Promise<Map<number, unknown>> {
    const rpId = params.get(0x01);
    const clientDataHash = params.get(0x02);
    if (typeof rpId !== 'string' || !(clientDataHash instanceof Uint8Array)) throw new StatusError(CtapStatus.MISSING_PARAMETER);
    const options = (params.get(0x05) as Map<string, boolean> | undefined) ?? new Map<string, boolean>();
    if (options.get('uv') === true) throw new StatusError(CtapStatus.INVALID_OPTION);
    const up = options.get('up') !== false;
    const uv = await this.#checkPinUvAuth(params, 0x06, 0x07, clientDataHash, 0x02, rpId, context);
    const allowList = params.get(0x03);
    let found: Credential[];
    if (Array.isArray(allowList) && allowList.length > 0) {
      if (allowList.length > this.options.maxCredentialCountInList) throw new StatusError(CtapStatus.LIMIT_EXCEEDED);
      found = allowList
        .map((d) => (d instanceof Map && d.get('id') instanceof Uint8Array ? this.credentials.get(hex(d.get('id') as Uint8Array)) : undefined))
        .filter((c): c is Credential => c !== undefined && c.rpId === rpId && (c.credProtect < 3 || uv));
    } else {
      found = [...this.credentials.values()].filter((c) => c.resident && c.rpId === rpId && (c.credProtect === 1 || uv));
    }
    if (found.length === 0) throw new StatusError(CtapStatus.NO_CREDENTIALS);
    if (up) await this.#userPresence(context);
    const discoverable = !(Array.isArray(allowList) && allowList.length > 0);
    const first = found[0]!;
    const reply = this.#assertion(first, clientDataHash, uv, up, discoverable);
    if (discoverable && found.length > 1) {
      reply.set(0x05, found.length);
      this.#pendingAssertions = { list: found.slice(1), clientDataHash, uv, up };
    }
    return reply;
  }

  #getNextAssertion(): Map<number, unknown> {
    const pending = this.#pendingAssertions;
    const next = pending?.list.shift();
    if (!pending || !next) throw new StatusError(CtapStatus.NOT_ALLOWED);
    return this.#assertion(next, pending.clientDataHash, pending.uv, pending.up, true);
  }

  #assertion(credential: Credential, clientDataHash: Uint8Array, uv: boolean, up: boolean, discoverable: boolean): Map<number, unknown> {
    const authData = this.#authData(credential.rpIdHash, (up ? 0x01 : 0) | (uv ? 0x04 : 0), []);
    const signature = this.#timed(() => sign('sha256', Buffer.concat([authData, clientDataHash]), credential.privateKey));
    const reply = new Map<number, unknown>([
      [0x01, new Map<string, unknown>([['id', credential.id], ['type', 'public-key']])],
      [0x02, authData],
      [0x03, new Uint8Array(signature)],
    ]);
    if (credential.resident && credential.user) {
      const user = new Map<string, unknown>([['id', credential.user.id]]);
      if (uv && discoverable) {
        if (credential.user.name !== undefined) user.set('name', credential.user.name);
        if (credential.user.displayName !== undefined) user.set('displayName', credential.user.displayName);
      }
      reply.set(0x04, user);
    }
    return reply;
  }

  // ---- ClientPIN (CTAP 2.1 §6.5) ------------------------------------------------------------

  #clientPin(params: Map<unknown, unknown>): Map<number, unknown> | undefined {
    const protocolVersion = params.get(0x01);
    const sub = params.get(0x02);
    if (typeof sub !== 'number') throw new StatusError(CtapStatus.MISSING_PARAMETER);
    if (sub === 0x01) return new Map<number, unknown>([[0x03, this.pinRetries], [0x04, false]]);
    if (protocolVersion !== 1 && protocolVersion !== 2) throw new StatusError(protocolVersion === undefined ? CtapStatus.MISSING_PARAMETER : CtapStatus.INVALID_PARAMETER);
    if (!this.options.pinProtocols.includes(protocolVersion)) throw new StatusError(CtapStatus.INVALID_PARAMETER);
    const protocol = softPinProtocols[protocolVersion];
    if (sub === 0x02) return new Map<number, unknown>([[0x01, keyAgreementCose(this.#keyAgreement)]]);
    const platformKey = params.get(0x03);
    if (!(platformKey instanceof Map)) throw new StatusError(CtapStatus.MISSING_PARAMETER);
    const shared = protocol.decapsulate(this.#keyAgreement, platformKey);
    if (!shared) throw new StatusError(CtapStatus.INVALID_PARAMETER);

    if (sub === 0x03 || sub === 0x04) {
      const newPinEnc = params.get(0x05);
      const auth = params.get(0x04);
      if (!(newPinEnc instanceof Uint8Array) || !(auth instanceof Uint8Array)) throw new StatusError(CtapStatus.MISSING_PARAMETER);
      if (sub === 0x03 && this.pin !== undefined) throw new StatusError(CtapStatus.NOT_ALLOWED);
      if (sub === 0x04 && this.pin === undefined) throw new StatusError(CtapStatus.PIN_NOT_SET);
      let message = newPinEnc;
      if (sub === 0x04) {
        const pinHashEnc = params.get(0x06);
        if (!(pinHashEnc instanceof Uint8Array)) throw new StatusError(CtapStatus.MISSING_PARAMETER);
        message = new Uint8Array(Buffer.concat([newPinEnc, pinHashEnc]));
        if (!protocol.verify(shared, message, auth)) throw new StatusError(CtapStatus.PIN_AUTH_INVALID);
        this.#checkPinHash(protocol, shared, pinHashEnc);
      } else if (!protocol.verify(shared, message, auth)) {
        throw new StatusError(CtapStatus.PIN_AUTH_INVALID);
      }
      const padded = protocol.decrypt(shared, newPinEnc);
      if (!padded || padded.length !== 64) throw new StatusError(CtapStatus.PIN_POLICY_VIOLATION);
      const end = padded.indexOf(0);
      const pin = new TextDecoder().decode(padded.subarray(0, end === -1 ? 64 : end));
      if ([...pin].length < 4) throw new StatusError(CtapStatus.PIN_POLICY_VIOLATION);
      this.pin = pin;
      this.pinRetries = this.options.maxPinRetries;
      this.#pinToken = undefined;
      return undefined;
    }

    if (sub === 0x05 || sub === 0x09) {
      if (this.pin === undefined) throw new StatusError(CtapStatus.PIN_NOT_SET);
      const pinHashEnc = params.get(0x06);
      if (!(pinHashEnc instanceof Uint8Array)) throw new StatusError(CtapStatus.MISSING_PARAMETER);
      let permissions = 0x03;
      let rpId: string | undefined;
      if (sub === 0x09) {
        if (!this.ctap21) throw new StatusError(CtapStatus.INVALID_SUBCOMMAND);
        const p = params.get(0x09);
        if (typeof p !== 'number') throw new StatusError(CtapStatus.MISSING_PARAMETER);
        if (p === 0) throw new StatusError(CtapStatus.INVALID_PARAMETER);
        permissions = p;
        const r = params.get(0x0a);
        if (typeof r === 'string') rpId = r;
      }
      this.#checkPinHash(protocol, shared, pinHashEnc);
      const token = new Uint8Array(randomBytes(32));
      this.#pinToken = rpId === undefined ? { token, permissions } : { token, permissions, rpId };
      return new Map<number, unknown>([[0x02, protocol.encrypt(shared, token)]]);
    }
    throw new StatusError(CtapStatus.INVALID_SUBCOMMAND);
  }

  #checkPinHash(protocol: (typeof softPinProtocols)[1], shared: Uint8Array, pinHashEnc: Uint8Array): void {
    if (this.pinRetries === 0) throw new StatusError(CtapStatus.PIN_BLOCKED);
    if (this.#consecutivePinFailures >= 3) throw new StatusError(CtapStatus.PIN_AUTH_BLOCKED);
    this.pinRetries--;
    const got = protocol.decrypt(shared, pinHashEnc);
    const expected = sha256(new TextEncoder().encode(this.pin ?? '')).subarray(0, 16);
    if (!got || got.length !== 16 || !Buffer.from(got).equals(Buffer.from(expected))) {
      this.#keyAgreement = newKeyAgreementKey();
      this.#consecutivePinFailures++;
      if (this.pinRetries === 0) throw new StatusError(CtapStatus.PIN_BLOCKED);
      if (this.#consecutivePinFailures >= 3) throw new StatusError(CtapStatus.PIN_AUTH_BLOCKED);
      throw new StatusError(CtapStatus.PIN_INVALID);
    }
    this.pinRetries = this.options.maxPinRetries;
    this.#consecutivePinFailures = 0;
  }

  // ---- CTAP1 / U2F ---------------------------------------------------------------------------

  async msg(apdu: Uint8Array): Promise<Uint8Array> {
    const sw = (code: number, data: Uint8Array = new Uint8Array()) => new Uint8Array(Buffer.concat([data, Buffer.of(code >> 8, code & 0xff)]));
    if (apdu.length < 4) return sw(0x6700);
    if (apdu[0] !== 0) return sw(0x6e00);
    const ins = apdu[1]!;
    const p1 = apdu[2]!;
    let data: Uint8Array;
    if (apdu.length <= 5) data = new Uint8Array();
    else if (apdu[4] === 0 && apdu.length >= 7) {
      const lc = (apdu[5]! << 8) | apdu[6]!;
      if (apdu.length < 7 + lc) return sw(0x6700);
      data = apdu.subarray(7, 7 + lc);
    } else {
      const lc = apdu[4]!;
      if (apdu.length < 5 + lc) return sw(0x6700);
      data = apdu.subarray(5, 5 + lc);
    }
    if (ins === 0x03) return sw(0x9000, new TextEncoder().encode('U2F_V2'));
    if (ins === 0x01) {
      if (data.length !== 64) return sw(0x6700);
      if (!this.#u2fPresence()) return sw(0x6985);
      const challenge = data.subarray(0, 32);
      const app = data.subarray(32, 64);
      const { privateKey, publicKey } = this.#timed(() => generateKeyPairSync('ec', { namedCurve: 'P-256' }));
      const raw = rawPoint(publicKey);
      const keyHandle = new Uint8Array(randomBytes(64));
      this.credentials.set(hex(keyHandle), { id: keyHandle, rpId: '', rpIdHash: Uint8Array.from(app), privateKey, publicKey, resident: false, credProtect: 1, u2f: true });
      const signature = this.#timed(() => sign('sha256', Buffer.concat([Buffer.of(0), app, challenge, keyHandle, raw]), this.#attestation.privateKey));
      return sw(0x9000, new Uint8Array(Buffer.concat([Buffer.of(5), raw, Buffer.of(keyHandle.length), keyHandle, this.#attestation.certificate, signature])));
    }
    if (ins === 0x02) {
      if (data.length < 65 || data.length !== 65 + data[64]!) return sw(0x6700);
      const challenge = data.subarray(0, 32);
      const app = data.subarray(32, 64);
      const credential = this.credentials.get(hex(data.subarray(65)));
      const rpIdMatches = credential && (credential.u2f ? Buffer.from(credential.rpIdHash).equals(app) : Buffer.from(credential.rpIdHash).equals(app));
      if (!credential || !rpIdMatches) return sw(0x6a80);
      if (p1 === 0x07) return sw(0x6985);
      if (p1 !== 0x03 && p1 !== 0x08) return sw(0x6a80);
      const up = p1 === 0x03;
      if (up && !this.#u2fPresence()) return sw(0x6985);
      const counter = Buffer.alloc(4);
      counter.writeUInt32BE(++this.#signCount);
      const flags = up ? 1 : 0;
      const signature = this.#timed(() => sign('sha256', Buffer.concat([app, Buffer.of(flags), counter, challenge]), credential.privateKey));
      return sw(0x9000, new Uint8Array(Buffer.concat([Buffer.of(flags), counter, signature])));
    }
    return sw(0x6d00);
  }

  /** U2F has no keepalive: the host polls, and a touch is consumed by the request it satisfies. */
  #u2fPresence(): boolean {
    const mode = this.options.presence;
    if (mode === 'touch') {
      if (this.#u2fTouched) {
        this.#u2fTouched = false;
        return true;
      }
      setTimeout(() => (this.#u2fTouched = true), this.options.touchDelayMs).unref();
      return false;
    }
    if (mode === 'manual' && this.#u2fTouched) {
      this.#u2fTouched = false;
      return true;
    }
    return false;
  }
}

function rawPoint(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  return Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
}
