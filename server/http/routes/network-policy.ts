// Sign-in networks (PRODUCT.md "Authentication policies"): an admin reads and replaces the
// networks the account allows sign-in from (sessions/sign-in-networks.ts holds the rule).
import type { FastifyInstance } from 'fastify';
import { operations } from '../../../contract/operations.js';
import { requestContext } from '../../audit/audit.js';
import type { ServerContext } from '../../context.js';
import { readNetworkPolicy, saveNetworkPolicy } from '../../sessions/sign-in-networks.js';
import { authOf } from '../auth.js';
import { route } from '../contract-routes.js';

export function networkPolicyRoutes(app: FastifyInstance, ctx: ServerContext): void {
  route(app, operations.getNetworkPolicy, async (request) => readNetworkPolicy(ctx.db, authOf(request).account.id));
  route(app, operations.saveNetworkPolicy, async (request) => {
    const auth = authOf(request);
    return saveNetworkPolicy(ctx.db, { accountId: auth.account.id, actorId: auth.user.id, allowedNetworks: request.body.allowedNetworks, request: requestContext(request) });
  });
}
