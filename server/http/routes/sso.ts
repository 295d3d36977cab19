// Single sign-on: the account's identity providers (admins) and the sign-in through them
// (sessions/strategies/sso.ts). Parse, call one domain function, answer.
import { operations } from '../../../contract/operations.js';
import { route } from '../contract-routes.js';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { requestContext } from '../../audit/audit.js';
import type { ServerContext } from '../../context.js';
import { DomainError } from '../../errors.js';
import { exchangeSsoCode, finishOidcCallback, finishSamlAcs, SsoRefused, startSsoSignIn, type CallbackOutcome } from '../../sessions/strategies/sso.js';
import { addProvider, listProviders, removeProvider, signInProviders, updateProvider } from '../../sso/identity-providers.js';
import { testProvider } from '../../sso/provider-checks.js';
import { readSignInSettings, saveSignInSettings } from '../../sso/sign-in-settings.js';
import { serviceProviderMetadata, withServiceProvider } from '../../sso/saml.js';
import { authOf } from '../auth.js';
import { presentedDeviceToken, setDeviceCookie, setSessionCookie } from '../cookies.js';
import { signedInAnswer } from './sessions.js';

/** The browser that started a web sign-in (sessions/strategies/sso.ts startSsoSignIn). */
const SSO_COOKIE = 'agentdesk_sso';
/**
 * The same for a SAML sign-in. The IdP's answer is a cross-site form POST, which carries only a
 * SameSite=None cookie (and browsers want it Secure; they treat http://localhost as secure).
 */
const SAML_COOKIE = 'agentdesk_sso_saml';
/** A SAML response is a few kilobytes; a form-encoded one of 60,000 base64 characters fits in this. */
const ACS_BODY_LIMIT = 192 * 1024;
const API_PREFIX = '/api/v1';

/** Where the web console shows a sign-in screen with the refusal's code. */
const consoleSignIn = (code: string) => `/#/sign-in?sso_error=${encodeURIComponent(code)}`;

export function ssoRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx;
  const actorOf = (request: Parameters<typeof authOf>[0]) => {
    const auth = authOf(request);
    return { accountId: auth.account.id, actorId: auth.user.id, request: requestContext(request) };
  };

  route(app, operations.listIdentityProviders, async (request) => ({ providers: (await listProviders(db, authOf(request).account.id)).map((p) => withServiceProvider(ctx, p)) }));

  route(app, operations.addIdentityProvider, async (request) => ({ provider: withServiceProvider(ctx, await addProvider(db, ctx.box, actorOf(request), request.body)) }));

  route(app, operations.updateIdentityProvider, async (request) => ({ provider: withServiceProvider(ctx, await updateProvider(db, ctx.box, actorOf(request), request.params.id, request.body)) }));

  route(app, operations.removeIdentityProvider, async (request) => {
    await removeProvider(db, actorOf(request), request.params.id);
  });

  route(app, operations.testIdentityProvider, async (request) => testProvider(ctx, actorOf(request), request.params.id));

  route(app, operations.getSignInSettings, async (request) => readSignInSettings(db, authOf(request).account.id));

  route(app, operations.saveSignInSettings, async (request) => {
    const { accountId, actorId, request: context } = actorOf(request);
    return saveSignInSettings(db, { accountId, actorId, ...request.body, request: context });
  });

  route(app, operations.listSsoProviders, async (request) => ({ providers: await signInProviders(db, request.query.account) }));

  route(app, operations.startSsoSignIn, async (request, reply) => {
    const { authorizationUrl, browserBinding, type } = await startSsoSignIn(ctx, { ...request.body, deviceToken: presentedDeviceToken(request, undefined), address: request.ip });
    if (browserBinding && type === 'saml') reply.setCookie(SAML_COOKIE, browserBinding, { httpOnly: true, sameSite: 'none', secure: true, path: API_PREFIX + operations.samlAcs.path, maxAge: 600 });
    // Lax, not Strict: the provider's redirect back is a cross-site navigation, and must carry it.
    else if (browserBinding) reply.setCookie(SSO_COOKIE, browserBinding, { httpOnly: true, sameSite: 'lax', secure: ctx.rp.origins.some((o) => o.startsWith('https:')), path: API_PREFIX + operations.ssoCallback.path, maxAge: 600 });
    return { authorizationUrl };
  });

  /** The end of a web or desktop sign-in at the provider: the console's cookie, or the desktop's loopback; a refusal's code either way. */
  const finish = async (reply: FastifyReply, run: () => Promise<CallbackOutcome>) => {
    try {
      const outcome = await run();
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
  };

  route(app, operations.ssoCallback, async (request, reply) => {
    const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    return finish(reply, () => {
      const browserBinding = request.cookies[SSO_COOKIE];
      reply.clearCookie(SSO_COOKIE, { path: API_PREFIX + operations.ssoCallback.path });
      return finishOidcCallback(ctx, { search, browserBinding, request: { ...requestContext(request), address: request.ip } });
    });
  });

  // The IdP's form: its own parser, on this route only (every other route takes JSON alone).
  void app.register(async (acs) => {
    acs.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: ACS_BODY_LIMIT }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });
    route(
      acs,
      operations.samlAcs,
      async (request, reply) =>
        finish(reply, () => {
          const browserBinding = request.cookies[SAML_COOKIE];
          reply.clearCookie(SAML_COOKIE, { path: API_PREFIX + operations.samlAcs.path, sameSite: 'none', secure: true });
          return finishSamlAcs(ctx, { samlResponse: request.body.SAMLResponse, relayState: request.body.RelayState, browserBinding, request: { ...requestContext(request), address: request.ip } });
        }),
      { bodyLimit: ACS_BODY_LIMIT },
    );
  });

  route(app, operations.samlMetadata, async (request, reply) => {
    const provider = await db.selectFrom('identity_providers').select(['id', 'type']).where('id', '=', request.params.id).executeTakeFirst();
    if (!provider || provider.type !== 'saml') throw new DomainError('not_found', 'No such SAML identity provider.');
    return reply.type('application/samlmetadata+xml; charset=utf-8').send(serviceProviderMetadata(ctx, provider.id));
  });

  route(app, operations.exchangeSsoCode, async (request, reply) => {
    const signedIn = await exchangeSsoCode(ctx, {
      code: request.body.code,
      codeVerifier: request.body.codeVerifier,
      deviceToken: request.body.deviceToken,
      request: { ...requestContext(request), address: request.ip },
    });
    reply.code(201);
    // Exactly a password sign-in's answer: the grace at a forced enrolment, remembering at the second step.
    return signedInAnswer(db, signedIn);
  });
}
