// Random identifiers and tokens, and the one-way hash under which tokens are stored.
import { createHash, randomFillSync } from 'node:crypto';

// Random bytes from the CSPRNG, asked for 4 KiB at a time: each call to the CSPRNG cost ~5 us here
// (a system call), whatever its size, and a second step asks for a token and an audit id. Every
// byte is handed out once and copied out as text at once (as Node's own randomUUID does).
const pool = Buffer.alloc(4096);
let used = pool.length;

function randomText(bytes: number, encoding: 'base64url' | 'hex'): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const text = pool.toString(encoding, used, used + bytes);
  used += bytes;
  return text;
}

/** A session token: 32 random bytes (256 bits), base64url. */
export function newToken(): string {
  return randomText(32, 'base64url');
}

/** Tokens are stored only as their SHA-256: a leaked database row cannot sign anyone in. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newId(): string {
  return randomText(12, 'base64url');
}

let lastMs = 0;
let sequence = 0;
/** An id that sorts by creation time (for newest-first pages without a counter column). */
export function newTimeOrderedId(now = Date.now()): string {
  if (now === lastMs) sequence += 1;
  else {
    lastMs = now;
    sequence = 0;
  }
  return (
    now.toString(36).padStart(10, '0') +
    sequence.toString(36).padStart(4, '0') +
    randomText(6, 'hex')
  );
}
