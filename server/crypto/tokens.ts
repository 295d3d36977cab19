// Random identifiers and tokens, and the one-way hash under which tokens are stored.
import { createHash, randomBytes } from 'node:crypto';

/** A session token: 32 random bytes (256 bits), base64url. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Tokens are stored only as their SHA-256: a leaked database row cannot sign anyone in. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newId(): string {
  return randomBytes(12).toString('base64url');
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
    randomBytes(6).toString('hex')
  );
}
