// The web console: the built renderer (dist/renderer) served at `/`, the same screens the
// desktop shows. Any unknown non-API GET path answers index.html so a reload never 404s;
// API paths stay with the API's own not-found answer. Every answer carries a strict
// Content-Security-Policy and the usual hardening headers.
import { statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Same policy as renderer/index.html's meta tag, plus what only a header can say. */
export const webConsoleContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

const securityHeaders: Record<string, string> = {
  'content-security-policy': webConsoleContentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), publickey-credentials-get=(self), publickey-credentials-create=(self)',
};

function isFileInside(root: string, relative: string): boolean {
  const path = resolve(root, relative);
  if (path !== root && !path.startsWith(root + sep)) return false;
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function withSecurityHeaders(reply: FastifyReply): FastifyReply {
  return reply.headers(securityHeaders);
}

/**
 * A page opened at a loopback IP (http://127.0.0.1:4800) goes to the public origin
 * (http://localhost:4800): browsers refuse an IP address as a WebAuthn RP ID, and the API only
 * accepts state changes from our own origin.
 */
function loopbackRedirect(host: string | undefined, publicOrigin: string | undefined, path: string): string | null {
  if (!host || !publicOrigin) return null;
  const target = new URL(publicOrigin);
  if (host === target.host) return null;
  let seen: URL;
  try {
    seen = new URL(`http://${host}`);
  } catch {
    return null; // not a host (the app refuses such a Host header before any route)
  }
  const loopback = /^127\.\d+\.\d+\.\d+$/.test(seen.hostname) || seen.hostname === '[::1]';
  return loopback && seen.port === target.port ? `${target.origin}${path}` : null;
}

export async function registerWebConsole(app: FastifyInstance, options: { root: string; publicOrigin?: string }): Promise<void> {
  const root = resolve(options.root);
  // Only the reply.sendFile decorator: routing stays here so the SPA fallback can skip the API.
  await app.register(fastifyStatic, { root, serve: false });

  app.get('/*', async (request, reply) => {
    const relative = (request.params as { '*'?: string })['*'] ?? '';
    if (relative === 'api' || relative.startsWith('api/')) return reply.callNotFound();
    const redirect = loopbackRedirect(request.headers.host, options.publicOrigin, request.url);
    if (redirect) return reply.redirect(redirect, 308);

    if (relative && isFileInside(root, relative)) {
      // Vite names built assets by content hash, so they never change under one name.
      const immutable = relative.startsWith('assets/');
      return withSecurityHeaders(reply)
        .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
        .sendFile(relative, { cacheControl: false });
    }
    // A missing script or stylesheet must not come back as HTML.
    if (relative.startsWith('assets/') || !isFileInside(root, 'index.html')) return reply.callNotFound();
    return withSecurityHeaders(reply).header('cache-control', 'no-cache').type('text/html; charset=utf-8').sendFile('index.html', { cacheControl: false });
  });
}
