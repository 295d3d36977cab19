// Authenticator apps (RFC 6238: SHA-1, 6 digits, 30 s, 160-bit secret). Secrets are sealed at
// rest; a code is accepted for the previous, current or next step, and never twice: the step
// of the last accepted code is stored and only a later step passes, by a conditional update.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { generateSecret, generateURI } from 'otplib';
import QRCode from 'qrcode';
import type { Kysely, Transaction } from 'kysely';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database, MethodsTable } from '../store/schema.js';
import { newId } from '../crypto/tokens.js';
import { preparedStatement } from '../store/prepared.js';

type Db = Kysely<Database> | Transaction<Database>;

export const TOTP_PERIOD_SECONDS = 30;

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

export async function totpProvisioning(input: { secret: string; issuer: string; accountName: string }) {
  const otpauthUri = generateURI({ issuer: input.issuer, label: input.accountName, secret: input.secret });
  const svg = await QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { otpauthUri, qrCodeDataUrl: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (no padding, any case), as secrets are stored; null when it is not. */
function base32Key(secret: string): Buffer | null {
  const out = Buffer.alloc(Math.floor((secret.length * 5) / 8));
  let bits = 0;
  let value = 0;
  let n = 0;
  for (const ch of secret.toUpperCase()) {
    const index = BASE32.indexOf(ch);
    if (index < 0) return null;
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out[n++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return n === 0 ? null : out.subarray(0, n);
}

/** RFC 4226 HOTP value of `step` (HMAC-SHA-1, dynamic truncation, 6 digits). */
function hotp(key: Buffer, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[19]! & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/**
 * The time step a code is valid for (the previous, current or next one, and only after
 * `afterStep`), or null. Replay is not checked here.
 *
 * RFC 6238 directly on node's HMAC: otplib's verifySync took ~60 µs a code (JavaScript SHA-1
 * and option validation), a tenth of a second step's server CPU (bench/second-step.ts); this
 * takes a few µs. Every candidate step is compared, in constant time, whatever matched before.
 */
export function matchTotp(secret: string, code: string, afterStep: number | null, nowMs = Date.now()): number | null {
  if (!/^[0-9]{6}$/.test(code)) return null;
  const key = base32Key(secret);
  if (!key) return null;
  const given = Buffer.from(code);
  const current = Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);
  let matched: number | null = null;
  for (const step of [current - 1, current, current + 1]) {
    if (step < 0 || (afterStep !== null && step <= afterStep)) continue;
    if (timingSafeEqual(Buffer.from(hotp(key, step)), given) && matched === null) matched = step;
  }
  return matched;
}

/** The step of an accepted code, recorded only if it is later than the last one (compiled once). */
const spendStep = preparedStatement(['step', 'now', 'id'], (db: Kysely<Database>, a: { step: number; now: number; id: string }) =>
  db
    .updateTable('methods')
    .set({ totp_last_step: a.step, last_used_at: a.now })
    .where('id', '=', a.id)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', a.step)]))
    .compile(),
);

/**
 * Checks `code` against the user's authenticator apps and, if one matches a step newer than its
 * last accepted one, records that step. Two requests with the same code: one wins the update.
 */
export async function acceptTotp(
  db: Db,
  box: SecretBox,
  methods: Pick<MethodsTable, 'id' | 'totp_secret' | 'totp_last_step'>[],
  code: string,
  nowMs = Date.now(),
): Promise<string | null> {
  for (const method of methods) {
    if (!method.totp_secret) continue;
    const step = matchTotp(box.open(method.totp_secret), code, method.totp_last_step, nowMs);
    if (step === null) continue;
    const updated = await spendStep(db, { step, now: nowMs, id: method.id });
    if (Number(updated.numAffectedRows) === 1) return method.id;
  }
  return null;
}

/** A new authenticator-app method row, its secret sealed; `confirmed` once a code has matched. */
export function totpMethodRow(box: SecretBox, input: { userId: string; accountId: string; secret: string; name?: string; confirmed: boolean; now: number; sessionId?: string }): MethodsTable {
  return {
    id: newId(),
    user_id: input.userId,
    account_id: input.accountId,
    type: 'totp',
    name: input.name ?? 'Authenticator app',
    confirmed: input.confirmed ? 1 : 0,
    created_at: input.now,
    last_used_at: null,
    totp_secret: box.seal(input.secret),
    totp_last_step: null,
    credential_id: null,
    public_key: null,
    sign_count: null,
    transports: null,
    clone_warning_at: null,
    session_id: input.sessionId ?? null,
  };
}
