// Authentication of each request: the bearer token (desktop) or the session cookie (web), the
// session state a route allows, the admin role, and the Origin check for cookie requests that
// change state (CSRF, on top of SameSite=Strict).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.js';
import { ApiError } from './errors.js';
import type { AuthenticatedSession } from '../sessions/sessions.js';

export const SESSION_COOKIE = 'agentdesk_session';

/**
 * Who may call a route: `any` session state; `second_step` (pending second step, or active for
 * re-authentication); `enroll` (enrollment required, or active); `active`; `admin`.
 */
export type AuthLevel = 'none' | 'any' | 'second_step' | 'enroll' | 'active' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthLevel;
  }
  interface FastifyRequest {
    auth: AuthenticatedSession | undefined;
    sessionToken: string | undefined;
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

function allowed(level: AuthLevel, auth: AuthenticatedSession): void {
  const state = auth.session.state;
  if (level === 'any') return;
  if (level === 'second_step') {
    if (state === 'enrollment_required') throw new ApiError('enrollment_required');
    return;
  }
  if (level === 'enroll') {
    if (state === 'two_factor_required') throw new ApiError('second_factor_required');
    return;
  }
  if (state === 'two_factor_required') throw new ApiError('second_factor_required');
  if (state === 'enrollment_required') throw new ApiError('enrollment_required');
  if (level === 'admin' && auth.user.role !== 'admin') throw new ApiError('forbidden');
}

export function registerAuthentication(app: FastifyInstance, ctx: ServerContext): void {
  app.decorateRequest('auth', undefined);
  app.decorateRequest('sessionToken', undefined);
  app.addHook('onRequest', async (request: FastifyRequest, _reply: FastifyReply) => {
    const level = request.routeOptions.config.auth ?? 'none';
    const bearer = bearerToken(request);
    const cookie = bearer ? undefined : request.cookies[SESSION_COOKIE];
    if (level === 'none') {
      // Sign-in and account creation from a browser must come from our own pages.
      if (!SAFE_METHODS.has(request.method)) checkOrigin(ctx, request, false);
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
    allowed(level, result.value);
    request.auth = result.value;
    request.sessionToken = token;
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
