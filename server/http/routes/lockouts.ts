// DELETE /account/users/{id}/lockout: an admin lifts a user's lock-out (a sensitive change).
import type { FastifyInstance } from 'fastify';
import { access } from '../access.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { authOf } from '../auth.js';
import type { ServerContext } from '../../context.js';
import { IdParams } from '../schemas.js';
import { liftLockout } from '../../sessions/lockouts.js';

export function lockoutRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.delete('/account/users/:id/lockout', { config: { access: access.adminSensitive }, schema: { params: IdParams, tags: ['admin'], summary: "Lift a user's lock-out (requires a recent second factor)" } }, async (request) => {
    const auth = authOf(request);
    return liftLockout(ctx.db, { accountId: auth.account.id, actorId: auth.user.id, userId: request.params.id });
  });
}
