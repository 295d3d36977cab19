// Recovery codes: 10 single-use codes, shown once, stored as keyed hashes (HMAC-SHA-256 with a
// key derived from the server secret). Each code is 24 characters from a 31-character alphabet:
// 24 × log2(31) ≈ 118.9 bits, above the 112 bits under which OWASP ASVS 5.0 6.5.2 asks for a slow
// salted hash. So even a thief holding both the database and the key file cannot find a code by
// guessing (2^118 HMACs); the keyed hash is defence in depth, not what keeps them. Codes issued
// before (10 characters, ≈ 49.5 bits) keep working until the user regenerates them.
import { createHmac, randomInt } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { newId } from '../crypto/tokens.js';
import type { Database } from '../store/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export const RECOVERY_CODE_COUNT = 10;
// Crockford-like alphabet without look-alikes (0/o, 1/l/i).
export const RECOVERY_CODE_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const ALPHABET = RECOVERY_CODE_ALPHABET;
/** Characters in a code (shown as 4 groups of 6): 24 × log2(31) ≈ 118.9 bits. */
export const RECOVERY_CODE_LENGTH = 24;
/** Codes issued before issue 18 (2 groups of 5, ≈ 49.5 bits): still accepted until regenerated. */
const LEGACY_RECOVERY_CODE_LENGTH = 10;

export class RecoveryCodes {
  constructor(private readonly hmacKey: Buffer) {}

  private hash(code: string): string {
    return createHmac('sha256', this.hmacKey).update(normalizeRecoveryCode(code)).digest('hex');
  }

  /** Replaces the user's codes with 10 new ones and returns them in clear, once. */
  async issue(db: Db, userId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
      let raw = '';
      for (let i = 0; i < RECOVERY_CODE_LENGTH; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
      return raw.match(/.{6}/g)!.join('-');
    });
    await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    await db
      .insertInto('recovery_codes')
      .values(codes.map((code) => ({ id: newId(), user_id: userId, code_hash: this.hash(code), used_at: null, strong: 1 })))
      .execute();
    return codes;
  }

  /** Uses a code once: the conditional update lets exactly one of two parallel uses succeed. */
  async use(db: Db, userId: string, code: string): Promise<boolean> {
    const normalized = normalizeRecoveryCode(code);
    if (normalized.length !== RECOVERY_CODE_LENGTH && normalized.length !== LEGACY_RECOVERY_CODE_LENGTH) return false;
    const result = await db
      .updateTable('recovery_codes')
      .set({ used_at: Date.now() })
      .where('user_id', '=', userId)
      .where('code_hash', '=', this.hash(normalized))
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Whether the user still holds unused codes of the old, 10-character format (asked to regenerate). */
  async outdated(db: Db, userId: string): Promise<boolean> {
    const row = await db.selectFrom('recovery_codes').select('id').where('user_id', '=', userId).where('used_at', 'is', null).where('strong', '=', 0).limit(1).executeTakeFirst();
    return row !== undefined;
  }

  async remaining(db: Db, userId: string): Promise<number> {
    const row = await db
      .selectFrom('recovery_codes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

export function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}
