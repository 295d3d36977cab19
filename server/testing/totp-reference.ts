// An independent RFC 6238 implementation for tests (the server's own library must not grade
// itself): HMAC-SHA-1 over the big-endian step counter, dynamic truncation, 6 digits.
import { createHmac } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Decode(input: string): Buffer {
  const clean = input.replace(/=+$/, '').replace(/\s/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const idx = BASE32.indexOf(ch);
    if (idx < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function hotp(key: Buffer, counter: number, digits = 6, algorithm = 'sha1'): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(msg).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return binary.toString().padStart(digits, '0');
}

export function totpAt(key: Buffer, atMs: number, { digits = 6, period = 30, algorithm = 'sha1' } = {}): string {
  return hotp(key, Math.floor(atMs / 1000 / period), digits, algorithm);
}

/** The 6-digit code an authenticator app shows for `secretBase32` at `atMs`. */
export function totpCode(secretBase32: string, atMs = Date.now()): string {
  return totpAt(base32Decode(secretBase32), atMs);
}
