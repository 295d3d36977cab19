// DELETE /account/users/{id}/lockout: an admin lifts a user's lock-out (a sensitive change).
import { operations } from '../../../contract/operations.js';
import { route } from '../contract-routes.js';
import type { FastifyInstance } from 'fastify';
import { authOf } from '../auth.js';
import type { ServerContext } from '../../context.js';
import { liftLockout } from '../../sessions/lockouts.js';

export function lockoutRoutes(app: FastifyInstance, ctx: ServerContext): void {
  route(app, operations.liftLockout, async (request) => {
    const auth = authOf(request);
    return liftLockout(ctx.db, { accountId: auth.account.id, actorId: auth.user.id, userId: request.params.id });
  });
}
