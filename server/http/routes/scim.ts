// /scim/v2 (RFC 7644): its own Fastify plugin, outside the API (/api/v1) and its contract. Its
// resources are SCIM's, not ours, and its callers are identity providers, not our clients, so
// the routes are hidden from the OpenAPI document (server/http/contract.test.ts allows exactly
// this prefix). Every route declares the `scim` access (http/access.ts): the bearer must be a
// live SCIM token, which names the account; a session never works here, and a SCIM token never
// works on /api/v1. Bodies are accepted as application/scim+json (or JSON) and answered as
// application/scim+json; every refusal is in SCIM's error shape with `status` and `scimType`.
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { requestContext } from '../../audit/audit.js';
import type { ServerContext } from '../../context.js';
import { DomainError } from '../../errors.js';
import { resourceTypes, schemas, serviceProviderConfig } from '../../scim/discovery.js';
import { listResponse, pageOf, ScimError } from '../../scim/protocol.js';
import { createScimGroup, deleteScimGroup, getScimGroup, listScimGroups, patchScimGroup, replaceScimGroup, withoutMembers } from '../../scim/groups.js';
import { createScimUser, deleteScimUser, getScimUser, listScimUsers, patchScimUser, replaceScimUser, type ScimContext } from '../../scim/users.js';
import { access } from '../access.js';
import { requireDeclaredAccess } from '../auth.js';

export const SCIM_PREFIX = '/scim/v2';
const CONTENT_TYPE = 'application/scim+json; charset=utf-8';
/** A SCIM request is one user or one group's members: 256 KiB is room for thousands of members. */
const BODY_LIMIT = 256 * 1024;
/**
 * Requests of one token in flight at once on this instance. Identity providers send at a few
 * requests per second (Talkdesk documents 4/s for its own SCIM API); bursts beyond this wait for
 * a 429 and retry (Okta and Entra ID both honour Retry-After), so one provider's backlog cannot
 * hold every store connection while agents sign in.
 */
export const MAX_IN_FLIGHT_PER_TOKEN = 8;

/** The public base URL of /scim/v2: what an admin pastes into the identity provider. */
export function scimBaseUrl(ctx: ServerContext): string {
  return `${ctx.rp.origins[0]!}${SCIM_PREFIX}`;
}

function scimContext(ctx: ServerContext, request: FastifyRequest): ScimContext {
  if (!request.scim) throw new Error('a /scim/v2 route without a SCIM caller');
  return { db: ctx.db, events: ctx.events, baseUrl: scimBaseUrl(ctx), caller: request.scim, request: requestContext(request) };
}

/** Any refusal, in SCIM's shape: ours (ScimError), the domain's, Fastify's (body, media type). */
function scimErrorOf(error: FastifyError | Error): ScimError | undefined {
  if (error instanceof ScimError) return error;
  if (error instanceof DomainError) {
    if (error.code === 'unauthenticated') return new ScimError(401, undefined, error.message);
    if (error.code === 'invalid_request') return new ScimError(400, 'invalidSyntax', error.message);
    if (error.code === 'too_many_attempts') return new ScimError(429, undefined, error.message);
    return new ScimError(400, 'invalidValue', error.message);
  }
  const e = error as FastifyError;
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ScimError(413, undefined, 'The request body is too large.');
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new ScimError(415, undefined, 'Send the request body as application/scim+json.');
  if (error instanceof SyntaxError || e.validation || (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500)) {
    return new ScimError(400, 'invalidSyntax', 'The request body is not valid JSON.');
  }
  return undefined;
}

