// Who may set up the first method at a forced enrolment ("Who may enrol at next sign-in").
//
// Under `password` (the article's behaviour) the password is enough. Under `known_device` a
// session in `enrollment_required` may enrol only if its sign-in came from a device this user
// had signed in on before the requirement took effect for them, or after it redeemed a one-time
// enrolment code an admin issued for this user. Otherwise whoever steals a password first would
// own the account's second factor (Mandiant 2022: APT29 enrolling its own MFA device on dormant
// accounts). Every enrolment route calls `assertMayEnrol`; nothing else decides it.
import { createHmac, randomInt } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.js';
import { newId } from '../crypto/tokens.js';
import { DomainError } from '../errors.js';
import type { AuthenticatedSession } from '../sessions/sessions.js';
import type { Database } from '../store/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Without look-alikes (0/O, 1/I/L), upper case as an admin reads it out on the phone. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 10;
export const ENROLLMENT_CODE_MINUTES = { min: 10, max: 10_080, default: 1_440 };

export type EnrolmentPermission = 'password' | 'known_device' | 'enrollment_code' | 'second_factor';

/**
 * Why this session may set up a first method, or `enrollment_code_required`. Sessions that are
 * not in `enrollment_required` (an active user adding a method) are not this function's concern.
 */
export async function enrolmentPermission(db: Db, auth: Pick<AuthenticatedSession, 'session' | 'user' | 'account'>): Promise<EnrolmentPermission | null> {
  // Held at enrolment after passing a second factor (an app under "security keys only", to add
  // a key: second-factors/policy.ts): the user proved a factor, not only the password.
  if (auth.session.second_factor_at !== null) return 'second_factor';
  const account = await db
    .selectFrom('accounts')
    .select(['enrollment_policy', 'two_factor_required_since', 'settings_updated_at', 'created_at'])
    .where('id', '=', auth.account.id)
    .executeTakeFirstOrThrow();
  if (account.enrollment_policy === 'password') return 'password';
  const redeemed = await db
    .selectFrom('enrollment_codes')
    .select('id')
    .where('used_session_id', '=', auth.session.id)
    .where('user_id', '=', auth.user.id)
    .executeTakeFirst();
  if (redeemed) return 'enrollment_code';
  const deviceId = (auth.session as { device_id?: string | null }).device_id ?? null;
  if (deviceId === null) return null;
  const user = await db.selectFrom('users').select('created_at').where('id', '=', auth.user.id).executeTakeFirstOrThrow();
  // When the requirement took effect for this user: the account's enforcement, or the user's
  // creation when they were created later (then no device of theirs predates it).
  const since = Number(account.two_factor_required_since ?? account.settings_updated_at ?? account.created_at);
  const effective = Math.max(since, Number(user.created_at));
  const known = await db
    .selectFrom('device_users')
    .select('device_id')
    .where('device_id', '=', deviceId)
    .where('user_id', '=', auth.user.id)
    .where('first_signed_in_at', '<', effective)
    .executeTakeFirst();
  return known ? 'known_device' : null;
}

/** Throws `enrollment_code_required` unless an `enrollment_required` session may enrol. */
export async function assertMayEnrol(db: Db, auth: Pick<AuthenticatedSession, 'session' | 'user' | 'account'>): Promise<void> {
  if (auth.session.state !== 'enrollment_required') return;
  if ((await enrolmentPermission(db, auth)) === null) throw new DomainError('enrollment_code_required');
}

export class EnrollmentCodes {
  constructor(private readonly hmacKey: Buffer) {}

  private hash(code: string): string {
    return createHmac('sha256', this.hmacKey).update(normalizeEnrollmentCode(code)).digest('hex');
  }

  /** A new code for `userId`, shown once; earlier unused codes for that user stop working. */
  async issue(
    trx: Transaction<Database>,
    input: { accountId: string; actorId: string; userId: string; expiresInMinutes: number; request?: RequestContext | undefined },
  ): Promise<{ code: string; expiresAt: number }> {
    let raw = '';
    for (let i = 0; i < CODE_LENGTH; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
    const code = `${raw.slice(0, 5)}-${raw.slice(5)}`;
    const now = Date.now();
    const expiresAt = now + input.expiresInMinutes * 60_000;
    await trx.deleteFrom('enrollment_codes').where('user_id', '=', input.userId).where('used_at', 'is', null).execute();
    await trx
      .insertInto('enrollment_codes')
      .values({ id: newId(), account_id: input.accountId, user_id: input.userId, code_hash: this.hash(code), created_by: input.actorId, created_at: now, expires_at: expiresAt, used_at: null, used_session_id: null })
      .execute();
    await recordAudit(trx, {
      accountId: input.accountId,
      actorId: input.actorId,
      subjectUserId: input.userId,
      action: 'enrollment_code.issued',
      details: { expiresAt: new Date(expiresAt).toISOString() },
      at: now,
      request: input.request,
    });
    return { code, expiresAt };
  }

  /** Spends a code for this session: the conditional update lets one of two parallel uses win. */
  async redeem(trx: Transaction<Database>, input: { userId: string; sessionId: string; code: string }): Promise<boolean> {
    const normalized = normalizeEnrollmentCode(input.code);
    if (normalized.length !== CODE_LENGTH) return false;
    const now = Date.now();
    const result = await trx
      .updateTable('enrollment_codes')
      .set({ used_at: now, used_session_id: input.sessionId })
      .where('user_id', '=', input.userId)
      .where('code_hash', '=', this.hash(normalized))
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

export function normalizeEnrollmentCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}
