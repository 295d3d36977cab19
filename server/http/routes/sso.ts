// Single sign-on: the account's identity providers (admins) and the sign-in through them
// (sessions/strategies/sso.ts). Parse, call one domain function, answer.
import { operations } from '../../../contract/operations.js';
import { route } from '../contract-routes.js';
import type { FastifyInstance } from 'fastify';
import { requestContext } from '../../audit/audit.js';
import { userView } from '../../people/accounts.js';
import type { ServerContext } from '../../context.js';
import { DomainError } from '../../errors.js';
import { listMethods } from '../../second-factors/methods.js';
import { sessionView } from '../../sessions/sessions.js';
import { exchangeSsoCode, finishOidcCallback, SsoRefused, startSsoSignIn } from '../../sessions/strategies/sso.js';
import { addProvider, listProviders, removeProvider, signInProviders, updateProvider } from '../../sso/identity-providers.js';
import { readSignInSettings, saveSignInSettings } from '../../sso/sign-in-settings.js';
import { authOf } from '../auth.js';
import { presentedDeviceToken, setDeviceCookie, setSessionCookie } from '../cookies.js';

/** The browser that started a web sign-in (sessions/strategies/sso.ts startSsoSignIn). */
const SSO_COOKIE = 'agentdesk_sso';
const API_PREFIX = '/api/v1';

/** Where the web console shows a sign-in screen with the refusal's code. */
const consoleSignIn = (code: string) => `/#/sign-in?sso_error=${encodeURIComponent(code)}`;

export function ssoRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx;
  const actorOf = (request: Parameters<typeof authOf>[0]) => {
    const auth = authOf(request);
    return { accountId: auth.account.id, actorId: auth.user.id, request: requestContext(request) };
  };

  route(app, operations.listIdentityProviders, async (request) => ({ providers: await listProviders(db, authOf(request).account.id) }));

  route(app, operations.addIdentityProvider, async (request) => ({ provider: await addProvider(db, ctx.box, actorOf(request), request.body) }));

  route(app, operations.updateIdentityProvider, async (request) => ({ provider: await updateProvider(db, ctx.box, actorOf(request), request.params.id, request.body) }));

  route(app, operations.removeIdentityProvider, async (request) => {
    await removeProvider(db, actorOf(request), request.params.id);
  });

  route(app, operations.getSignInSettings, async (request) => readSignInSettings(db, authOf(request).account.id));

  route(app, operations.saveSignInSettings, async (request) => {
    const { accountId, actorId, request: context } = actorOf(request);
    return saveSignInSettings(db, { accountId, actorId, ...request.body, request: context });
  });

  route(app, operations.listSsoProviders, async (request) => ({ providers: await signInProviders(db, request.query.account) }));

  route(app, operations.startSsoSignIn, async (request, reply) => {
    const { authorizationUrl, browserBinding } = await startSsoSignIn(ctx, { ...request.body, deviceToken: presentedDeviceToken(request, undefined), address: request.ip });
    // Lax, not Strict: the provider's redirect back is a cross-site navigation, and must carry it.
    if (browserBinding) reply.setCookie(SSO_COOKIE, browserBinding, { httpOnly: true, sameSite: 'lax', secure: ctx.rp.origins.some((o) => o.startsWith('https:')), path: API_PREFIX + operations.ssoCallback.path, maxAge: 600 });
    return { authorizationUrl };
  });

  route(app, operations.ssoCallback, async (request, reply) => {
    const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    try {
      const browserBinding = request.cookies[SSO_COOKIE];
      reply.clearCookie(SSO_COOKIE, { path: API_PREFIX + operations.ssoCallback.path });
      const outcome = await finishOidcCallback(ctx, { search, browserBinding, request: { ...requestContext(request), address: request.ip } });
      if (outcome.client === 'desktop') return reply.redirect(outcome.redirectTo, 303);
      const { token, session, deviceToken } = outcome.signedIn;
      setSessionCookie(ctx, reply, token, session.expires_at);
      if (deviceToken) setDeviceCookie(ctx, reply, deviceToken);
      return reply.redirect('/#/', 303);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const to = error instanceof SsoRefused ? error.redirectTo : undefined;
      if (to) {
        const target = new URL(to);
        target.searchParams.set('error', error.code);
        return reply.redirect(target.href, 303);
      }
      return reply.redirect(consoleSignIn(error.code), 303);
    }
  });

  route(app, operations.exchangeSsoCode, async (request, reply) => {
    const { token, session, deviceToken, user } = await exchangeSsoCode(ctx, {
      code: request.body.code,
      codeVerifier: request.body.codeVerifier,
      deviceToken: request.body.deviceToken,
      request: { ...requestContext(request), address: request.ip },
    });
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
}
