// Groups (PRODUCT.md "Authentication policies"): an admin lists, creates, renames and deletes
// them and replaces their members (server/groups/groups.ts; SCIM calls the same functions).
import type { FastifyInstance } from 'fastify';
import { operations } from '../../../contract/operations.js';
import { requestContext } from '../../audit/audit.js';
import type { ServerContext } from '../../context.js';
import { DomainError } from '../../errors.js';
import { createGroup, deleteGroup, findGroup, groupMemberIds, listGroups, renameGroup, setMembers, type GroupActor } from '../../groups/groups.js';
import { authOf } from '../auth.js';
import { route } from '../contract-routes.js';

export function groupRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const context = (request: Parameters<typeof authOf>[0]) => {
    const auth = authOf(request);
    const actor: GroupActor = { kind: 'user', id: auth.user.id, request: requestContext(request) };
    return { accountId: auth.account.id, actor };
  };
  route(app, operations.listGroups, async (request) => ({ groups: await listGroups(ctx.db, authOf(request).account.id) }));
  route(app, operations.getGroupMembers, async (request) => {
    const accountId = authOf(request).account.id;
    if (!(await findGroup(ctx.db, accountId, { id: request.params.id }))) throw new DomainError('not_found', 'No such group.');
    return { userIds: await groupMemberIds(ctx.db, accountId, request.params.id) };
  });
  route(app, operations.createGroup, async (request) => ({ group: await createGroup(ctx.db, ctx.events, { ...context(request), name: request.body.name }) }));
  route(app, operations.renameGroup, async (request) => ({ group: await renameGroup(ctx.db, { ...context(request), groupId: request.params.id, name: request.body.name }) }));
  route(app, operations.deleteGroup, async (request) => deleteGroup(ctx.db, { ...context(request), groupId: request.params.id }));
  route(app, operations.setGroupMembers, async (request) => setMembers(ctx.db, ctx.events, { ...context(request), groupId: request.params.id, userIds: request.body.userIds }));
}
