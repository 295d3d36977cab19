import { createCipheriv, createDecipheriv, createECDH, createHash, createHmac, hkdfSync, randomBytes, type ECDH } from 'node:crypto';

// Authenticator side of PIN/UV auth protocols 1 and 2, written apart from the client's
// pin-protocol.ts so that one misreading of the spec cannot hide in both ends.

export interface SoftPinProtocol {
  decapsulate(keyAgreementKey: ECDH, platformCose: Map<unknown, unknown>): Uint8Array | undefined;
  encrypt(shared: Uint8Array, data: Uint8Array): Uint8Array;
  decrypt(shared: Uint8Array, data: Uint8Array): Uint8Array | undefined;
  verify(key: Uint8Array, message: Uint8Array, mac: Uint8Array): boolean;
}

function point(cose: Map<unknown, unknown>): Buffer | undefined {
  const x = cose.get(-2);
  const y = cose.get(-3);
  if (cose.get(1) !== 2 || cose.get(-1) !== 1 || !(x instanceof Uint8Array) || !(y instanceof Uint8Array) || x.length !== 32 || y.length !== 32) return undefined;
  return Buffer.concat([Buffer.of(4), x, y]);
}

function ecdhX(own: ECDH, cose: Map<unknown, unknown>): Buffer | undefined {
  const p = point(cose);
  if (!p) return undefined;
  try {
    return own.computeSecret(p);
  } catch {
    return undefined;
  }
}

function cbc(encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = encrypt ? createCipheriv('aes-256-cbc', key, iv) : createDecipheriv('aes-256-cbc', key, iv);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

function macEquals(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && createHash('sha256').update(a).digest().equals(createHash('sha256').update(b).digest());
}

export const softPinProtocols: Record<1 | 2, SoftPinProtocol> = {
  1: {
    decapsulate(own, cose) {
      const z = ecdhX(own, cose);
      return z && new Uint8Array(createHash('sha256').update(z).digest());
    },
    encrypt: (shared, data) => cbc(true, shared, Buffer.alloc(16), data),
    decrypt: (shared, data) => (data.length % 16 === 0 ? cbc(false, shared, Buffer.alloc(16), data) : undefined),
    verify: (key, message, mac) => macEquals(createHmac('sha256', key).update(message).digest().subarray(0, 16), mac),
  },
  2: {
    decapsulate(own, cose) {
      const z = ecdhX(own, cose);
      if (!z) return undefined;
      const salt = Buffer.alloc(32);
      return new Uint8Array(Buffer.concat([Buffer.from(hkdfSync('sha256', z, salt, 'CTAP2 HMAC key', 32)), Buffer.from(hkdfSync('sha256', z, salt, 'CTAP2 AES key', 32))]));
    },
    encrypt(shared, data) {
      const iv = randomBytes(16);
      return new Uint8Array(Buffer.concat([iv, cbc(true, shared.subarray(32), iv, data)]));
    },
    decrypt: (shared, data) => (data.length >= 16 && data.length % 16 === 0 ? cbc(false, shared.subarray(32), data.subarray(0, 16), data.subarray(16)) : undefined),
    verify: (key, message, mac) => macEquals(createHmac('sha256', key.subarray(0, 32)).update(message).digest(), mac),
  },
};

export function newKeyAgreementKey(): ECDH {
  const key = createECDH('prime256v1');
  key.generateKeys();
  return key;
}

export function keyAgreementCose(key: ECDH): Map<number, unknown> {
  const raw = key.getPublicKey();
  return new Map<number, unknown>([[1, 2], [3, -25], [-1, 1], [-2, new Uint8Array(raw.subarray(1, 33))], [-3, new Uint8Array(raw.subarray(33, 65))]]);
}
