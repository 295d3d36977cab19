// The web console's cookies: the session's and the device's (sessions/devices.ts says what a
// device token is). httpOnly, SameSite=Strict, Secure whenever an origin is https.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.js';
import { SESSION_COOKIE } from './auth.js';

export const DEVICE_COOKIE = 'agentdesk_device';
/** Browsers cap cookie lifetimes at 400 days (RFC 6265bis). */
const DEVICE_COOKIE_MAX_AGE_S = 400 * 24 * 3600;
const DEVICE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{20,100}$/;

function secureCookies(ctx: ServerContext): boolean {
  return ctx.rp.origins.some((o) => o.startsWith('https:'));
}

export function setSessionCookie(ctx: ServerContext, reply: FastifyReply, token: string, expiresAt: number): void {
  const absolute = Math.max(expiresAt, Date.now() + ctx.config.sessionAbsoluteHours * 3_600_000);
  reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: secureCookies(ctx), path: '/', expires: new Date(absolute) });
}

/** The device token a request carries: the body's (desktop) or the cookie (web console). */
export function presentedDeviceToken(request: FastifyRequest, fromBody: string | undefined): string | undefined {
  const token = fromBody ?? request.cookies[DEVICE_COOKIE];
  return token && DEVICE_TOKEN_PATTERN.test(token) ? token : undefined;
}

export function setDeviceCookie(ctx: ServerContext, reply: FastifyReply, token: string): void {
  reply.setCookie(DEVICE_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: secureCookies(ctx), path: '/', maxAge: DEVICE_COOKIE_MAX_AGE_S });
}
