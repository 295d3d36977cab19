// The signed-in user's own security: methods (authenticator apps, security keys), recovery codes.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { access } from '../access.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Transaction } from 'kysely';
import { userView } from '../../people/accounts.js';
import { recordAudit, requestContext, type RequestContext } from '../../audit/audit.js';
import { assertMayEnrol, enrolmentPermission } from '../../enforcement/enrollment-policy.js';
import { accountRollout } from '../../enforcement/rollout-view.js';
import { notify } from '../../notifications/security-activity.js';
import { authOf } from '../auth.js';
import { countOtherSessions } from '../../sessions/other-sessions.js';
import type { ServerContext } from '../../context.js';
import { ApiError } from '../errors.js';
import { countMethods, listMethods, methodView, removeMethod, renameMethod } from '../../second-factors/methods.js';
import { flagsForKind } from '../../second-factors/method-flags.js';
import { AddSecurityKeyBody, AddTotpBody, ConfirmTotpBody, EmptyBody, IdParams, RenameMethodBody } from '../schemas.js';
import { registerSecurityKey, registrationOptions } from '../../second-factors/security-keys.js';
import { policyOf, requireMethodAllowed } from '../../second-factors/policy.js';
import { SecurityKeyOptionsBody } from './passkeys.js';
import { sessionView, type AuthenticatedSession } from '../../sessions/sessions.js';
import type { Database, MethodsTable } from '../../store/schema.js';
import { secondFactorLimits } from '../../sessions/throttling.js';
import { recordDeviceSignIn } from '../../sessions/devices.js';
import { recordLockouts } from '../../sessions/lockouts.js';
import { Sessions } from '../../sessions/sessions.js';
import { matchTotp, newTotpSecret, totpMethodRow, totpProvisioning } from '../../second-factors/totp.js';
import { accountView, knownDeviceOf, setSessionCookie } from './sessions.js';

/** Unconfirmed authenticator apps are forgotten after this long (one pending per user at a time). */
const PENDING_TOTP_TTL_MS = 10 * 60_000;

