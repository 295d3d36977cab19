// The signed-in user's own security: methods (authenticator apps, security keys), recovery codes.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Transaction } from 'kysely';
import { userView } from '../../people/accounts.js';
import { recordAudit } from '../../audit/audit.js';
import { authOf, requireRecentSecondFactor } from '../auth.js';
import type { ServerContext } from '../../context.js';
import { ApiError } from '../errors.js';
import { countMethods, listMethods, methodView, removeMethod, renameMethod } from '../../second-factors/methods.js';
import { AddSecurityKeyBody, AddTotpBody, ConfirmTotpBody, EmptyBody, IdParams, RenameMethodBody } from '../schemas.js';
import { registerSecurityKey, registrationOptions } from '../../second-factors/security-keys.js';
import { sessionView, type AuthenticatedSession } from '../../sessions/sessions.js';
import type { Database, MethodsTable } from '../../store/schema.js';
import { throttleRules } from '../../sessions/throttling.js';
import { matchTotp, newTotpSecret, totpMethodRow, totpProvisioning } from '../../second-factors/totp.js';
import { accountView } from './sessions.js';

/** Unconfirmed authenticator apps are forgotten after this long. */
const PENDING_TOTP_TTL_MS = 60 * 60_000;

export function meRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;

  /** Adding a method when the user already has one is sensitive: it must be them. */
  async function checkMayAddMethod(auth: AuthenticatedSession) {
    if (auth.session.state === 'active' && (await countMethods(db, auth.user.id)) > 0) requireRecentSecondFactor(ctx, auth);
  }

  /** A method became active: flag the user, issue recovery codes with the first, activate the session. */
  async function activateMethod(trx: Transaction<Database>, auth: AuthenticatedSession, method: MethodsTable) {
    const before = await countMethods(trx, auth.user.id);
    await trx.updateTable('methods').set({ confirmed: 1 }).where('id', '=', method.id).execute();
    await trx.updateTable('users').set({ has_two_factor: 1 }).where('id', '=', auth.user.id).execute();
    const recoveryCodes = before === 0 ? await ctx.recoveryCodes.issue(trx, auth.user.id) : undefined;
    const session = await ctx.sessions.markSecondFactor(trx, auth.session);
    await recordAudit(trx, {
      accountId: auth.account.id,
      actorId: auth.user.id,
      action: 'method.added',
      details: { methodId: method.id, type: method.type, name: method.name },
    });
    return { method: methodView(method), ...(recoveryCodes ? { recoveryCodes } : {}), session: sessionView(session) };
  }

  r.get('/me', { config: { auth: 'enroll' }, schema: { tags: ['me'], summary: 'The user, their methods, recovery codes left, the account setting' } }, async (request) => {
    const auth = authOf(request);
    return {
      user: userView(auth.user),
      methods: await listMethods(db, auth.user.id),
      recoveryCodesLeft: await ctx.recoveryCodes.remaining(db, auth.user.id),
      account: accountView(auth.account),
      session: sessionView(auth.session),
    };
  });

  r.post('/me/methods/totp', { config: { auth: 'enroll' }, schema: { body: AddTotpBody, tags: ['me'], summary: 'Start adding an authenticator app' } }, async (request, reply) => {
    const auth = authOf(request);
    await checkMayAddMethod(auth);
    const secret = newTotpSecret();
    const now = Date.now();
    const method = totpMethodRow(ctx.box, { userId: auth.user.id, accountId: auth.account.id, secret, name: request.body.name, confirmed: false, now });
    await db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('methods')
        .where('user_id', '=', auth.user.id)
        .where('confirmed', '=', 0)
        .where('created_at', '<', now - PENDING_TOTP_TTL_MS)
        .execute();
      await trx.insertInto('methods').values(method).execute();
    });
    const provisioning = await totpProvisioning({ secret, issuer: `AgentDesk (${auth.account.slug})`, accountName: auth.user.email });
    reply.code(201);
    return { id: method.id, secret, ...provisioning };
  });

  r.post('/me/methods/totp/:id/confirm', { config: { auth: 'enroll' }, schema: { params: IdParams, body: ConfirmTotpBody, tags: ['me'], summary: 'Confirm an authenticator app with a current code' } }, async (request) => {
    const auth = authOf(request);
    const pending = await db
      .selectFrom('methods')
      .selectAll()
      .where('id', '=', request.params.id)
      .where('user_id', '=', auth.user.id)
      .where('type', '=', 'totp')
      .executeTakeFirst();
    if (!pending || Number(pending.created_at) < Date.now() - PENDING_TOTP_TTL_MS) throw new ApiError('not_found', 'No such authenticator app is being added. Start again.');
    if (pending.confirmed === 1) throw new ApiError('method_already_confirmed');
    const userKey = `second-factor:${auth.user.id}`;
    await ctx.throttle.reserve(userKey, throttleRules.secondFactorUser);
    const step = matchTotp(ctx.box.open(pending.totp_secret!), request.body.code.replace(/\s/g, ''), null);
    if (step === null) throw new ApiError('invalid_code', 'That code is not correct. Check that your phone’s clock is set automatically, then enter the code shown now.');
    await ctx.throttle.clear(userKey);
    return db.transaction().execute(async (trx) => {
      // Confirming twice at once: only one request flips the row.
      const flipped = await trx
        .updateTable('methods')
        .set({ totp_last_step: step, last_used_at: Date.now() })
        .where('id', '=', pending.id)
        .where('confirmed', '=', 0)
        .executeTakeFirst();
      if (Number(flipped.numUpdatedRows) !== 1) throw new ApiError('method_already_confirmed');
      return activateMethod(trx, auth, { ...pending, totp_last_step: step });
    });
  });

  r.post('/me/methods/security-keys/options', { config: { auth: 'enroll' }, schema: { body: EmptyBody, tags: ['me'], summary: 'WebAuthn creation options for adding a security key' } }, async (request) => {
    const auth = authOf(request);
    await checkMayAddMethod(auth);
    return registrationOptions(db, ctx.rp, {
      sessionId: auth.session.id,
      user: { id: auth.user.id, email: auth.user.email, name: auth.user.name },
      userVerification: auth.account.user_verification,
    });
  });

  r.post('/me/methods/security-keys', { config: { auth: 'enroll' }, schema: { body: AddSecurityKeyBody, tags: ['me'], summary: 'Add a security key' } }, async (request, reply) => {
    const auth = authOf(request);
    await checkMayAddMethod(auth);
    const result = await db.transaction().execute(async (trx) => {
      const method = await registerSecurityKey(trx, ctx.rp, {
        sessionId: auth.session.id,
        userId: auth.user.id,
        accountId: auth.account.id,
        name: request.body.name,
        response: request.body.response as never,
        userVerification: auth.account.user_verification,
      });
      return activateMethod(trx, auth, method);
    });
    reply.code(201);
    return result;
  });

  r.patch('/me/methods/:id', { config: { auth: 'active' }, schema: { params: IdParams, body: RenameMethodBody, tags: ['me'], summary: 'Rename a method' } }, async (request) => {
    const auth = authOf(request);
    const method = await db.transaction().execute(async (trx) => {
      const renamed = await renameMethod(trx, auth.user.id, request.params.id, request.body.name);
      await recordAudit(trx, { accountId: auth.account.id, actorId: auth.user.id, action: 'method.renamed', details: { methodId: renamed.id, name: renamed.name } });
      return renamed;
    });
    return { method };
  });

  r.delete('/me/methods/:id', { config: { auth: 'active' }, schema: { params: IdParams, tags: ['me'], summary: 'Remove a method' } }, async (request, reply) => {
    const auth = authOf(request);
    requireRecentSecondFactor(ctx, auth);
    await db.transaction().execute(async (trx) => {
      const { method, remaining } = await removeMethod(trx, {
        userId: auth.user.id,
        accountId: auth.account.id,
        methodId: request.params.id,
      });
      await recordAudit(trx, { accountId: auth.account.id, actorId: auth.user.id, action: 'method.removed', details: { methodId: method.id, type: method.type, name: method.name, remaining } });
    });
    reply.code(204);
    return reply.send();
  });

  r.post('/me/recovery-codes', { config: { auth: 'active' }, schema: { body: EmptyBody, tags: ['me'], summary: 'Regenerate recovery codes' } }, async (request) => {
    const auth = authOf(request);
    if ((await countMethods(db, auth.user.id)) === 0) throw new ApiError('not_found', 'Set up a second-factor method first.');
    requireRecentSecondFactor(ctx, auth);
    const recoveryCodes = await db.transaction().execute(async (trx) => {
      const codes = await ctx.recoveryCodes.issue(trx, auth.user.id);
      await recordAudit(trx, { accountId: auth.account.id, actorId: auth.user.id, action: 'recovery_codes.regenerated', details: {} });
      return codes;
    });
    return { recoveryCodes };
  });
}
