// SCIM tokens (PRODUCT.md "Enterprise sign-in"): an admin lists, creates (answered once) and
// revokes the bearer tokens identity providers provision users with (server/scim/).
import type { FastifyInstance } from 'fastify';
import { operations } from '../../../contract/operations.js';
import { requestContext } from '../../audit/audit.js';
import type { ServerContext } from '../../context.js';
import { scimBaseUrl } from './scim.js';
import { createScimToken, listScimTokens, revokeScimToken } from '../../scim/tokens.js';
import { authOf } from '../auth.js';
import { route } from '../contract-routes.js';

export function scimTokenRoutes(app: FastifyInstance, ctx: ServerContext): void {
  route(app, operations.listScimTokens, async (request) => ({ baseUrl: scimBaseUrl(ctx), tokens: await listScimTokens(ctx.db, authOf(request).account.id) }));
  route(app, operations.createScimToken, async (request) => {
    const auth = authOf(request);
    return createScimToken(ctx.db, { accountId: auth.account.id, actorId: auth.user.id, name: request.body.name, request: requestContext(request) });
  });
  route(app, operations.revokeScimToken, async (request) => {
    const auth = authOf(request);
    return revokeScimToken(ctx.db, { accountId: auth.account.id, actorId: auth.user.id, tokenId: request.params.id, request: requestContext(request) });
  });
}