export async function scimRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  await app.register(
    async (scim) => {
      requireDeclaredAccess(scim);
      scim.addContentTypeParser('application/scim+json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, scim.getDefaultJsonParser('error', 'error'));
      scim.setErrorHandler((error: FastifyError, request, reply) => {
        const known = scimErrorOf(error);
        if (!known) request.log.error({ err: error }, 'unhandled error');
        const answer = known ?? new ScimError(500, undefined, 'Something went wrong on the server.');
        if (answer.status === 401) reply.header('www-authenticate', 'Bearer realm="scim"');
        if (answer.status === 429) reply.header('retry-after', '1');
        return reply.code(answer.status).type(CONTENT_TYPE).send(answer.body());
      });
      scim.setNotFoundHandler((request, reply) => {
        reply.code(404).type(CONTENT_TYPE).send(new ScimError(404, undefined, `No SCIM endpoint ${request.method} ${request.url.split('?')[0]}`).body());
      });
      scim.addHook('onSend', async (_request, reply, payload) => {
        reply.header('cache-control', 'no-store');
        if (String(reply.getHeader('content-type') ?? '').startsWith('application/json')) reply.type(CONTENT_TYPE);
        return payload;
      });
      // After authentication (the root hook): one token's requests in flight on this instance.
      const inFlight = new Map<string, number>();
      scim.addHook('onRequest', async (request, reply) => {
        const tokenId = request.scim?.tokenId;
        if (!tokenId) return;
        const n = inFlight.get(tokenId) ?? 0;
        if (n >= MAX_IN_FLIGHT_PER_TOKEN) throw new ScimError(429, undefined, 'Too many requests with this token at once. Retry in a second.');
        inFlight.set(tokenId, n + 1);
        reply.raw.once('close', () => {
          const left = (inFlight.get(tokenId) ?? 1) - 1;
          if (left <= 0) inFlight.delete(tokenId);
          else inFlight.set(tokenId, left);
        });
      });

      const opts = { config: { access: access.scim }, schema: { hide: true }, bodyLimit: BODY_LIMIT };
      type Query = { filter?: string; startIndex?: string; count?: string; excludedAttributes?: string };
      type Id = { id: string };

      scim.get('/ServiceProviderConfig', opts, async () => serviceProviderConfig(scimBaseUrl(ctx)));
      scim.get('/ResourceTypes', opts, async () => {
        const all = resourceTypes(scimBaseUrl(ctx), true);
        return listResponse(all, all.length, { startIndex: 1, count: all.length });
      });
      scim.get<{ Params: Id }>('/ResourceTypes/:id', opts, async (request) => {
        const found = resourceTypes(scimBaseUrl(ctx), true).find((r) => r.id === request.params.id);
        if (!found) throw new ScimError(404, undefined, 'No such resource type.');
        return found;
      });
      scim.get('/Schemas', opts, async () => {
        const all = schemas(scimBaseUrl(ctx), true);
        return listResponse(all, all.length, { startIndex: 1, count: all.length });
      });
      scim.get<{ Params: Id }>('/Schemas/:id', opts, async (request) => {
        const found = schemas(scimBaseUrl(ctx), true).find((s) => s.id === request.params.id);
        if (!found) throw new ScimError(404, undefined, 'No such schema.');
        return found;
      });

      scim.get<{ Querystring: Query }>('/Users', opts, async (request) => {
        const query = request.query;
        if (Array.isArray(query.filter)) throw new ScimError(400, 'invalidFilter', 'Give one filter.');
        return listScimUsers(scimContext(ctx, request), query.filter, pageOf(query));
      });
      scim.get<{ Params: Id }>('/Users/:id', opts, async (request) => getScimUser(scimContext(ctx, request), request.params.id));
      scim.post('/Users', opts, async (request, reply) => {
        const user = await createScimUser(scimContext(ctx, request), request.body);
        return reply.code(201).header('location', user.meta.location).send(user);
      });
      scim.put<{ Params: Id }>('/Users/:id', opts, async (request) => replaceScimUser(scimContext(ctx, request), request.params.id, request.body));
      scim.patch<{ Params: Id }>('/Users/:id', opts, async (request) => patchScimUser(scimContext(ctx, request), request.params.id, request.body));
      scim.delete<{ Params: Id }>('/Users/:id', opts, async (request, reply) => {
        await deleteScimUser(scimContext(ctx, request), request.params.id);
        return reply.code(204).send();
      });

      scim.get<{ Querystring: Query }>('/Groups', opts, async (request) => {
        const query = request.query;
        if (Array.isArray(query.filter)) throw new ScimError(400, 'invalidFilter', 'Give one filter.');
        return listScimGroups(scimContext(ctx, request), query.filter, pageOf(query), withoutMembers(query.excludedAttributes));
      });
      scim.get<{ Params: Id; Querystring: Query }>('/Groups/:id', opts, async (request) => getScimGroup(scimContext(ctx, request), request.params.id, withoutMembers(request.query.excludedAttributes)));
      scim.post('/Groups', opts, async (request, reply) => {
        const group = await createScimGroup(scimContext(ctx, request), request.body);
        return reply.code(201).header('location', group.meta.location).send(group);
      });
      scim.put<{ Params: Id }>('/Groups/:id', opts, async (request) => replaceScimGroup(scimContext(ctx, request), request.params.id, request.body));
      scim.patch<{ Params: Id }>('/Groups/:id', opts, async (request) => patchScimGroup(scimContext(ctx, request), request.params.id, request.body));
      scim.delete<{ Params: Id }>('/Groups/:id', opts, async (request, reply) => {
        await deleteScimGroup(scimContext(ctx, request), request.params.id);
        return reply.code(204).send();
      });
    },
    { prefix: SCIM_PREFIX },
  );
}
