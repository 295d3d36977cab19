// Admins sign one user, or everyone but themselves, out everywhere (sensitive changes, declared:
// an admin, an active session and a recent second factor). The rules live in sessions/admin-sign-out.ts.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requestContext } from '../../audit/audit.js';
import { access } from '../access.js';
import { authOf } from '../auth.js';
import type { ServerContext } from '../../context.js';
import { IdParams } from '../schemas.js';
import { signEveryoneElseOut, signUserOutEverywhere } from '../../sessions/admin-sign-out.js';

export function adminSignOutRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.delete('/account/users/:id/sessions', { config: { access: access.adminSensitive }, schema: { params: IdParams, tags: ['admin'], summary: 'Sign a user out everywhere (requires a recent second factor)' } }, async (request) => {
    const auth = authOf(request);
    return signUserOutEverywhere(ctx.db, ctx.events, { accountId: auth.account.id, actorId: auth.user.id, userId: request.params.id, request: requestContext(request) });
  });
  r.delete('/account/sessions', { config: { access: access.adminSensitive }, schema: { tags: ['admin'], summary: 'Sign everyone in the account but me out everywhere (requires a recent second factor)' } }, async (request) => {
    const auth = authOf(request);
    return signEveryoneElseOut(ctx.db, ctx.events, { accountId: auth.account.id, actorId: auth.user.id, request: requestContext(request) });
  });
}
