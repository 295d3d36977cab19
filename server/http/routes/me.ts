// The signed-in user's own security: methods (authenticator apps, security keys), recovery codes.
import { endRemembrances } from '../../sessions/remembered-devices.js';
import { operations } from '../../../contract/operations.js';
import { route } from '../contract-routes.js';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { userView } from '../../people/accounts.js';
import { recordAudit, requestContext } from '../../audit/audit.js';
import { assertMayEnrol, enrolmentPermission } from '../../enforcement/enrollment-policy.js';
import { accountRollout } from '../../enforcement/rollout-view.js';
import { appliesTo } from '../../enforcement/applies-view.js';
import { notify } from '../../notifications/security-activity.js';
import { authOf } from '../auth.js';
import { countOtherSessions } from '../../sessions/other-sessions.js';
import type { ServerContext } from '../../context.js';
import { ApiError } from '../errors.js';
import { countMethods, listMethods, removeMethod, renameMethod } from '../../second-factors/methods.js';
import { setUserLanguage } from '../../people/language.js';
import { registrationOptions } from '../../second-factors/security-keys.js';
import { policyOf, requireMethodAllowed } from '../../second-factors/policy.js';
import { sessionView, type AuthenticatedSession } from '../../sessions/sessions.js';
import { accountView } from './sessions.js';
import { graceOf } from '../../enforcement/grace.js';
import { setSessionCookie } from '../cookies.js';
import { addSecurityKey, confirmTotp, regenerateRecoveryCodes, startTotp } from '../../second-factors/enrolment.js';

export function meRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx;

  /** A method was added: the session passed a second factor under a new token. */
  async function answerActivated(reply: FastifyReply, auth: AuthenticatedSession, activated: Awaited<ReturnType<typeof addSecurityKey>>) {
    setSessionCookie(ctx, reply, activated.token, activated.session.expires_at);
    // A factor changed: the answer says how many other sessions are live, to offer ending them.
    return { ...activated.body, otherSessions: await otherSessionsOf(auth) };
  }

  const otherSessionsOf = (auth: AuthenticatedSession) => countOtherSessions(db, { userId: auth.user.id, exceptSessionId: auth.session.id });

  route(app, operations.getMe, async (request) => {
    const auth = authOf(request);
    return {
      user: userView(auth.user),
      methods: await listMethods(db, auth.user.id),
      recoveryCodesLeft: await ctx.recoveryCodes.remaining(db, auth.user.id),
      recoveryCodesOutdated: await ctx.recoveryCodes.outdated(db, auth.user.id),
      account: {
        ...accountView(auth.account),
        ...(await accountRollout(db, auth.account.id, { id: auth.user.id, hasMethod: auth.user.has_two_factor === 1 })),
        applies: await appliesTo(db, ctx.sessions, auth),
      },
      // At a forced enrolment: whether this session may set up a method, or needs an enrolment code.
      mayEnrol: auth.session.state !== 'enrollment_required' || (await enrolmentPermission(db, auth)) !== null,
      session: sessionView(auth.session),
      // Without a method: how long they may still postpone enrolment (enforcement/grace.ts).
      ...(auth.user.has_two_factor === 1 ? {} : { grace: await graceOf(db, auth.user.id) }),
    };
  });

  route(app, operations.startAuthenticatorApp, async (request, reply) => {
    const auth = authOf(request);
    requireMethodAllowed(policyOf(auth.account), 'totp');
    await assertMayEnrol(db, auth);
    const started = await startTotp(ctx, auth, request.body.name);
    reply.code(201);
    return started;
  });

  route(app, operations.confirmAuthenticatorApp, async (request, reply) => {
    const auth = authOf(request);
    await assertMayEnrol(db, auth);
    const activated = await confirmTotp(ctx, { auth, request: { ...requestContext(request), address: request.ip } }, { methodId: request.params.id, code: request.body.code });
    return answerActivated(reply, auth, activated);
  });

  route(app, operations.securityKeyRegistrationOptions, async (request) => {
    const auth = authOf(request);
    await assertMayEnrol(db, auth);
    return registrationOptions(db, ctx.rp, {
      sessionId: auth.session.id,
      accountId: auth.account.id,
      user: { id: auth.user.id, email: auth.user.email, name: auth.user.name },
      userVerification: auth.account.user_verification,
      passwordless: request.body.passwordless,
    });
  });

  route(app, operations.registerSecurityKey, async (request, reply) => {
    const auth = authOf(request);
    await assertMayEnrol(db, auth);
    const activated = await addSecurityKey(ctx, { auth, request: { ...requestContext(request), address: request.ip } }, request.body);
    const result = await answerActivated(reply, auth, activated);
    reply.code(201);
    return result;
  });

  route(app, operations.setMyLanguage, async (request) => {
    const auth = authOf(request);
    return setUserLanguage(db, { accountId: auth.account.id, userId: auth.user.id, language: request.body.language, request: requestContext(request) });
  });

  route(app, operations.renameMethod, async (request) => {
    const auth = authOf(request);
    const method = await db.transaction().execute(async (trx) => {
      const renamed = await renameMethod(trx, auth.user.id, request.params.id, request.body.name);
      await recordAudit(trx, { accountId: auth.account.id, actorId: auth.user.id, action: 'method.renamed', details: { methodId: renamed.id, name: renamed.name }, request: requestContext(request) });
      return renamed;
    });
    return { method };
  });

  route(app, operations.removeMethod, async (request) => {
    const auth = authOf(request);
    await db.transaction().execute(async (trx) => {
      const { method, remaining } = await removeMethod(trx, {
        userId: auth.user.id,
        accountId: auth.account.id,
        methodId: request.params.id,
      });
      await recordAudit(trx, { accountId: auth.account.id, actorId: auth.user.id, action: 'method.removed', details: { methodId: method.id, type: method.type, name: method.name, remaining }, request: requestContext(request) });
      await notify(trx, { accountId: auth.account.id, userId: auth.user.id, kind: 'method_removed', details: { type: method.type, name: method.name, remaining }, request: requestContext(request) });
      await endRemembrances(trx, { userId: auth.user.id, accountId: auth.account.id, actorId: auth.user.id, reason: 'method_removed', request: requestContext(request) });
    });
    // A method is often removed because a phone or key is lost: offer to end the other sessions.
    return { otherSessions: await otherSessionsOf(auth) };
  });

  route(app, operations.regenerateRecoveryCodes, async (request) => {
    const auth = authOf(request);
    if ((await countMethods(db, auth.user.id)) === 0) throw new ApiError('not_found', 'Set up a second-factor method first.');
    const recoveryCodes = await regenerateRecoveryCodes(ctx, { auth, request: { ...requestContext(request), address: request.ip } });
    return { recoveryCodes, otherSessions: await otherSessionsOf(auth) };
  });
}
