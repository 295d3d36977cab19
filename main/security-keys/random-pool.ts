import { randomFillSync } from 'node:crypto';

// Fresh random bytes for INIT nonces and PIN-protocol IVs. One call into the CSPRNG costs tens of
// microseconds whatever its size, so it fills a pool and hands out each byte once (as Node does
// for randomUUID).
const POOL_SIZE = 1024;
const pool = new Uint8Array(POOL_SIZE);
let offset = POOL_SIZE;

export function randomBytesFromPool(size: number): Uint8Array {
  if (size > POOL_SIZE) return randomFillSync(new Uint8Array(size));
  if (offset + size > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  // From Node's pool of small buffers: a fresh ArrayBuffer per nonce cost more than the copy.
  const b = Buffer.allocUnsafe(size);
  const out = new Uint8Array(b.buffer, b.byteOffset, size);
  out.set(pool.subarray(offset, offset + size));
  offset += size;
  return out;
}
