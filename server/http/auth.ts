// Authentication of each request: the bearer token (desktop) or the session cookie (web), the
// operation's declared access (session state, role, recent second factor: http/access.ts) enforced
// in one place, and the Origin check for cookie requests that change state (CSRF, on top of
// SameSite=Strict).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.js';
import { ApiError } from './errors.js';
import { passwordIsRecent, type AuthenticatedSession } from '../sessions/sessions.js';
import { assertAddressAllowed } from '../sessions/sign-in-networks.js';
import { operations } from '../../contract/operations.js';
import { access as declared, assertDeclared, type Access } from './access.js';
import { authenticateScimToken, type ScimCaller } from '../scim/tokens.js';

const publicAccess = declared.public;

export const SESSION_COOKIE = 'agentdesk_session';

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthenticatedSession | undefined;
    /** On /scim/v2: the account and token of the identity provider calling (access `scim`). */
    scim: ScimCaller | undefined;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer ([A-Za-z0-9_-]{20,100})$/.exec(header);
  return match?.[1];
}

export function checkOrigin(ctx: ServerContext, request: FastifyRequest, required: boolean): void {
  const origin = request.headers.origin;
  if (origin === undefined) {
    if (required) throw new ApiError('invalid_origin');
    return;
  }
  if (!ctx.rp.origins.includes(origin)) throw new ApiError('invalid_origin');
}

/** Whether the session meets the operation's declared access (server/http/access.ts); throws why not. */
function enforce(ctx: ServerContext, access: Access, auth: AuthenticatedSession): void {
  const state = auth.session.state;
  switch (access.state) {
    case 'none':
    case 'any':
      break;
    case 'scim':
      throw new Error('a scim operation is authenticated by its token, not a session');
    case 'second_step':
      if (state === 'enrollment_required') throw new ApiError('enrollment_required');
      break;
    case 'enrollment':
      if (state === 'two_factor_required') throw new ApiError('second_factor_required');
      break;
    case 'active':
      if (state === 'two_factor_required') throw new ApiError('second_factor_required');
      if (state === 'enrollment_required') throw new ApiError('enrollment_required');
      break;
  }
  if (access.role === 'admin' && auth.user.role !== 'admin') throw new ApiError('forbidden');
  if (access.recentSecondFactor) requireRecentProof(ctx, auth);
}

/**
 * A sensitive change needs the strongest factor the user has, passed within the last 10 minutes:
 * their second factor when they have a method; otherwise (no method: they cannot pass one) the
 * password, entered in this session within the last 10 minutes (`password_at`: at the password
 * sign-in, or again by POST /sessions/current/password). Adding a first method is such a change
 * (OWASP ASVS 5.0 7.5.1): a stolen old cookie cannot enrol the thief's app.
 */
export function requireRecentProof(ctx: ServerContext, auth: AuthenticatedSession): void {
  if (auth.user.has_two_factor === 1) return requireRecentSecondFactor(ctx, auth);
  if (!passwordIsRecent(auth.session)) {
    const error = new ApiError('reauthentication_required', 'Enter your password again, then try again.');
    error.reason = 'password';
    throw error;
  }
}

/** Signing out is never refused for where it comes from. */
function isSignOut(request: FastifyRequest): boolean {
  return request.method === operations.signOut.method && request.routeOptions.url?.endsWith(operations.signOut.path) === true;
}

export function registerAuthentication(app: FastifyInstance, ctx: ServerContext): void {
  app.decorateRequest('auth', undefined);
  app.decorateRequest('scim', undefined);
  app.addHook('onRequest', async (request: FastifyRequest, _reply: FastifyReply) => {
    // Routes outside the API (the web console's pages) declare nothing and need no session.
    const access = request.routeOptions.config.access ?? publicAccess;
    const bearer = bearerToken(request);
    if (access.state === 'scim') {
      // Only a live SCIM token: a session's token (or cookie) is not looked for here, and a SCIM
      // token is not a session, so it fails every other declaration.
      const caller = bearer === undefined ? undefined : await authenticateScimToken(ctx.db, bearer);
      if (!caller) throw new ApiError('unauthenticated', 'Send a SCIM token of this account as the bearer token.');
      request.scim = caller;
      return;
    }
    const cookie = bearer ? undefined : request.cookies[SESSION_COOKIE];
    if (access.state === 'none') {
      // Sign-in and account creation from a browser must come from our own pages.
      if (!SAFE_METHODS.has(request.method) && !request.routeOptions.config.crossSiteForm) checkOrigin(ctx, request, false);
      return;
    }
    const token = bearer ?? cookie;
    if (!token) throw new ApiError('unauthenticated');
    if (cookie && !SAFE_METHODS.has(request.method)) checkOrigin(ctx, request, true);
    const result = await ctx.sessions.authenticate(token);
    if (!result.ok) {
      const error = new ApiError('unauthenticated', result.reason === 'two_factor_required'
        ? 'Your administrator now requires two-factor authentication. Sign in to set it up.'
        : result.reason === 'security_key_required'
          ? 'Your administrator now requires a security key. Sign in to add one.'
          : undefined);
      error.reason = result.reason;
      throw error;
    }
    // Sign-in networks: a session opened inside stops working outside (signing out still works).
    // Break-glass admins are exempt (sso/sign-in-settings.ts), as they are at sign-in.
    if (!isSignOut(request) && result.value.user.break_glass !== 1) assertAddressAllowed(result.value.account.allowed_networks, request.ip);
    enforce(ctx, access, result.value);
    request.auth = result.value;
  });
}

/**
 * Every operation registered in `app` (and its children) must declare its access; the
 * declaration is published in the OpenAPI document as `x-agentdesk-access`.
 */
export function requireDeclaredAccess(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (route.method === 'HEAD') return; // Fastify's automatic HEAD twin of a GET
    const declared = route.config?.access;
    assertDeclared(route.method, route.url, declared);
    route.schema = { ...route.schema, 'x-agentdesk-access': { ...declared } } as typeof route.schema;
  });
}

/** The authenticated session of a route that requires one. */
export function authOf(request: FastifyRequest): AuthenticatedSession {
  if (!request.auth) throw new Error('authOf() on a route without authentication');
  return request.auth;
}

export function requireRecentSecondFactor(ctx: ServerContext, auth: AuthenticatedSession): void {
  const at = auth.session.second_factor_at;
  if (at === null || at < Date.now() - ctx.recentSecondFactorMs) throw new ApiError('reauthentication_required');
}
