// "Your sessions": the signed-in user's own sessions (device, address, last seen), and ending
// any of them — one, or every other — on every device and instance at once.
import { operations } from '../../../contract/operations.js';
import { route } from '../contract-routes.js';
import type { FastifyInstance } from 'fastify';
import { recordAudit, requestContext } from '../../audit/audit.js';
import { authOf } from '../auth.js';
import type { ServerContext } from '../../context.js';
import { ApiError } from '../errors.js';
import { describeDevice } from '../../sessions/devices.js';
import { Sessions } from '../../sessions/sessions.js';
import { Type } from 'typebox';
import { sessionView } from '../../sessions/sessions.js';
import { setSessionCookie } from '../cookies.js';
import { confirmMyPassword } from '../../sessions/strategies/links.js';


const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

export function mySessionRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx;

  route(app, operations.listMySessions, async (request) => {
    const auth = authOf(request);
    const rows = await db
      .selectFrom('sessions')
      .select(['id', 'state', 'created_at', 'last_seen_at', 'second_factor_at', 'client_address', 'user_agent', 'device_id'])
      .where('user_id', '=', auth.user.id)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', Date.now())
      .orderBy('last_seen_at', 'desc')
      .limit(200)
      .execute();
    return {
      sessions: rows.map((s) => ({
        id: s.id,
        current: s.id === auth.session.id,
        state: s.state,
        device: describeDevice(s.user_agent),
        userAgent: s.user_agent,
        address: s.client_address,
        createdAt: new Date(Number(s.created_at)).toISOString(),
        lastSeenAt: iso(s.last_seen_at),
        secondFactorAt: iso(s.second_factor_at),
      })),
    };
  });

  // A user without a method enters their password again before adding their first one (OWASP
  // ASVS 5.0 7.5.1; routes/me.ts checkMayAddMethod). Guesses share the password change's limit.
  route(app, operations.confirmPassword, async (request, reply) => {
    const passed = await confirmMyPassword(ctx, { auth: authOf(request), password: request.body.password, request: requestContext(request) });
    // Re-authentication rotates the token (ASVS 7.2.4): the web console gets the new cookie.
    setSessionCookie(ctx, reply, passed.token, passed.session.expires_at);
    return { token: passed.token, session: sessionView(passed.session), passwordAt: iso(passed.session.password_at) };
  });

  route(app, operations.endMySession, async (request, reply) => {
    const auth = authOf(request);
    const session = await db
      .selectFrom('sessions')
      .select('id')
      .where('id', '=', request.params.id)
      .where('user_id', '=', auth.user.id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!session) throw new ApiError('not_found', 'No such session of yours is open.');
    await recordAudit(db, { accountId: auth.account.id, actorId: auth.user.id, action: 'session.ended', details: { sessions: 1 }, request: requestContext(request) });
    await ctx.sessions.revoke([session.id], session.id === auth.session.id ? 'signed_out' : 'signed_out_elsewhere');
    reply.code(204);
    return reply.send();
  });

  route(app, operations.endOtherSessions, async (request) => {
    const auth = authOf(request);
    const now = Date.now();
    const ids = await db.transaction().execute(async (trx) => {
      const ended = await Sessions.revokeOtherSessions(trx, { userId: auth.user.id, exceptId: auth.session.id }, 'signed_out_elsewhere', now);
      await recordAudit(trx, { accountId: auth.account.id, actorId: auth.user.id, action: 'session.ended', details: { sessions: ended.length, everywhereElse: true }, request: requestContext(request) });
      return ended;
    });
    await ctx.events.publishRevoked(ids, 'signed_out_elsewhere');
    return { revokedSessions: ids.length };
  });
}
