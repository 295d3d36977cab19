// Rolling 2FA out: enrolment codes (issued by admins, redeemed by a forced enrolment from an
// unknown device), each user's security activity with "This wasn't me", the admins' alerts,
// the audit log's CSV export (the deployment-day runner: server/background-jobs.ts).
import { operations } from '../../../contract/operations.js';
import { route } from '../contract-routes.js';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { auditCsv, requestContext } from '../../audit/audit.js';
import type { ServerContext } from '../../context.js';
import { ENROLLMENT_CODE_MINUTES, EnrollmentCodes } from '../../enforcement/enrollment-policy.js';
import { listActivity, markRead, openAlerts, reportNotMe, resolveAlert } from '../../notifications/security-activity.js';
import { redeemEnrolmentCode } from '../../sessions/strategies/enrolment-code.js';
import { setUserGrace } from '../../enforcement/grace.js';
import { authOf } from '../auth.js';
import { ApiError } from '../errors.js';
import { auditFilter } from './audit-query.js';


export function rolloutRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx;
  const codes = new EnrollmentCodes(ctx.box.deriveKey('enrollment-codes'));

  route(app, operations.issueEnrollmentCode, async (request, reply) => {
    const auth = authOf(request);
    const user = await db.selectFrom('users').select(['id']).where('id', '=', request.params.id).where('account_id', '=', auth.account.id).executeTakeFirst();
    if (!user) throw new ApiError('not_found', 'No such user.');
    const issued = await db.transaction().execute((trx) =>
      codes.issue(trx, {
        accountId: auth.account.id,
        actorId: auth.user.id,
        userId: user.id,
        expiresInMinutes: request.body.expiresInMinutes ?? ENROLLMENT_CODE_MINUTES.default,
        request: requestContext(request),
      }),
    );
    reply.code(201);
    return { code: issued.code, expiresAt: new Date(issued.expiresAt).toISOString() };
  });

  route(app, operations.setUserGrace, async (request) => {
    const auth = authOf(request);
    return setUserGrace(db, ctx.events, { accountId: auth.account.id, actorId: auth.user.id, userId: request.params.id, change: request.body, request: requestContext(request) });
  });

  route(app, operations.redeemEnrollmentCode, async (request) => {
    const auth = authOf(request);
    await redeemEnrolmentCode(ctx, codes, { auth, request: { ...requestContext(request), address: request.ip } }, request.body.code);
    return { mayEnrol: true as const };
  });

  route(app, operations.listSecurityActivity, async (request) => {
    const auth = authOf(request);
    return listActivity(db, auth.user.id, { limit: Number(request.query.limit ?? 50), before: request.query.before });
  });

  route(app, operations.markAllSecurityActivityRead, async (request) => {
    return { marked: await markRead(db, authOf(request).user.id) };
  });

  route(app, operations.markSecurityActivityRead, async (request) => {
    return { marked: await markRead(db, authOf(request).user.id, request.params.id) };
  });

  route(app, operations.reportNotMe, async (request) => {
    const auth = authOf(request);
    return reportNotMe(db, ctx.events, { accountId: auth.account.id, userId: auth.user.id, notificationId: request.params.id, request: requestContext(request) });
  });

  route(app, operations.listSecurityAlerts, async (request) => {
    return { alerts: await openAlerts(db, authOf(request).account.id) };
  });

  route(app, operations.resolveSecurityAlert, async (request, reply) => {
    const auth = authOf(request);
    await resolveAlert(db, { accountId: auth.account.id, actorId: auth.user.id, notificationId: request.params.id, request: requestContext(request) });
    reply.code(204);
    return reply.send();
  });

  route(app, operations.exportAuditEvents, async (request, reply) => {
    const auth = authOf(request);
    const filter = auditFilter(request.query);
    reply.header('content-type', 'text/csv; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="audit-${auth.account.slug}-${new Date().toISOString().slice(0, 10)}.csv"`);
    const { Readable } = await import('node:stream');
    return reply.send(Readable.from(auditCsv(db, auth.account.id, filter)));
  });
}
