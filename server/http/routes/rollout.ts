// Rolling 2FA out: enrolment codes (issued by admins, redeemed by a forced enrolment from an
// unknown device), each user's security activity with "This wasn't me", the admins' alerts,
// the audit log's CSV export (the deployment-day runner: server/background-jobs.ts).
import type { FastifyInstance } from 'fastify';
import { access } from '../access.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { auditCsv, requestContext } from '../../audit/audit.js';
import type { ServerContext } from '../../context.js';
import { ENROLLMENT_CODE_MINUTES, EnrollmentCodes } from '../../enforcement/enrollment-policy.js';
import { listActivity, markRead, openAlerts, reportNotMe, resolveAlert } from '../../notifications/security-activity.js';
import { redeemEnrolmentCode } from '../../sessions/strategies/enrolment-code.js';
import { authOf } from '../auth.js';
import { ApiError } from '../errors.js';
import { AuditFilterQuery, auditFilter } from './audit-query.js';
import { EmptyBody, Id, IdParams } from '../schemas.js';

const strict = { additionalProperties: false } as const;

const IssueEnrollmentCodeBody = Type.Object(
  {
    expiresInMinutes: Type.Optional(
      Type.Integer({ minimum: ENROLLMENT_CODE_MINUTES.min, maximum: ENROLLMENT_CODE_MINUTES.max, description: `Default ${ENROLLMENT_CODE_MINUTES.default} (a day).` }),
    ),
  },
  strict,
);
const RedeemEnrollmentCodeBody = Type.Object({ code: Type.String({ minLength: 1, maxLength: 32 }) }, strict);
const ActivityQuery = Type.Object(
  { limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]?|100)$' })), before: Type.Optional(Type.String({ pattern: '^[0-9a-z]{1,64}$' })) },
  strict,
);
const ActivityParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-z]{1,64}$' }) }, strict);

export function rolloutRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;
  const codes = new EnrollmentCodes(ctx.box.deriveKey('enrollment-codes'));

  r.post('/account/users/:id/enrollment-code', { config: { access: access.adminSensitive }, schema: { params: IdParams, body: IssueEnrollmentCodeBody, tags: ['admin'], summary: 'Issue a one-time enrolment code for a user (shown once; requires a recent second factor)' } }, async (request, reply) => {
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

  r.post('/sessions/current/enrollment-code', { config: { access: access.enrollment }, schema: { body: RedeemEnrollmentCodeBody, tags: ['sessions'], summary: "Redeem an admin's one-time enrolment code: this session may then set up a first method" } }, async (request) => {
    const auth = authOf(request);
    await redeemEnrolmentCode(ctx, codes, { auth, request: { ...requestContext(request), address: request.ip } }, request.body.code);
    return { mayEnrol: true };
  });

  r.get('/me/security-activity', { config: { access: access.user }, schema: { querystring: ActivityQuery, tags: ['me'], summary: 'What changed on my account, newest first' } }, async (request) => {
    const auth = authOf(request);
    return listActivity(db, auth.user.id, { limit: Number(request.query.limit ?? 50), before: request.query.before });
  });

  r.post('/me/security-activity/read', { config: { access: access.user }, schema: { body: EmptyBody, tags: ['me'], summary: 'Mark all my security activity read' } }, async (request) => {
    return { marked: await markRead(db, authOf(request).user.id) };
  });

  r.post('/me/security-activity/:id/read', { config: { access: access.user }, schema: { params: ActivityParams, body: EmptyBody, tags: ['me'], summary: 'Mark one security notification read' } }, async (request) => {
    return { marked: await markRead(db, authOf(request).user.id, request.params.id) };
  });

  r.post('/me/security-activity/:id/not-me', { config: { access: access.user }, schema: { params: ActivityParams, body: EmptyBody, tags: ['me'], summary: "\"This wasn't me\": end every session of mine and alert the admins" } }, async (request) => {
    const auth = authOf(request);
    return reportNotMe(db, ctx.events, { accountId: auth.account.id, userId: auth.user.id, notificationId: request.params.id, request: requestContext(request) });
  });

  r.get('/account/security-alerts', { config: { access: access.admin }, schema: { tags: ['admin'], summary: '"This wasn\'t me" answers not yet resolved' } }, async (request) => {
    return { alerts: await openAlerts(db, authOf(request).account.id) };
  });

  r.post('/account/security-alerts/:id/resolve', { config: { access: access.admin }, schema: { params: Type.Object({ id: Id }, strict), body: EmptyBody, tags: ['admin'], summary: 'Mark an alert as dealt with' } }, async (request, reply) => {
    const auth = authOf(request);
    await resolveAlert(db, { accountId: auth.account.id, actorId: auth.user.id, notificationId: request.params.id, request: requestContext(request) });
    reply.code(204);
    return reply.send();
  });

  r.get('/account/audit-events/export', { config: { access: access.admin }, schema: { querystring: AuditFilterQuery, tags: ['admin'], summary: 'The audit log as CSV (same filters as the list)' } }, async (request, reply) => {
    const auth = authOf(request);
    const filter = auditFilter(request.query);
    reply.header('content-type', 'text/csv; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="audit-${auth.account.slug}-${new Date().toISOString().slice(0, 10)}.csv"`);
    const { Readable } = await import('node:stream');
    return reply.send(Readable.from(auditCsv(db, auth.account.id, filter)));
  });
}
