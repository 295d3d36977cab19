// GET /events: a server-sent event stream per session. `session.revoked` (with a reason) is
// pushed the moment the session is revoked; then the stream ends.
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { authOf } from '../auth.js';
import type { ServerContext } from '../../context.js';

const HEARTBEAT_MS = 25_000;

export function eventRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const open = new Set<ServerResponse>();
  // One timer for every stream keeps proxies from closing idle connections.
  const heartbeat = setInterval(() => {
    for (const res of open) res.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();
  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    for (const res of open) res.end();
  });

  app.get('/events', { config: { auth: 'any' }, schema: { tags: ['sessions'], summary: 'Server-sent events for this session (session.revoked)' } }, (request, reply) => {
    const auth = authOf(request);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n\nevent: ready\ndata: {}\n\n');
    open.add(res);
    const unsubscribe = ctx.events.subscribe(auth.session.id, (event) => {
      res.write(`event: ${event.type}\ndata: ${JSON.stringify({ reason: event.reason })}\n\n`);
      res.end();
    });
    res.on('close', () => {
      open.delete(res);
      unsubscribe();
    });
  });
}
