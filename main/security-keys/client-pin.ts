import { createHash } from 'node:crypto';
import { CtapError, CtapProtocolError, CtapStatus, SecurityKeyError } from './errors.js';
import { read, type CborMap } from './cbor.js';
import type { AuthenticatorInfo, Ctap2CallOptions, Ctap2Session } from './ctap2.js';
import { pinProtocolOne, pinProtocolTwo, type PinUvAuthProtocol } from './pin-protocol.js';

// authenticatorClientPIN (CTAP 2.1 §6.5.5) subcommands and parameter keys.
export const ClientPinSubcommand = {
  GET_PIN_RETRIES: 0x01,
  GET_KEY_AGREEMENT: 0x02,
  SET_PIN: 0x03,
  CHANGE_PIN: 0x04,
  GET_PIN_TOKEN: 0x05,
  GET_PIN_UV_AUTH_TOKEN_USING_UV_WITH_PERMISSIONS: 0x06,
  GET_UV_RETRIES: 0x07,
  GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS: 0x09,
} as const;

const Param = { PROTOCOL: 0x01, SUBCOMMAND: 0x02, KEY_AGREEMENT: 0x03, PIN_UV_AUTH_PARAM: 0x04, NEW_PIN_ENC: 0x05, PIN_HASH_ENC: 0x06, PERMISSIONS: 0x09, RP_ID: 0x0a } as const;
const Result = { KEY_AGREEMENT: 0x01, PIN_UV_AUTH_TOKEN: 0x02, PIN_RETRIES: 0x03, POWER_CYCLE_STATE: 0x04, UV_RETRIES: 0x05 } as const;

/** pinUvAuthToken permissions (CTAP 2.1 §6.5.5.7). */
export const PinPermission = {
  MAKE_CREDENTIAL: 0x01,
  GET_ASSERTION: 0x02,
  CREDENTIAL_MANAGEMENT: 0x04,
  BIO_ENROLLMENT: 0x08,
  LARGE_BLOB_WRITE: 0x10,
  AUTHENTICATOR_CONFIG: 0x20,
} as const;

/** The protocol to use with a key: two where offered (stronger KDF, random IVs), else one. */
export function choosePinProtocol(info: AuthenticatorInfo): PinUvAuthProtocol {
  const offered = info.pinUvAuthProtocols;
  if (offered.includes(2)) return pinProtocolTwo;
  // CTAP 2.0 keys that predate the field speak protocol one.
  return pinProtocolOne;
}

/** Checks length rules and encodes the PIN as UTF-8 of its NFC form (CTAP 2.1 §6.5.1). */
export function encodePin(pin: string, minLength = 4): Uint8Array {
  const normalised = pin.normalize('NFC');
  const bytes = new TextEncoder().encode(normalised);
  if ([...normalised].length < minLength) {
    throw new SecurityKeyError('invalid_options', `The PIN must be at least ${minLength} characters.`);
  }
  if (bytes.length > 63) throw new SecurityKeyError('invalid_options', 'The PIN must be at most 63 bytes long.');
  return bytes;
}

function leftHalfSha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest().subarray(0, 16));
}

/** ClientPIN over one CTAP2 session and one PIN/UV auth protocol. */
export class ClientPin {
  constructor(
    readonly session: Ctap2Session,
    readonly protocol: PinUvAuthProtocol,
    readonly info: AuthenticatorInfo,
  ) {}

  static for(session: Ctap2Session, info: AuthenticatorInfo): ClientPin {
    return new ClientPin(session, choosePinProtocol(info), info);
  }

