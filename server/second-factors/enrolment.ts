// Adding a method: confirming an authenticator app (a code checked through the sign-in flow,
// throttled as a second-step code), adding a security key, and the recovery codes issued with
// the first method or regenerated later.
import { endRemembrances } from '../sessions/remembered-devices.js';
import type { Transaction } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.js';
import type { ServerContext } from '../context.js';
import { DomainError } from '../errors.js';
import { notify } from '../notifications/security-activity.js';
import { recordDeviceSignIn } from '../sessions/devices.js';
import { recordSecondStepLockouts } from '../sessions/lockouts.js';
import { Sessions, sessionView, type AuthenticatedSession } from '../sessions/sessions.js';
import { attempt } from '../sessions/sign-in-flow.js';
import { codeLimits } from '../sessions/strategies/second-step.js';
import type { Database, MethodsTable } from '../store/schema.js';
import { flagsForKind } from './method-flags.js';
import { countMethods, methodView } from './methods.js';
import { storeSecurityKey, verifySecurityKeyRegistration } from './security-keys.js';
import { matchTotp, newTotpSecret, totpMethodRow, totpProvisioning } from './totp.js';

type Trx = Transaction<Database>;

/** Unconfirmed authenticator apps are forgotten after this long (one pending per user at a time). */
export const PENDING_TOTP_TTL_MS = 10 * 60_000;

interface Enrolling {
  auth: AuthenticatedSession;
  request: RequestContext & { address: string };
}

/**
 * A method became active: flag the user, issue recovery codes with the first, and pass the
 * session's second factor under a new token. A session that never passed a second factor
 * (enrolment, or password-only while 2FA is not required) may add only the user's *first*
 * method: the flag flips from 0 under the user's row lock, so when two sessions race, one
 * wins and the other is refused. Every other session of the user that never passed a second
 * factor ends (returned, to be told after commit).
 */
async function activateMethod(ctx: ServerContext, trx: Trx, auth: AuthenticatedSession, method: MethodsTable, context: RequestContext) {
  const passwordOnly = auth.session.second_factor_at === null;
  let flip = trx.updateTable('users').set(flagsForKind(method.type)).where('id', '=', auth.user.id);
  if (passwordOnly) flip = flip.where('has_two_factor', '=', 0);
  const flipped = await flip.executeTakeFirst();
  if (Number(flipped.numUpdatedRows) !== 1) {
    const error = new DomainError('unauthenticated', 'Two-factor authentication was set up on your account from another sign-in. Sign in again.');
    error.reason = 'second_factor_added';
    throw error;
  }
  const before = await countMethods(trx, auth.user.id);
  await trx.updateTable('methods').set({ confirmed: 1, session_id: null }).where('id', '=', method.id).execute();
  const recoveryCodes = before === 0 ? await ctx.recoveryCodes.issue(trx, auth.user.id) : undefined;
  const { session, token } = await ctx.sessions.passSecondFactor(trx, auth.session, undefined, auth.account);
  await recordDeviceSignIn(trx, { deviceId: auth.session.device_id, userId: auth.user.id, accountId: auth.account.id });
  const revoked = await Sessions.revokePasswordOnlySessions(trx, { userId: auth.user.id, exceptId: auth.session.id }, 'second_factor_added');
  await recordAudit(trx, {
    accountId: auth.account.id,
    actorId: auth.user.id,
    action: 'method.added',
    details: { methodId: method.id, type: method.type, name: method.name },
    request: context,
  });
  // The methods changed: no device skips the second step any more (sessions/remembered-devices.ts).
  await endRemembrances(trx, { userId: auth.user.id, accountId: auth.account.id, actorId: auth.user.id, reason: 'method_added', request: context });
  await notify(trx, { accountId: auth.account.id, userId: auth.user.id, kind: 'method_added', details: { type: method.type, name: method.name }, request: context });
  return { body: { method: methodView(method), ...(recoveryCodes ? { recoveryCodes } : {}), session: sessionView(session), token }, session, token, revoked };
}

type Activated = Awaited<ReturnType<typeof activateMethod>>;

/** Runs an activation; after commit tells the ended sessions. */
async function activate(ctx: ServerContext, auth: AuthenticatedSession, work: () => Promise<Activated>): Promise<Activated> {
  let result: Activated;
  try {
    result = await work();
  } catch (error) {
    // Lost the race to another session's first method: this session never proved a factor.
    if (error instanceof DomainError && error.reason === 'second_factor_added') await ctx.sessions.revoke([auth.session.id], 'second_factor_added');
    throw error;
  }
  await ctx.events.publishRevoked(result.revoked, 'second_factor_added');
  return result;
}

