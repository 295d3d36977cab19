import { createPublicKey, type KeyObject } from 'node:crypto';
import { CtapProtocolError } from './errors.js';
import { pooledBytes } from './ctaphid-frames.js';
import type { CborMap } from './cbor.js';

// COSE key parameters (RFC 9053) used by CTAP2: EC2 keys on P-256.
export const Cose = {
  KTY: 1,
  ALG: 3,
  CRV: -1,
  X: -2,
  Y: -3,
  KTY_EC2: 2,
  CRV_P256: 1,
  ALG_ES256: -7,
  /** ECDH-ES + HKDF-256, the algorithm id the PIN protocols put on key-agreement keys. */
  ALG_ECDH_ES_HKDF_256: -25,
} as const;

/** COSE_Key map of a P-256 public key. */
export function coseEc2Key(publicKey: KeyObject, alg: number): CborMap {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new Error('coseEc2Key: expected a P-256 public key');
  return new Map<number, unknown>([
    [Cose.KTY, Cose.KTY_EC2],
    [Cose.ALG, alg],
    [Cose.CRV, Cose.CRV_P256],
    [Cose.X, new Uint8Array(Buffer.from(jwk.x, 'base64url'))],
    [Cose.Y, new Uint8Array(Buffer.from(jwk.y, 'base64url'))],
  ]);
}

function p256Coordinates(cose: unknown): { x: Uint8Array; y: Uint8Array } {
  if (!(cose instanceof Map)) throw new CtapProtocolError('unexpected_response', 'Expected a COSE key map.');
  const x = cose.get(Cose.X);
  const y = cose.get(Cose.Y);
  if (cose.get(Cose.KTY) !== Cose.KTY_EC2 || cose.get(Cose.CRV) !== Cose.CRV_P256 || !(x instanceof Uint8Array) || !(y instanceof Uint8Array) || x.length !== 32 || y.length !== 32) {
    throw new CtapProtocolError('unexpected_response', 'The security key sent an unsupported COSE key.');
  }
  return { x, y };
}

/** The uncompressed point (0x04 || x || y) of an EC2 P-256 COSE key; not checked to be on the curve. */
export function rawPointFromCose(cose: unknown): Uint8Array {
  const { x, y } = p256Coordinates(cose);
  const raw = pooledBytes(65);
  raw[0] = 0x04;
  raw.set(x, 1);
  raw.set(y, 33);
  return raw;
}

// SubjectPublicKeyInfo of an id-ecPublicKey on prime256v1, up to the BIT STRING's point (RFC 5480).
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

/**
 * DER SubjectPublicKeyInfo of an EC2 P-256 COSE key, assembled without a KeyObject round trip
 * (the server checks the key itself when it verifies the attestation).
 */
export function spkiFromCose(cose: unknown): Uint8Array {
  const raw = rawPointFromCose(cose);
  const spki = pooledBytes(P256_SPKI_PREFIX.length + raw.length);
  spki.set(P256_SPKI_PREFIX, 0);
  spki.set(raw, P256_SPKI_PREFIX.length);
  return spki;
}

/** Raw uncompressed point (0x04 || x || y), as U2F carries public keys. */
export function publicKeyFromRawP256(raw: Uint8Array): KeyObject {
  if (raw.length !== 65 || raw[0] !== 0x04) throw new CtapProtocolError('invalid_apdu', 'Expected an uncompressed P-256 public key.');
  const jwk = {
    kty: 'EC',
    crv: 'P-256',
    x: Buffer.from(raw.subarray(1, 33)).toString('base64url'),
    y: Buffer.from(raw.subarray(33, 65)).toString('base64url'),
  };
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch (error) {
    throw new CtapProtocolError('invalid_apdu', 'The security key sent a point that is not on P-256.', { cause: error });
  }
}
