// Sign-in, the second step, the current session and sign-out: parse, call the sign-in flow
// (sessions/strategies/), answer.
import type { FastifyInstance } from 'fastify';
import { access } from '../access.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { userView } from '../../people/accounts.js';
import { requestContext } from '../../audit/audit.js';
import { authOf, SESSION_COOKIE } from '../auth.js';
import type { ServerContext } from '../../context.js';
import { listMethods } from '../../second-factors/methods.js';
import { EmptyBody, SecondFactorBody, SignInBody } from '../schemas.js';
import { authenticationOptions } from '../../second-factors/security-keys.js';
import { presentedDeviceToken, setDeviceCookie, setSessionCookie } from '../cookies.js';
import { sessionView, type AuthenticatedSession } from '../../sessions/sessions.js';
import { signInWithPassword } from '../../sessions/strategies/password.js';
import { passSecondStep } from '../../sessions/strategies/second-step.js';

export function accountView(account: AuthenticatedSession['account']) {
  return { id: account.id, name: account.name, slug: account.slug, requireTwoFactor: account.require_two_factor === 1 };
}

export function sessionRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;

  r.post('/sessions', { config: { access: access.public }, schema: { body: SignInBody, tags: ['sessions'], summary: 'Sign in with account, email and password' } }, async (request, reply) => {
    const { token, session, deviceToken, user } = await signInWithPassword(ctx, {
      ...request.body,
      address: request.ip,
      userAgent: request.headers['user-agent'],
      deviceToken: presentedDeviceToken(request, request.body.deviceToken),
    });
    setSessionCookie(ctx, reply, token, session.expires_at);
    setDeviceCookie(ctx, reply, deviceToken);
    reply.code(201);
    return {
      token,
      deviceToken,
      session: sessionView(session),
      user: userView(user),
      methods: session.state === 'two_factor_required' ? await listMethods(db, user.id) : [],
      account: { id: user.account_id, name: user.account_name, slug: user.slug, requireTwoFactor: user.require_two_factor === 1 },
    };
  });

  r.get('/sessions/current', { config: { access: access.anySession }, schema: { tags: ['sessions'], summary: 'The current session, in any state' } }, async (request) => {
    const auth = authOf(request);
    return {
      session: sessionView(auth.session),
      user: userView(auth.user),
      methods: await listMethods(db, auth.user.id),
      account: accountView(auth.account),
    };
  });

  r.post('/sessions/current/security-key-options', { config: { access: access.secondStep }, schema: { body: EmptyBody, tags: ['sessions'], summary: 'WebAuthn request options for the second step' } }, async (request) => {
    const auth = authOf(request);
    return authenticationOptions(db, ctx.rp, { sessionId: auth.session.id, userId: auth.user.id, userVerification: auth.account.user_verification });
  });

  r.post('/sessions/current/second-factor', { config: { access: access.secondStep }, schema: { body: SecondFactorBody, tags: ['sessions'], summary: 'Pass the second step (also re-authentication): answers a new token, the old one ends' } }, async (request, reply) => {
    const passed = await passSecondStep(ctx, { auth: authOf(request), request: { ...requestContext(request), address: request.ip } }, request.body);
    setSessionCookie(ctx, reply, passed.token, passed.session.expires_at);
    return { token: passed.token, session: sessionView(passed.session) };
  });

  r.delete('/sessions/current', { config: { access: access.anySession }, schema: { tags: ['sessions'], summary: 'Sign out' } }, async (request, reply) => {
    const auth = authOf(request);
    await ctx.sessions.revoke([auth.session.id], 'signed_out');
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    reply.code(204);
    return reply.send();
  });
}
