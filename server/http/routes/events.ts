// GET /events: a server-sent event stream per session. `session.revoked` (with a reason) is
// pushed the moment the session is revoked, or when it expires; then the stream ends.
// `account.updated` (`{requireTwoFactor}`) is pushed to every stream of the account when an
// admin saves its security settings. A session may hold a few streams, a user a few more: an
// open stream costs a socket and memory, and one stolen token must not hold thousands.
// A graceful shutdown (SIGTERM, a rolling restart) sends every stream `reconnect` and ends it
// before the listener closes: the client opens a new stream at once, through the load balancer
// to another instance, and is not signed out. A session revoked meanwhile is learnt there: the
// new stream's request is answered 401 with the reason, or, if it is revoked between that check
// and the subscription below, by the read of the row right after subscribing.
import { operations } from '../../../contract/operations.js';
import { route } from '../contract-routes.js';
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { authOf } from '../auth.js';
import type { ServerContext } from '../../context.js';
import { ApiError } from '../errors.js';
import type { RevocationReason } from '../../sessions/events.js';

const HEARTBEAT_MS = 25_000;
/** Streams open at once on one instance, per session and per user (its devices and tabs). */
export const MAX_STREAMS_PER_SESSION = 5;
export const MAX_STREAMS_PER_USER = 20;
/** setTimeout's longest delay; a later expiry is re-checked then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function countUp(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function countDown(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left <= 0) counts.delete(key);
  else counts.set(key, left);
}

export function eventRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const open = new Set<ServerResponse>();
  const perSession = new Map<string, number>();
  const perUser = new Map<string, number>();
  // One timer for every stream keeps proxies from closing idle connections.
  const heartbeat = setInterval(() => {
    for (const res of open) res.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();
  // Before the listener closes (Fastify's preClose): each client is told to reconnect elsewhere.
  const RECONNECT = 'event: reconnect\ndata: {}\n\n';
  app.addHook('preClose', async () => {
    clearInterval(heartbeat);
    // The socket is closed once the event is out (the stream's answer said keep-alive; left
    // open it would hold the listener's close up until the keep-alive timeout).
    // (The socket is taken now: by the time the answer has finished, the response has let go of it.)
    for (const res of [...open]) {
      const socket = res.socket;
      res.end(RECONNECT, () => socket?.end());
    }
  });
  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    for (const res of open) res.end();
  });

  route(app, operations.events, (request, reply) => {
    const auth = authOf(request);
    if (ctx.lifecycle.draining) {
      // Arrived while this instance drains (on a kept-alive connection): go elsewhere at once.
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'close' });
      reply.raw.end(`retry: 500\n\n${RECONNECT}`);
      return;
    }
    const sessionId = auth.session.id;
    const userId = auth.user.id;
    if ((perSession.get(sessionId) ?? 0) >= MAX_STREAMS_PER_SESSION || (perUser.get(userId) ?? 0) >= MAX_STREAMS_PER_USER) {
      throw new ApiError('too_many_streams', undefined, 30);
    }
    countUp(perSession, sessionId);
    countUp(perUser, userId);
    reply.hijack();
    const res = reply.raw;
    // A peer that vanished (laptop lid closed) is noticed by TCP keep-alive, freeing its slot.
    res.socket?.setKeepAlive(true, 60_000);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n\nevent: ready\ndata: {}\n\n');
    open.add(res);

    let ended = false;
    let expiryTimer: NodeJS.Timeout | undefined;
    const revoked = (reason: RevocationReason, revokedAt?: number) => {
      if (ended) return;
      // One write: the event and the end of the stream leave together.
      res.end(`event: session.revoked\ndata: ${JSON.stringify({ reason })}\n\n`);
      ctx.metrics.signOutPushed(reason, revokedAt);
      cleanUp();
    };
    const unsubscribe = ctx.events.subscribe(sessionId, (event) => revoked(event.reason, event.revokedAt));
    const unsubscribeAccount = ctx.events.subscribeAccount(auth.account.id, (event) => {
      if (!ended) res.write(`event: account.updated\ndata: ${JSON.stringify({ requireTwoFactor: event.requireTwoFactor })}\n\n`);
    });

    // The stream ends when the session does. Its idle expiry moves while it is used elsewhere,
    // so the row is read again when the timer fires rather than trusting the value seen here.
    const armExpiry = (expiresAt: number) => {
      expiryTimer = setTimeout(checkExpiry, Math.min(Math.max(0, expiresAt - Date.now()), MAX_TIMER_MS));
      expiryTimer.unref();
    };
    const checkExpiry = () => {
      ctx.db
        .selectFrom('sessions')
        .select(['expires_at', 'revoked_at', 'revoked_reason', 'postponed_until', 'second_factor_at'])
        .where('id', '=', sessionId)
        .executeTakeFirst()
        .then(
          async (row) => {
            if (ended) return;
            if (!row) return revoked('expired');
            if (row.revoked_at !== null) return revoked((row.revoked_reason as RevocationReason | null) ?? 'signed_out');
            const now = Date.now();
            if (Number(row.expires_at) <= now) return revoked('expired');
            // A postponed session ends at its grace's end date (sessions/assurance.ts) while 2FA
            // is required of its user: judged then as a request would judge it, revoked and
            // pushed through the subscription above; otherwise it lives on to its expiry.
            const graceEnd = row.postponed_until != null && row.second_factor_at === null ? Number(row.postponed_until) : null;
            if (graceEnd !== null && graceEnd <= now) {
              try {
                if ((await ctx.sessions.judgeById(sessionId, now)) !== null) return;
              } catch (error) {
                request.log.warn({ err: error }, 'event stream: could not judge the session');
                if (!ended) armExpiry(Date.now() + 5_000);
                return;
              }
              return armExpiry(Number(row.expires_at));
            }
            armExpiry(graceEnd === null ? Number(row.expires_at) : Math.min(graceEnd, Number(row.expires_at)));
          },
          (error: unknown) => {
            // The store is unreachable for now: look again shortly rather than end a live session.
            request.log.warn({ err: error }, 'event stream: could not read the session');
            if (!ended) armExpiry(Date.now() + 5_000);
          },
        );
    };
    // Read the row once now that the stream listens: a revocation published between the
    // request's authentication and the subscription above is otherwise never heard (a client
    // reconnecting during a rolling restart would miss it). Then the expiry timer takes over.
    checkExpiry();

    function cleanUp() {
      if (ended) return;
      ended = true;
      clearTimeout(expiryTimer);
      open.delete(res);
      unsubscribe();
      unsubscribeAccount();
      countDown(perSession, sessionId);
      countDown(perUser, userId);
    }
    res.on('close', cleanUp);
  });
}
