// Audit streams (issue 22): an admin lists, adds and removes the places the account's audit log
// is streamed to. Adding or removing one changes where audit data flows: a sensitive change
// (a recent second factor); reading them is any admin's.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requestContext } from '../../audit/audit.js';
import { addStream, listStreams, removeStream } from '../../audit-streams/streams.js';
import type { ServerContext } from '../../context.js';
import { access } from '../access.js';
import { authOf } from '../auth.js';
import { IdParams } from '../schemas.js';

const AddStreamBody = Type.Object(
  {
    type: Type.Union([Type.Literal('webhook'), Type.Literal('syslog')]),
    url: Type.String({ minLength: 1, maxLength: 2048, description: 'https://… for a webhook; tcp://host:port or tls://host:port for syslog.' }),
  },
  { additionalProperties: false },
);

export function auditStreamRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const policy = { allowPrivateTargets: ctx.config.auditStreamsAllowPrivateTargets };
  r.get('/account/audit-streams', { config: { access: access.admin }, schema: { tags: ['admin'], summary: 'The audit streams and their delivery state' } }, async (request) => {
    return { streams: await listStreams(ctx.db, authOf(request).account.id) };
  });
  r.post(
    '/account/audit-streams',
    { config: { access: access.adminSensitive }, schema: { body: AddStreamBody, tags: ['admin'], summary: "Stream the audit log to a webhook or a syslog collector (a webhook's secret is answered once)" } },
    async (request, reply) => {
      const auth = authOf(request);
      const stream = await addStream(ctx.db, ctx.box, policy, { accountId: auth.account.id, actorId: auth.user.id, type: request.body.type, url: request.body.url, request: requestContext(request) });
      reply.code(201);
      return stream;
    },
  );
  r.delete('/account/audit-streams/:id', { config: { access: access.adminSensitive }, schema: { params: IdParams, tags: ['admin'], summary: 'Stop streaming the audit log there (undelivered entries are dropped)' } }, async (request) => {
    const auth = authOf(request);
    return removeStream(ctx.db, { accountId: auth.account.id, actorId: auth.user.id, streamId: request.params.id, request: requestContext(request) });
  });
}