/** Starts adding an authenticator app: its secret, shown once, and the QR code's URI. */
export async function startTotp(ctx: ServerContext, auth: AuthenticatedSession, name: string | undefined) {
  const secret = newTotpSecret();
  const now = Date.now();
  const method = totpMethodRow(ctx.box, { userId: auth.user.id, accountId: auth.account.id, secret, name, confirmed: false, now, sessionId: auth.session.id });
  await ctx.db.transaction().execute(async (trx) => {
    // One authenticator app being added at a time: a new one replaces any other pending.
    await trx.deleteFrom('methods').where('user_id', '=', auth.user.id).where('type', '=', 'totp').where('confirmed', '=', 0).execute();
    await trx.insertInto('methods').values(method).execute();
  });
  const provisioning = await totpProvisioning({ secret, issuer: `AgentDesk (${auth.account.slug})`, accountName: auth.user.email });
  return { id: method.id, secret, ...provisioning };
}

/** Confirms an authenticator app being added with a current code: the app becomes a method. */
export async function confirmTotp(ctx: ServerContext, { auth, request }: Enrolling, input: { methodId: string; code: string }): Promise<Activated> {
  const pending = await ctx.db
    .selectFrom('methods')
    .selectAll()
    .where('id', '=', input.methodId)
    .where('user_id', '=', auth.user.id)
    .where('type', '=', 'totp')
    .executeTakeFirst();
  if (pending?.confirmed === 1) throw new DomainError('method_already_confirmed');
  // Only the session that started adding it may confirm it.
  if (!pending || pending.session_id !== auth.session.id || Number(pending.created_at) < Date.now() - PENDING_TOTP_TTL_MS) {
    throw new DomainError('not_found', 'No such authenticator app is being added. Start again.');
  }
  const limits = await codeLimits(ctx, auth);
  return activate(ctx, auth, () =>
    attempt(ctx, {
      // Throttled as a second-step code of this user.
      limits,
      wrong: ['invalid_code'],
      // A code matched in microseconds: checked in the transaction that holds the limits.
      inline: true,
      verify: async (trx) => {
        const step = matchTotp(ctx.box.open(pending.totp_secret!), input.code.replace(/\s/g, ''), null);
        if (step === null) throw new DomainError('invalid_code', 'That code is not correct. Check that your phone’s clock is set automatically, then enter the code shown now.');
        // Confirming twice at once: only one request flips the row.
        const flipped = await trx
          .updateTable('methods')
          .set({ totp_last_step: step, last_used_at: Date.now() })
          .where('id', '=', pending.id)
          .where('confirmed', '=', 0)
          .executeTakeFirst();
        if (Number(flipped.numUpdatedRows) !== 1) throw new DomainError('method_already_confirmed');
        return activateMethod(ctx, trx, auth, { ...pending, totp_last_step: step }, request);
      },
      failed: async (trx, _refusal, lockouts) => {
        await recordSecondStepLockouts(trx, lockouts, auth, request);
      },
    }),
  );
}

/** Adds a security key from its registration response: the key becomes a method. */
export async function addSecurityKey(ctx: ServerContext, { auth, request }: Enrolling, input: { name: string; response: unknown }): Promise<Activated> {
  return activate(ctx, auth, async () => {
    const verified = await verifySecurityKeyRegistration(ctx.db, ctx.rp, {
      sessionId: auth.session.id,
      userId: auth.user.id,
      accountId: auth.account.id,
      name: input.name,
      response: input.response as never,
      userVerification: auth.account.user_verification,
    });
    return ctx.db.transaction().execute(async (trx) => activateMethod(ctx, trx, auth, await storeSecurityKey(trx, verified), request));
  });
}

/** New recovery codes replace the old (shown once); the user is told. */
export async function regenerateRecoveryCodes(ctx: ServerContext, { auth, request }: Enrolling): Promise<string[]> {
  return ctx.db.transaction().execute(async (trx) => {
    const codes = await ctx.recoveryCodes.issue(trx, auth.user.id);
    await recordAudit(trx, { accountId: auth.account.id, actorId: auth.user.id, action: 'recovery_codes.regenerated', details: {}, request });
    await endRemembrances(trx, { userId: auth.user.id, accountId: auth.account.id, actorId: auth.user.id, reason: 'recovery_codes_regenerated', request });
    await notify(trx, { accountId: auth.account.id, userId: auth.user.id, kind: 'recovery_codes_regenerated', request });
    return codes;
  });
}
