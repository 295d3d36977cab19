// Passwords: argon2id hashing at OWASP's recommended parameters (19 MiB, t=2, p=1), and the
// policy a new password must meet (OWASP ASVS 5.0 V6): 10 to 256 characters (the schemas
// check the length) and not on a list of common or breached passwords.
import argon2 from 'argon2';
import { dictionary } from '@zxcvbn-ts/language-common';
import { DomainError } from '../errors.js';

const options = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, options);
}

// Verified in place of a missing user's hash, so an unknown email costs the same time.
let dummyHash: Promise<string> | undefined;

/** `hash` undefined (no such user, or no usable password): costs a verification, answers false. */
export async function verifyPassword(hash: string | undefined, password: string): Promise<boolean> {
  if (hash === undefined || hash === '') {
    dummyHash ??= hashPassword('agentdesk-dummy-password');
    await argon2.verify(await dummyHash, password);
    return false;
  }
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

export const passwordHashOptions = options;

/** A user who has not chosen a password yet (invited) has this hash: no password matches it. */
export const NO_PASSWORD = '';

// The zxcvbn-ts project's list of the most common passwords (from breach corpora), lower-cased.
let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  return common;
}

/** Whether a password is on the common/breached list, ignoring case and surrounding spaces. */
export function isCommonPassword(password: string): boolean {
  const p = password.trim().toLowerCase();
  if (commonPasswords().has(p)) return true;
  // "password1234", "qwertyuiop!!": a listed password with digits or symbols stuck on the end.
  const stem = p.replace(/[\d\W_]+$/u, '');
  return stem.length >= 6 && stem !== p && commonPasswords().has(stem);
}

/** Throws password_too_common for a password a user may not choose. */
export function checkNewPassword(password: string, context: { email?: string | undefined } = {}): void {
  if (isCommonPassword(password)) throw new DomainError('password_too_common');
  const email = context.email?.toLowerCase();
  if (email && (password.toLowerCase() === email || password.toLowerCase() === email.split('@')[0])) {
    throw new DomainError('password_too_common', 'Choose a password that is not your email address.');
  }
}
