import { CtapError, CtapProtocolError, SecurityKeyError } from './errors.js';
import { CtapHidCommand, KeepaliveStatus, pooledBytes } from './ctaphid-frames.js';
import type { CtapHidDevice } from './ctaphid.js';
import { decodeCborMap, encodeCbor, read, type CborMap } from './cbor.js';

// CTAP 2.1 §6 authenticator API commands and the integer keys of their parameter maps.
export const Ctap2Command = {
  MAKE_CREDENTIAL: 0x01,
  GET_ASSERTION: 0x02,
  GET_INFO: 0x04,
  CLIENT_PIN: 0x06,
  RESET: 0x07,
  GET_NEXT_ASSERTION: 0x08,
  SELECTION: 0x0b,
} as const;

export interface AuthenticatorInfo {
  versions: string[];
  extensions: string[];
  aaguid: Uint8Array;
  options: Record<string, boolean>;
  maxMsgSize?: number;
  pinUvAuthProtocols: number[];
  maxCredentialCountInList?: number;
  maxCredentialIdLength?: number;
  transports?: string[];
  algorithms?: { type: string; alg: number }[];
  forcePinChange?: boolean;
  minPinLength?: number;
  firmwareVersion?: number;
}

export interface CredentialDescriptor {
  type: 'public-key';
  id: Uint8Array;
}

export interface MakeCredentialRequest {
  clientDataHash: Uint8Array;
  rp: { id: string; name?: string };
  user: { id: Uint8Array; name?: string; displayName?: string };
  pubKeyCredParams: { type: 'public-key'; alg: number }[];
  excludeList?: CredentialDescriptor[];
  extensions?: Map<string, unknown>;
  options?: { rk?: boolean; uv?: boolean; up?: boolean };
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
}

export interface MakeCredentialResponse {
  fmt: string;
  authData: Uint8Array;
  attStmt: CborMap;
}

export interface GetAssertionRequest {
  rpId: string;
  clientDataHash: Uint8Array;
  allowList?: CredentialDescriptor[];
  extensions?: Map<string, unknown>;
  options?: { up?: boolean; uv?: boolean };
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
}

export interface GetAssertionResponse {
  credential?: CredentialDescriptor;
  authData: Uint8Array;
  signature: Uint8Array;
  user?: { id: Uint8Array; name?: string; displayName?: string };
  numberOfCredentials?: number;
}

export interface Ctap2CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called once when the key starts waiting for a touch. */
  onTouchNeeded?: () => void;
}

function optionsMap(options: Record<string, boolean | undefined> | undefined): Map<string, boolean> | undefined {
  if (!options) return undefined;
  const entries = Object.entries(options).filter((e): e is [string, boolean] => e[1] !== undefined);
  return entries.length ? new Map(entries) : undefined;
}

/** PublicKeyCredentialDescriptor as CTAP2 carries it in allow and exclude lists. */
export function descriptorMap(d: CredentialDescriptor): Map<string, unknown> {
  return new Map<string, unknown>([['id', d.id], ['type', d.type]]);
}

function descriptors(list: CredentialDescriptor[] | undefined): Map<string, unknown>[] | undefined {
  if (!list || list.length === 0) return undefined;
  return list.map(descriptorMap);
}

/** Builds a parameter map, leaving out absent members (CTAP2 forbids null). */
function params(entries: [number, unknown][]): CborMap {
  return new Map(entries.filter(([, v]) => v !== undefined));
}

/** authenticatorMakeCredential's parameter map (CTAP 2.1 §6.1). */
export function makeCredentialParameters(request: MakeCredentialRequest): CborMap {
  const rp = new Map<string, unknown>([['id', request.rp.id]]);
  if (request.rp.name !== undefined) rp.set('name', request.rp.name);
  const user = new Map<string, unknown>([['id', request.user.id]]);
  if (request.user.name !== undefined) user.set('name', request.user.name);
  if (request.user.displayName !== undefined) user.set('displayName', request.user.displayName);
  return params([
    [0x01, request.clientDataHash],
    [0x02, rp],
    [0x03, user],
    [0x04, request.pubKeyCredParams.map((p) => new Map<string, unknown>([['alg', p.alg], ['type', p.type]]))],
    [0x05, descriptors(request.excludeList)],
    [0x06, request.extensions?.size ? request.extensions : undefined],
    [0x07, optionsMap(request.options)],
    [0x08, request.pinUvAuthParam],
    [0x09, request.pinUvAuthProtocol],
  ]);
}

