import { createCipheriv, createDecipheriv, createECDH, createHash, createHmac } from 'node:crypto';
import { CtapProtocolError } from './errors.js';
import { randomBytesFromPool } from './random-pool.js';
import { Cose, rawPointFromCose } from './cose.js';
import type { CborMap } from './cbor.js';

// PIN/UV auth protocols one and two, platform side (CTAP 2.1 §6.5.6 and §6.5.7). Both agree an
// ECDH P-256 secret with the key; they differ in the KDF, the IV and the MAC length.

export interface PinUvAuthProtocol {
  readonly version: 1 | 2;
  /** Fresh platform key pair against the key's key-agreement key. */
  encapsulate(peer: CborMap | unknown): { keyAgreement: CborMap; sharedSecret: Uint8Array };
  encrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array;
  decrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array;
  authenticate(key: Uint8Array, message: Uint8Array): Uint8Array;
}

function ecdh(peer: unknown): { keyAgreement: CborMap; z: Uint8Array } {
  const ours = createECDH('prime256v1');
  ours.generateKeys();
  let z: Buffer;
  try {
    // computeSecret checks that the point is on P-256; no KeyObject round trip needed.
    z = ours.computeSecret(rawPointFromCose(peer));
  } catch (error) {
    throw new CtapProtocolError('unexpected_response', 'The security key sent a point that is not on P-256.', { cause: error });
  }
  const raw = ours.getPublicKey();
  const keyAgreement = new Map<number, unknown>([
    [Cose.KTY, Cose.KTY_EC2],
    [Cose.ALG, Cose.ALG_ECDH_ES_HKDF_256],
    [Cose.CRV, Cose.CRV_P256],
    [Cose.X, new Uint8Array(raw.subarray(1, 33))],
    [Cose.Y, new Uint8Array(raw.subarray(33, 65))],
  ]);
  return { keyAgreement, z: new Uint8Array(z) };
}

function aesCbc(encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (data.length % 16 !== 0) throw new CtapProtocolError('unexpected_response', 'PIN protocol data is not a whole number of AES blocks.');
  const cipher = encrypt ? createCipheriv('aes-256-cbc', key, iv) : createDecipheriv('aes-256-cbc', key, iv);
  cipher.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([cipher.update(data), cipher.final()]));
}

function hmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(message).digest());
}

export const pinProtocolOne: PinUvAuthProtocol = {
  version: 1,
  encapsulate(peer) {
    const { keyAgreement, z } = ecdh(peer);
    return { keyAgreement, sharedSecret: new Uint8Array(createHash('sha256').update(z).digest()) };
  },
  encrypt: (key, plaintext) => aesCbc(true, key, new Uint8Array(16), plaintext),
  decrypt: (key, ciphertext) => aesCbc(false, key, new Uint8Array(16), ciphertext),
  authenticate: (key, message) => hmac(key, message).subarray(0, 16),
};

const HKDF_SALT = new Uint8Array(32);
// info || 0x01: the first (and only) HKDF-Expand block.
const HMAC_KEY_INFO = Buffer.from('CTAP2 HMAC key\x01', 'latin1');
const AES_KEY_INFO = Buffer.from('CTAP2 AES key\x01', 'latin1');

export const pinProtocolTwo: PinUvAuthProtocol = {
  version: 2,
  encapsulate(peer) {
    const { keyAgreement, z } = ecdh(peer);
    // HKDF-SHA-256 (RFC 5869) with one extract for both keys: each wants 32 bytes, one expand block.
    const prk = hmac(HKDF_SALT, z);
    const sharedSecret = new Uint8Array(64);
    sharedSecret.set(hmac(prk, HMAC_KEY_INFO), 0);
    sharedSecret.set(hmac(prk, AES_KEY_INFO), 32);
    return { keyAgreement, sharedSecret };
  },
  encrypt(key, plaintext) {
    const iv = randomBytesFromPool(16);
    const out = new Uint8Array(16 + plaintext.length);
    out.set(iv, 0);
    out.set(aesCbc(true, aesPart(key), iv, plaintext), 16);
    return out;
  },
  decrypt(key, ciphertext) {
    if (ciphertext.length < 16) throw new CtapProtocolError('unexpected_response', 'PIN protocol 2 ciphertext is shorter than its IV.');
    return aesCbc(false, aesPart(key), ciphertext.subarray(0, 16), ciphertext.subarray(16));
  },
  // A 64-byte shared secret is cut to its HMAC half; a 32-byte token is used whole.
  authenticate: (key, message) => hmac(key.subarray(0, 32), message),
};

function aesPart(key: Uint8Array): Uint8Array {
  return key.length === 64 ? key.subarray(32) : key;
}