  #call(subcommand: number, extra: [number, unknown][] = [], options?: Ctap2CallOptions): Promise<CborMap> {
    const map = new Map<number, unknown>([[Param.PROTOCOL, this.protocol.version], [Param.SUBCOMMAND, subcommand]]);
    for (const [k, v] of extra) if (v !== undefined) map.set(k, v);
    return this.session.clientPin(map, options);
  }

  async getPinRetries(options?: Ctap2CallOptions): Promise<{ retries: number; powerCycleState?: boolean }> {
    const map = await this.#call(ClientPinSubcommand.GET_PIN_RETRIES, [], options);
    const retries = read.optUint(map, Result.PIN_RETRIES, 'PIN retries');
    if (retries === undefined) throw new CtapProtocolError('unexpected_response', 'The security key did not say how many PIN tries are left.');
    const powerCycleState = read.optBool(map, Result.POWER_CYCLE_STATE, 'power cycle state');
    return powerCycleState === undefined ? { retries } : { retries, powerCycleState };
  }

  /** Fresh shared secret: the key's key-agreement key, ECDH with a new platform key. */
  async #agree(options?: Ctap2CallOptions): Promise<{ keyAgreement: CborMap; sharedSecret: Uint8Array }> {
    const map = await this.#call(ClientPinSubcommand.GET_KEY_AGREEMENT, [], options);
    if (!map.has(Result.KEY_AGREEMENT)) throw new CtapProtocolError('unexpected_response', 'The security key sent no key-agreement key.');
    return this.protocol.encapsulate(map.get(Result.KEY_AGREEMENT));
  }

  /**
   * A pinUvAuthToken for `permissions` on `rpId`, using getPinUvAuthTokenUsingPinWithPermissions
   * where the key supports it (CTAP 2.1), else getPinToken (CTAP 2.0). A wrong PIN throws
   * CtapError(PIN_INVALID) carrying the tries left.
   */
  async getPinToken(pin: string, permissions: number, rpId?: string, options?: Ctap2CallOptions): Promise<Uint8Array> {
    const pinBytes = encodePin(pin, this.info.minPinLength ?? 4);
    const { keyAgreement, sharedSecret } = await this.#agree(options);
    const pinHashEnc = this.protocol.encrypt(sharedSecret, leftHalfSha256(pinBytes));
    let map: CborMap;
    try {
      map = this.info.options.pinUvAuthToken
        ? await this.#call(ClientPinSubcommand.GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS, [
            [Param.KEY_AGREEMENT, keyAgreement],
            [Param.PIN_HASH_ENC, pinHashEnc],
            [Param.PERMISSIONS, permissions],
            [Param.RP_ID, rpId],
          ], options)
        : await this.#call(ClientPinSubcommand.GET_PIN_TOKEN, [
            [Param.KEY_AGREEMENT, keyAgreement],
            [Param.PIN_HASH_ENC, pinHashEnc],
          ], options);
    } catch (error) {
      if (error instanceof CtapError && error.status === CtapStatus.PIN_INVALID) {
        const retries = await this.getPinRetries(options).then((r) => r.retries, () => undefined);
        throw new CtapError(CtapStatus.PIN_INVALID, retries === undefined ? {} : { retries });
      }
      throw error;
    }
    const encrypted = read.bytes(map, Result.PIN_UV_AUTH_TOKEN, 'PIN token');
    const token = this.protocol.decrypt(sharedSecret, encrypted);
    if (token.length !== 16 && token.length !== 32) throw new CtapProtocolError('unexpected_response', 'The security key sent a PIN token of unexpected length.');
    return token;
  }

  /** pinUvAuthParam over `message` (the clientDataHash for makeCredential/getAssertion). */
  authenticate(token: Uint8Array, message: Uint8Array): Uint8Array {
    return this.protocol.authenticate(token, message);
  }

  async setPin(newPin: string): Promise<void> {
    const { keyAgreement, sharedSecret } = await this.#agree();
    const newPinEnc = this.protocol.encrypt(sharedSecret, padPin(encodePin(newPin, this.info.minPinLength ?? 4)));
    await this.#call(ClientPinSubcommand.SET_PIN, [
      [Param.KEY_AGREEMENT, keyAgreement],
      [Param.PIN_UV_AUTH_PARAM, this.protocol.authenticate(sharedSecret, newPinEnc)],
      [Param.NEW_PIN_ENC, newPinEnc],
    ]);
  }

  async changePin(currentPin: string, newPin: string): Promise<void> {
    const { keyAgreement, sharedSecret } = await this.#agree();
    const pinHashEnc = this.protocol.encrypt(sharedSecret, leftHalfSha256(encodePin(currentPin, 1)));
    const newPinEnc = this.protocol.encrypt(sharedSecret, padPin(encodePin(newPin, this.info.minPinLength ?? 4)));
    const message = new Uint8Array(newPinEnc.length + pinHashEnc.length);
    message.set(newPinEnc, 0);
    message.set(pinHashEnc, newPinEnc.length);
    await this.#call(ClientPinSubcommand.CHANGE_PIN, [
      [Param.KEY_AGREEMENT, keyAgreement],
      [Param.PIN_UV_AUTH_PARAM, this.protocol.authenticate(sharedSecret, message)],
      [Param.NEW_PIN_ENC, newPinEnc],
      [Param.PIN_HASH_ENC, pinHashEnc],
    ]);
  }
}

/** newPinEnc carries the PIN zero-padded to 64 bytes. */
function padPin(pin: Uint8Array): Uint8Array {
  const padded = new Uint8Array(64);
  padded.set(pin);
  return padded;
}