/** authenticatorGetAssertion's parameter map (CTAP 2.1 §6.2). */
export function getAssertionParameters(request: GetAssertionRequest): CborMap {
  return params([
    [0x01, request.rpId],
    [0x02, request.clientDataHash],
    [0x03, descriptors(request.allowList)],
    [0x04, request.extensions?.size ? request.extensions : undefined],
    [0x05, optionsMap(request.options)],
    [0x06, request.pinUvAuthParam],
    [0x07, request.pinUvAuthProtocol],
  ]);
}

/** Bytes of one CTAP2 request on the wire (command byte, then the CBOR map): what maxMsgSize limits. */
export function ctap2RequestSize(parameters: CborMap | undefined): number {
  return 1 + (parameters ? encodeCbor(parameters).length : 0);
}

/** CTAP2 over one CTAPHID channel: CBOR requests in, status byte plus CBOR answer out. */
export class Ctap2Session {
  constructor(readonly hid: CtapHidDevice) {}

  /** Sends one command; non-zero status throws CtapError, an empty answer is `undefined`. */
  async send(command: number, parameters?: CborMap, options: Ctap2CallOptions = {}): Promise<CborMap | undefined> {
    const body = parameters ? encodeCbor(parameters) : new Uint8Array();
    const request = pooledBytes(1 + body.length);
    request[0] = command;
    request.set(body, 1);
    const limit = Math.min(this.hid.maxRequestSize, this.hid.maxMessageSize);
    // The key would refuse it every time (CTAP 2.1 §6.4 maxMsgSize): say so, never retry it.
    if (request.length > limit) throw new SecurityKeyError('request_too_large', `This request (${request.length} bytes) is too large for this security key, which takes ${limit}. Try another key or another sign-in method.`);
    let touchAnnounced = false;
    const reply = await this.hid.call(CtapHidCommand.CBOR, request, {
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(options.signal && { signal: options.signal }),
      onKeepalive: (status) => {
        if (status === KeepaliveStatus.UP_NEEDED && !touchAnnounced) {
          touchAnnounced = true;
          options.onTouchNeeded?.();
        }
      },
    });
    if (reply.length === 0) throw new CtapProtocolError('unexpected_response', 'The security key sent an empty CTAP2 answer.');
    const status = reply[0]!;
    if (status !== 0) throw new CtapError(status);
    return reply.length > 1 ? decodeCborMap(reply.subarray(1)) : undefined;
  }

  async getInfo(options: Ctap2CallOptions = {}): Promise<AuthenticatorInfo> {
    const map = await this.send(Ctap2Command.GET_INFO, undefined, { timeoutMs: 3_000, ...options });
    if (!map) throw new CtapProtocolError('unexpected_response', 'authenticatorGetInfo returned nothing.');
    return parseInfo(map);
  }

  async makeCredential(request: MakeCredentialRequest, options: Ctap2CallOptions = {}): Promise<MakeCredentialResponse> {
    const map = await this.send(Ctap2Command.MAKE_CREDENTIAL, makeCredentialParameters(request), options);
    if (!map) throw new CtapProtocolError('unexpected_response', 'authenticatorMakeCredential returned nothing.');
    return {
      fmt: read.text(map, 0x01, 'attestation format'),
      authData: read.bytes(map, 0x02, 'authenticator data'),
      attStmt: read.optMap(map, 0x03, 'attestation statement') ?? new Map(),
    };
  }

  async getAssertion(request: GetAssertionRequest, options: Ctap2CallOptions = {}): Promise<GetAssertionResponse> {
    return parseAssertion(await this.send(Ctap2Command.GET_ASSERTION, getAssertionParameters(request), options));
  }

  async getNextAssertion(options: Ctap2CallOptions = {}): Promise<GetAssertionResponse> {
    return parseAssertion(await this.send(Ctap2Command.GET_NEXT_ASSERTION, undefined, { timeoutMs: 3_000, ...options }));
  }

