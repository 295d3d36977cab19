// Authenticator apps (RFC 6238: SHA-1, 6 digits, 30 s, 160-bit secret). Secrets are sealed at
// rest; a code is accepted for the previous, current or next step, and never twice: the step
// of the last accepted code is stored and only a later step passes, by a conditional update.
import { generateSecret, generateURI, verifySync } from 'otplib';
import QRCode from 'qrcode';
import type { Kysely, Transaction } from 'kysely';
import type { SecretBox } from './crypto/secret-box.js';
import type { Database, MethodsTable } from './store/schema.js';

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

/** The time step a code is valid for, or null. Replay is not checked here. */
export function matchTotp(secret: string, code: string, afterStep: number | null, nowMs = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const result = verifySync({
    secret,
    token: code,
    epoch: Math.floor(nowMs / 1000),
    epochTolerance: TOTP_PERIOD_SECONDS,
    ...(afterStep !== null ? { afterTimeStep: afterStep } : {}),
  });
  return result.valid ? (result as { timeStep: number }).timeStep : null;
}

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
    const updated = await db
      .updateTable('methods')
      .set({ totp_last_step: step, last_used_at: nowMs })
      .where('id', '=', method.id)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 1) return method.id;
  }
  return null;
}