export function meRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;

  /**
   * A method became active: flag the user, issue recovery codes with the first, and pass the
   * session's second factor under a new token. A session that never passed a second factor
   * (enrolment, or password-only while 2FA is not required) may add only the user's *first*
   * method: the flag flips from 0 under the user's row lock, so when two sessions race, one
   * wins and the other is refused. Every other session of the user that never passed a second
   * factor ends (returned, to be told after commit).
   */
  async function activateMethod(trx: Transaction<Database>, auth: AuthenticatedSession, method: MethodsTable, context?: RequestContext) {
    const passwordOnly = auth.session.second_factor_at === null;
    let flip = trx.updateTable('users').set(flagsForKind(method.type)).where('id', '=', auth.user.id);
    if (passwordOnly) flip = flip.where('has_two_factor', '=', 0);
    const flipped = await flip.executeTakeFirst();
    if (Number(flipped.numUpdatedRows) !== 1) {
      const error = new ApiError('unauthenticated', 'Two-factor authentication was set up on your account from another sign-in. Sign in again.');
      error.reason = 'second_factor_added';
      throw error;
    }
    const before = await countMethods(trx, auth.user.id);
    await trx.updateTable('methods').set({ confirmed: 1, session_id: null }).where('id', '=', method.id).execute();
    const recoveryCodes = before === 0 ? await ctx.recoveryCodes.issue(trx, auth.user.id) : undefined;
    const { session, token } = await ctx.sessions.passSecondFactor(trx, auth.session);
    await recordDeviceSignIn(trx, { deviceId: auth.session.device_id, userId: auth.user.id, accountId: auth.account.id });
    const revoked = await Sessions.revokePasswordOnlySessions(trx, { userId: auth.user.id, exceptId: auth.session.id }, 'second_factor_added');
    await recordAudit(trx, {
      accountId: auth.account.id,
      actorId: auth.user.id,
      action: 'method.added',
      details: { methodId: method.id, type: method.type, name: method.name },
      request: context,
    });
    await notify(trx, { accountId: auth.account.id, userId: auth.user.id, kind: 'method_added', details: { type: method.type, name: method.name }, request: context });
    return { body: { method: methodView(method), ...(recoveryCodes ? { recoveryCodes } : {}), session: sessionView(session), token }, session, token, revoked };
  }

  /** Runs an activation; after commit tells the ended sessions and hands the new token over. */
  async function activate(reply: FastifyReply, auth: AuthenticatedSession, work: (trx: Transaction<Database>) => Promise<Awaited<ReturnType<typeof activateMethod>>>) {
    let result: Awaited<ReturnType<typeof activateMethod>>;
    try {
      result = await db.transaction().execute(work);
    } catch (error) {
      // Lost the race to another session's first method: this session never proved a factor.
      if (error instanceof ApiError && error.reason === 'second_factor_added') await ctx.sessions.revoke([auth.session.id], 'second_factor_added');
      throw error;
    }
    await ctx.events.publishRevoked(result.revoked, 'second_factor_added');
    setSessionCookie(ctx, reply, result.token, result.session.expires_at);
    // A factor changed: the answer says how many other sessions are live, to offer ending them.
    return { ...result.body, otherSessions: await otherSessionsOf(auth) };
  }

  const otherSessionsOf = (auth: AuthenticatedSession) => countOtherSessions(db, { userId: auth.user.id, exceptSessionId: auth.session.id });

  r.get('/me', { config: { access: access.enrollment }, schema: { tags: ['me'], summary: 'The user, their methods, recovery codes left, the account setting' } }, async (request) => {
    const auth = authOf(request);
    return {
      user: userView(auth.user),
      methods: await listMethods(db, auth.user.id),
      recoveryCodesLeft: await ctx.recoveryCodes.remaining(db, auth.user.id),
      recoveryCodesOutdated: await ctx.recoveryCodes.outdated(db, auth.user.id),
      account: { ...accountView(auth.account), ...(await accountRollout(db, auth.account.id)) },
      // At a forced enrolment: whether this session may set up a method, or needs an enrolment code.
      mayEnrol: auth.session.state !== 'enrollment_required' || (await enrolmentPermission(db, auth)) !== null,
      session: sessionView(auth.session),
    };
  });

  r.post('/me/methods/totp', { config: { access: access.enrollmentSensitive }, schema: { body: AddTotpBody, tags: ['me'], summary: 'Start adding an authenticator app' } }, async (request, reply) => {
    const auth = authOf(request);
    requireMethodAllowed(policyOf(auth.account), 'totp');
    await assertMayEnrol(db, auth);
    const secret = newTotpSecret();
    const now = Date.now();
    const method = totpMethodRow(ctx.box, { userId: auth.user.id, accountId: auth.account.id, secret, name: request.body.name, confirmed: false, now, sessionId: auth.session.id });
    await db.transaction().execute(async (trx) => {
      // One authenticator app being added at a time: a new one replaces any other pending.
      await trx.deleteFrom('methods').where('user_id', '=', auth.user.id).where('type', '=', 'totp').where('confirmed', '=', 0).execute();
      await trx.insertInto('methods').values(method).execute();
    });
    const provisioning = await totpProvisioning({ secret, issuer: `AgentDesk (${auth.account.slug})`, accountName: auth.user.email });
    reply.code(201);
    return { id: method.id, secret, ...provisioning };
  });

  r.post('/me/methods/totp/:id/confirm', { config: { access: access.enrollmentSensitive }, schema: { params: IdParams, body: ConfirmTotpBody, tags: ['me'], summary: 'Confirm an authenticator app with a current code (answers a new token)' } }, async (request, reply) => {
    const auth = authOf(request);
    await assertMayEnrol(db, auth);
    const pending = await db
      .selectFrom('methods')
      .selectAll()
      .where('id', '=', request.params.id)
      .where('user_id', '=', auth.user.id)
      .where('type', '=', 'totp')
      .executeTakeFirst();
    if (pending?.confirmed === 1) throw new ApiError('method_already_confirmed');
    // Only the session that started adding it may confirm it.
    if (!pending || pending.session_id !== auth.session.id || Number(pending.created_at) < Date.now() - PENDING_TOTP_TTL_MS) {
      throw new ApiError('not_found', 'No such authenticator app is being added. Start again.');
    }
    const reservation = await ctx.throttle.reserve(secondFactorLimits({ userId: auth.user.id, knownDeviceId: await knownDeviceOf(ctx, auth) }));
    const step = matchTotp(ctx.box.open(pending.totp_secret!), request.body.code.replace(/\s/g, ''), null);
    if (step === null) {
      const lockouts = await reservation.fail();
      await recordLockouts(db, lockouts, { user: { id: auth.user.id, account_id: auth.account.id, email: auth.user.email, name: auth.user.name }, step: 'second_factor', address: request.ip, deviceId: auth.session.device_id, userAgent: request.headers['user-agent'] });
      throw new ApiError('invalid_code', 'That code is not correct. Check that your phone’s clock is set automatically, then enter the code shown now.');
    }
    await reservation.succeed();
    return activate(reply, auth, async (trx) => {
      // Confirming twice at once: only one request flips the row.
      const flipped = await trx
        .updateTable('methods')
        .set({ totp_last_step: step, last_used_at: Date.now() })
        .where('id', '=', pending.id)
        .where('confirmed', '=', 0)
        .executeTakeFirst();
      if (Number(flipped.numUpdatedRows) !== 1) throw new ApiError('method_already_confirmed');
      return activateMethod(trx, auth, { ...pending, totp_last_step: step }, requestContext(request));
    });
  });

  r.post('/me/methods/security-keys/options', { config: { access: access.enrollmentSensitive }, schema: { body: SecurityKeyOptionsBody, tags: ['me'], summary: 'WebAuthn creation options for adding a security key (passwordless: for sign-in with the key alone)' } }, async (request) => {
    const auth = authOf(request);
    await assertMayEnrol(db, auth);
    return registrationOptions(db, ctx.rp, {
      sessionId: auth.session.id,
      user: { id: auth.user.id, email: auth.user.email, name: auth.user.name },
      userVerification: auth.account.user_verification,
      passwordless: request.body.passwordless,
    });
  });

  r.post('/me/methods/security-keys', { config: { access: access.enrollmentSensitive }, schema: { body: AddSecurityKeyBody, tags: ['me'], summary: 'Add a security key' } }, async (request, reply) => {
    const auth = authOf(request);
    await assertMayEnrol(db, auth);
    const result = await activate(reply, auth, async (trx) => {
      const method = await registerSecurityKey(trx, ctx.rp, {
        sessionId: auth.session.id,
        userId: auth.user.id,
        accountId: auth.account.id,
        name: request.body.name,
        response: request.body.response as never,
        userVerification: auth.account.user_verification,
      });
      return activateMethod(trx, auth, method, requestContext(request));
    });
    reply.code(201);
    return result;
  });

  r.patch('/me/methods/:id', { config: { access: access.user }, schema: { params: IdParams, body: RenameMethodBody, tags: ['me'], summary: 'Rename a method' } }, async (request) => {
    const auth = authOf(request);
    const method = await db.transaction().execute(async (trx) => {
      const renamed = await renameMethod(trx, auth.user.id, request.params.id, request.body.name);
      await recordAudit(trx, { accountId: auth.account.id, actorId: auth.user.id, action: 'method.renamed', details: { methodId: renamed.id, name: renamed.name }, request: requestContext(request) });
      return renamed;
    });
    return { method };
  });

  r.delete('/me/methods/:id', { config: { access: access.userSensitive }, schema: { params: IdParams, tags: ['me'], summary: 'Remove a method; the answer says how many other sessions of mine are live (DELETE /me/sessions ends them)' } }, async (request) => {
    const auth = authOf(request);
    await db.transaction().execute(async (trx) => {
      const { method, remaining } = await removeMethod(trx, {
        userId: auth.user.id,
        accountId: auth.account.id,
        methodId: request.params.id,
      });
      await recordAudit(trx, { accountId: auth.account.id, actorId: auth.user.id, action: 'method.removed', details: { methodId: method.id, type: method.type, name: method.name, remaining }, request: requestContext(request) });
      await notify(trx, { accountId: auth.account.id, userId: auth.user.id, kind: 'method_removed', details: { type: method.type, name: method.name, remaining }, request: requestContext(request) });
    });
    // A method is often removed because a phone or key is lost: offer to end the other sessions.
    return { otherSessions: await otherSessionsOf(auth) };
  });

  r.post('/me/recovery-codes', { config: { access: access.userSensitive }, schema: { body: EmptyBody, tags: ['me'], summary: 'Regenerate recovery codes' } }, async (request) => {
    const auth = authOf(request);
    if ((await countMethods(db, auth.user.id)) === 0) throw new ApiError('not_found', 'Set up a second-factor method first.');
    const recoveryCodes = await db.transaction().execute(async (trx) => {
      const codes = await ctx.recoveryCodes.issue(trx, auth.user.id);
      await recordAudit(trx, { accountId: auth.account.id, actorId: auth.user.id, action: 'recovery_codes.regenerated', details: {}, request: requestContext(request) });
      await notify(trx, { accountId: auth.account.id, userId: auth.user.id, kind: 'recovery_codes_regenerated', request: requestContext(request) });
      return codes;
    });
    return { recoveryCodes, otherSessions: await otherSessionsOf(auth) };
  });
}