  /** authenticatorSelection (CTAP 2.1): blink and wait for a touch, nothing else. */
  async selection(options: Ctap2CallOptions = {}): Promise<void> {
    await this.send(Ctap2Command.SELECTION, undefined, options);
  }

  async clientPin(parameters: CborMap, options: Ctap2CallOptions = {}): Promise<CborMap> {
    return (await this.send(Ctap2Command.CLIENT_PIN, parameters, { timeoutMs: 5_000, ...options })) ?? new Map();
  }
}

function parseAssertion(map: CborMap | undefined): GetAssertionResponse {
  if (!map) throw new CtapProtocolError('unexpected_response', 'authenticatorGetAssertion returned nothing.');
  const credential = read.optMap(map, 0x01, 'credential');
  const user = read.optMap(map, 0x04, 'user');
  const result: GetAssertionResponse = {
    authData: read.bytes(map, 0x02, 'authenticator data'),
    signature: read.bytes(map, 0x03, 'signature'),
  };
  if (credential) result.credential = { type: 'public-key', id: read.bytes(credential, 'id', 'credential id') };
  if (user) {
    result.user = { id: read.bytes(user, 'id', 'user id') };
    const name = read.optText(user, 'name', 'user name');
    const displayName = read.optText(user, 'displayName', 'user display name');
    if (name !== undefined) result.user.name = name;
    if (displayName !== undefined) result.user.displayName = displayName;
  }
  const count = read.optUint(map, 0x05, 'number of credentials');
  if (count !== undefined) result.numberOfCredentials = count;
  return result;
}

function stringList(value: unknown[] | undefined, what: string): string[] {
  if (!value) return [];
  if (!value.every((v) => typeof v === 'string')) throw new CtapProtocolError('unexpected_response', `The security key sent an invalid ${what}.`);
  return value as string[];
}

export function parseInfo(map: CborMap): AuthenticatorInfo {
  const options: Record<string, boolean> = {};
  for (const [k, v] of read.optMap(map, 0x04, 'options') ?? []) {
    if (typeof k === 'string' && typeof v === 'boolean') options[k] = v;
  }
  const protocols = (read.optArray(map, 0x06, 'PIN protocols') ?? []).filter((v): v is number => typeof v === 'number');
  const info: AuthenticatorInfo = {
    versions: stringList(read.optArray(map, 0x01, 'versions'), 'version list'),
    extensions: stringList(read.optArray(map, 0x02, 'extensions'), 'extension list'),
    aaguid: read.bytes(map, 0x03, 'AAGUID'),
    options,
    pinUvAuthProtocols: protocols,
  };
  const maxMsgSize = read.optUint(map, 0x05, 'maxMsgSize');
  if (maxMsgSize !== undefined) info.maxMsgSize = maxMsgSize;
  const maxCount = read.optUint(map, 0x07, 'maxCredentialCountInList');
  if (maxCount !== undefined) info.maxCredentialCountInList = maxCount;
  const maxIdLength = read.optUint(map, 0x08, 'maxCredentialIdLength');
  if (maxIdLength !== undefined) info.maxCredentialIdLength = maxIdLength;
  const transports = read.optArray(map, 0x09, 'transports');
  if (transports) info.transports = stringList(transports, 'transport list');
  const algorithms = read.optArray(map, 0x0a, 'algorithms');
  if (algorithms) {
    info.algorithms = algorithms
      .filter((a): a is CborMap => a instanceof Map)
      .map((a) => ({ type: String(a.get('type')), alg: Number(a.get('alg')) }));
  }
  const forcePinChange = read.optBool(map, 0x0c, 'forcePINChange');
  if (forcePinChange !== undefined) info.forcePinChange = forcePinChange;
  const minPinLength = read.optUint(map, 0x0d, 'minPINLength');
  if (minPinLength !== undefined) info.minPinLength = minPinLength;
  const firmwareVersion = read.optUint(map, 0x0e, 'firmwareVersion');
  if (firmwareVersion !== undefined) info.firmwareVersion = firmwareVersion;
  return info;
}
