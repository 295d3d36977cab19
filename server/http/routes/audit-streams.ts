// Audit streams (issue 22): an admin lists, adds and removes the places the account's audit log
// is streamed to (contract/operations.ts: adding and removing are sensitive changes).
import type { FastifyInstance } from 'fastify';
import { operations } from '../../../contract/operations.js';
import { requestContext } from '../../audit/audit.js';
import { addStream, listStreams, removeStream } from '../../audit-streams/streams.js';
import type { ServerContext } from '../../context.js';
import { authOf } from '../auth.js';
import { route } from '../contract-routes.js';

export function auditStreamRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const policy = { allowPrivateTargets: ctx.config.auditStreamsAllowPrivateTargets };
  route(app, operations.listAuditStreams, async (request) => ({ streams: await listStreams(ctx.db, authOf(request).account.id) }));
  route(app, operations.addAuditStream, async (request) => {
    const auth = authOf(request);
    return addStream(ctx.db, ctx.box, policy, { accountId: auth.account.id, actorId: auth.user.id, type: request.body.type, url: request.body.url, request: requestContext(request) });
  });
  route(app, operations.removeAuditStream, async (request) => {
    const auth = authOf(request);
    return removeStream(ctx.db, { accountId: auth.account.id, actorId: auth.user.id, streamId: request.params.id, request: requestContext(request) });
  });
}
