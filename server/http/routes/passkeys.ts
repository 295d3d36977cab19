// Sign in with a security key alone: the request options, then the signed assertion, which
// answers as POST /sessions does with an active session that has passed both factors.
import { operations } from '../../../contract/operations.js';
import { route } from '../contract-routes.js';
import type { FastifyInstance } from 'fastify';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { Type } from 'typebox';
import { requestContext } from '../../audit/audit.js';
import { userView } from '../../people/accounts.js';
import type { ServerContext } from '../../context.js';
import { presentedDeviceToken, setDeviceCookie, setSessionCookie } from '../cookies.js';
import { signInWithPasskey, startPasskeySignIn } from '../../sessions/strategies/passkey.js';
import { sessionView } from '../../sessions/sessions.js';
import { listMethods } from '../../second-factors/methods.js';
import { methodAllowed, policyOf } from '../../second-factors/policy.js';
import { authOf } from '../auth.js';


export function passkeyRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx;
  securityPolicyRoute(app, ctx);

  route(app, operations.passkeyOptions, async (request) => {
    return startPasskeySignIn(ctx, { account: request.body.account, address: request.ip, deviceToken: presentedDeviceToken(request, request.body.deviceToken) });
  });

  route(app, operations.signInWithPasskey, async (request, reply) => {
    const body = request.body;
    const signedIn = await signInWithPasskey(ctx, {
      account: body.account,
      challengeId: body.challengeId,
      response: body.response as AuthenticationResponseJSON,
      deviceToken: presentedDeviceToken(request, body.deviceToken),
      request: { ...requestContext(request), address: request.ip },
    });
    const { passkey, account } = signedIn;
    setSessionCookie(ctx, reply, signedIn.token, signedIn.session.expires_at);
    setDeviceCookie(ctx, reply, signedIn.deviceToken);
    reply.code(201);
    return {
      token: signedIn.token,
      deviceToken: signedIn.deviceToken,
      session: sessionView(signedIn.session),
      user: userView({ id: passkey.user_id, name: passkey.user_name, email: passkey.user_email, role: passkey.user_role, language: passkey.user_language }),
      // Signed in already: the methods are for My security, not a second step.
      methods: await listMethods(db, passkey.user_id),
      account: { id: account.id, name: account.name, slug: account.slug, requireTwoFactor: account.require_two_factor === 1 },
    };
  });
}


/** GET /me/security-policy: what the account accepts, for My security and enrolment to explain it. */
export function securityPolicyRoute(app: FastifyInstance, ctx: ServerContext): void {
  route(app, operations.getSecurityPolicy, async (request) => {
    const account = await ctx.db
      .selectFrom('accounts')
      .select(['second_factor_policy', 'passwordless_sign_in'])
      .where('id', '=', authOf(request).account.id)
      .executeTakeFirstOrThrow();
    const policy = policyOf(account);
    return {
      secondFactorPolicy: policy,
      passwordlessSignIn: account.passwordless_sign_in === 1,
      allowedMethods: (['security_key', 'totp'] as const).filter((type) => methodAllowed(policy, type)),
    };
  });
}
