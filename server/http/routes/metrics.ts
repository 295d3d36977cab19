// GET /metrics: the Prometheus text exposition, for the operators' scraper. Registered only when
// AGENTDESK_METRICS_TOKEN is set (otherwise 404, as any unknown path), and then answered only to
// `Authorization: Bearer <that token>`: the counts tell how sign-ins fare, which is not public.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { access } from '../access.js';
import { ApiError } from '../errors.js';
import type { Metrics } from '../../metrics/metrics.js';

/** Compared as SHA-256 digests: equal lengths, and the time taken says nothing about the token. */
function sameToken(presented: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

export function metricsRoute(app: FastifyInstance, metrics: Metrics, token: string): void {
  app.get('/metrics', { config: { access: access.public }, schema: { hide: true } }, async (request, reply) => {
    const header = request.headers.authorization ?? '';
    const presented = /^Bearer (.+)$/i.exec(header)?.[1] ?? '';
    if (!sameToken(presented, token)) {
      reply.header('www-authenticate', 'Bearer realm="metrics"');
      throw new ApiError('unauthenticated', 'Scrape /metrics with the bearer token set in AGENTDESK_METRICS_TOKEN.');
    }
    const { contentType, body } = await metrics.exposition();
    return reply.header('cache-control', 'no-store').type(contentType).send(body);
  });
}
