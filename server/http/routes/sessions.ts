// Sign-in, the second step, the current session and sign-out: parse, call the sign-in flow
// (sessions/strategies/), answer.
import { operations } from '../../../contract/operations.js';
import { route } from '../contract-routes.js';
import type { FastifyInstance } from 'fastify';
import { userView } from '../../people/accounts.js';
import { requestContext } from '../../audit/audit.js';
import { authOf, SESSION_COOKIE } from '../auth.js';
import type { ServerContext } from '../../context.js';
import { listMethods } from '../../second-factors/methods.js';
import { authenticationOptions } from '../../second-factors/security-keys.js';
import { presentedDeviceToken, setDeviceCookie, setSessionCookie } from '../cookies.js';
import { sessionView, type AuthenticatedSession } from '../../sessions/sessions.js';
import type { SessionsTable } from '../../store/schema.js';
import { signInWithPassword } from '../../sessions/strategies/password.js';
import { passSecondStep } from '../../sessions/strategies/second-step.js';
import { graceOf, postponeEnrolment, type GraceView } from '../../enforcement/grace.js';
import { rememberDeviceOffer } from '../../sessions/remembered-devices.js';

export function accountView(account: AuthenticatedSession['account']) {
  return { id: account.id, name: account.name, slug: account.slug, requireTwoFactor: account.require_two_factor === 1 };
}

/**
 * The answer of a sign-in by password and of the desktop's single sign-on exchange: the same
 * fields by the same rules, whichever way the user came in. `rememberDeviceDays` when the
 * sign-in read it already (else it is read here).
 */
export async function signedInAnswer(
  db: ServerContext['db'],
  signedIn: {
    token: string;
    deviceToken: string;
    session: SessionsTable;
    user: Parameters<typeof userView>[0] & { account_id: string; account_name: string; slug: string; require_two_factor: number };
    grace: GraceView | null;
    deviceShared: number | null;
    rememberDeviceDays?: number | null | undefined;
  },
) {
  const { session, user } = signedIn;
  const rememberDevice = await rememberDeviceOffer(db, { state: session.state, accountId: user.account_id, deviceId: session.device_id, days: signedIn.rememberDeviceDays, shared: signedIn.deviceShared });
  return {
    token: signedIn.token,
    deviceToken: signedIn.deviceToken,
    session: sessionView(session),
    user: userView(user),
    methods: session.state === 'two_factor_required' ? await listMethods(db, user.id) : [],
    account: { id: user.account_id, name: user.account_name, slug: user.slug, requireTwoFactor: user.require_two_factor === 1 },
    // Must enrol: whether (and how long) this user may still postpone it.
    ...(session.state === 'enrollment_required' ? { grace: signedIn.grace } : {}),
    ...(rememberDevice && { rememberDevice }),
  };
}

export function sessionRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx;

  route(app, operations.signIn, async (request, reply) => {
    const { token, session, deviceToken, user, grace, deviceShared } = await signInWithPassword(ctx, {
      ...request.body,
      address: request.ip,
      userAgent: request.headers['user-agent'],
      deviceToken: presentedDeviceToken(request, request.body.deviceToken),
    });
    setSessionCookie(ctx, reply, token, session.expires_at);
    setDeviceCookie(ctx, reply, deviceToken);
    reply.code(201);
    return signedInAnswer(db, { token, deviceToken, session, user, grace, deviceShared, rememberDeviceDays: user.remember_device_days ?? 0 });
  });

  route(app, operations.getCurrentSession, async (request) => {
    const auth = authOf(request);
    const rememberDevice = await rememberDeviceOffer(db, { state: auth.session.state, accountId: auth.account.id, deviceId: auth.session.device_id });
    return {
      session: sessionView(auth.session),
      user: userView(auth.user),
      methods: await listMethods(db, auth.user.id),
      account: accountView(auth.account),
      ...(auth.user.has_two_factor === 1 ? {} : { grace: await graceOf(db, auth.user.id) }),
      ...(rememberDevice && { rememberDevice }),
    };
  });

  route(app, operations.securityKeyOptions, async (request) => {
    const auth = authOf(request);
    return authenticationOptions(db, ctx.rp, { sessionId: auth.session.id, userId: auth.user.id, userVerification: auth.account.user_verification });
  });

  route(app, operations.passSecondFactor, async (request, reply) => {
    const passed = await passSecondStep(ctx, { auth: authOf(request), request: { ...requestContext(request), address: request.ip } }, request.body);
    setSessionCookie(ctx, reply, passed.token, passed.session.expires_at);
    return { token: passed.token, session: sessionView(passed.session) };
  });

  route(app, operations.postponeEnrolment, async (request, reply) => {
    const postponed = await postponeEnrolment(db, ctx.sessions, { auth: authOf(request), request: requestContext(request) });
    setSessionCookie(ctx, reply, postponed.token, postponed.session.expires_at);
    return { token: postponed.token, session: sessionView(postponed.session), grace: postponed.grace };
  });

  route(app, operations.signOut, async (request, reply) => {
    const auth = authOf(request);
    await ctx.sessions.revoke([auth.session.id], 'signed_out');
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    reply.code(204);
    return reply.send();
  });
}
