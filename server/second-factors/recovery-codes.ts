// Recovery codes: 10 single-use codes, shown once, stored as keyed hashes (HMAC with a key
// derived from the server secret, so a copied database alone cannot be brute-forced).
import { createHmac, randomInt } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { newId } from '../crypto/tokens.js';
import type { Database } from '../store/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export const RECOVERY_CODE_COUNT = 10;
// Crockford-like alphabet without look-alikes (0/o, 1/l/i).
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

export class RecoveryCodes {
  constructor(private readonly hmacKey: Buffer) {}

  private hash(code: string): string {
    return createHmac('sha256', this.hmacKey).update(normalizeRecoveryCode(code)).digest('hex');
  }

  /** Replaces the user's codes with 10 new ones and returns them in clear, once. */
  async issue(db: Db, userId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
      let raw = '';
      for (let i = 0; i < 10; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
      return `${raw.slice(0, 5)}-${raw.slice(5)}`;
    });
    await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    await db
      .insertInto('recovery_codes')
      .values(codes.map((code) => ({ id: newId(), user_id: userId, code_hash: this.hash(code), used_at: null })))
      .execute();
    return codes;
  }

  /** Uses a code once: the conditional update lets exactly one of two parallel uses succeed. */
  async use(db: Db, userId: string, code: string): Promise<boolean> {
    const normalized = normalizeRecoveryCode(code);
    if (normalized.length !== 10) return false;
    const result = await db
      .updateTable('recovery_codes')
      .set({ used_at: Date.now() })
      .where('user_id', '=', userId)
      .where('code_hash', '=', this.hash(normalized))
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
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
