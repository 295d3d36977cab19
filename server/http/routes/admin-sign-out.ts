// Admins sign one user, or everyone but themselves, out everywhere (sensitive changes, declared:
// an admin, an active session and a recent second factor). The rules live in sessions/admin-sign-out.ts.
import { operations } from '../../../contract/operations.js';
import { route } from '../contract-routes.js';
import type { FastifyInstance } from 'fastify';
import { requestContext } from '../../audit/audit.js';
import { authOf } from '../auth.js';
import type { ServerContext } from '../../context.js';
import { signEveryoneElseOut, signUserOutEverywhere } from '../../sessions/admin-sign-out.js';

export function adminSignOutRoutes(app: FastifyInstance, ctx: ServerContext): void {
  route(app, operations.signUserOutEverywhere, async (request) => {
    const auth = authOf(request);
    return signUserOutEverywhere(ctx.db, ctx.events, { accountId: auth.account.id, actorId: auth.user.id, userId: request.params.id, request: requestContext(request) });
  });
  route(app, operations.signEveryoneElseOut, async (request) => {
    const auth = authOf(request);
    return signEveryoneElseOut(ctx.db, ctx.events, { accountId: auth.account.id, actorId: auth.user.id, request: requestContext(request) });
  });
}
