// Adoption (issue 22): the admins' figures of 2FA adoption and their CSV (server/adoption/adoption.ts).
import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import { operations } from '../../../contract/operations.js';
import { ADOPTION_DAYS, MISSING_PAGE, adoption, adoptionDaysCsv, adoptionMissingCsv } from '../../adoption/adoption.js';
import type { ServerContext } from '../../context.js';
import { DomainError } from '../../errors.js';
import { findGroup } from '../../groups/groups.js';
import { authOf } from '../auth.js';
import { route } from '../contract-routes.js';

export function adoptionRoutes(app: FastifyInstance, ctx: ServerContext): void {
  /** The group asked for, of this account (404 otherwise), or undefined for everyone. */
  const groupOf = async (accountId: string, groupId: string | undefined) => {
    if (groupId === undefined) return undefined;
    if (!(await findGroup(ctx.db, accountId, { id: groupId }))) throw new DomainError('not_found', 'No such group.');
    return groupId;
  };

  route(app, operations.getAdoption, async (request) => {
    const { days, missingLimit, missingOffset } = request.query;
    const accountId = authOf(request).account.id;
    return adoption(ctx.db, accountId, {
      days: Number(days ?? ADOPTION_DAYS.default),
      missingLimit: Number(missingLimit ?? MISSING_PAGE.default),
      missingOffset: Number(missingOffset ?? 0),
      groupId: await groupOf(accountId, request.query.groupId),
    });
  });

  route(app, operations.exportAdoption, async (request, reply) => {
    const auth = authOf(request);
    const part = request.query.part ?? 'days';
    const groupId = await groupOf(auth.account.id, request.query.groupId);
    const today = new Date().toISOString().slice(0, 10);
    reply.header('content-type', 'text/csv; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="adoption-${part === 'missing' ? 'missing-' : ''}${auth.account.slug}-${today}.csv"`);
    if (part === 'missing') return reply.send(Readable.from(adoptionMissingCsv(ctx.db, auth.account.id, groupId)));
    return reply.send(await adoptionDaysCsv(ctx.db, auth.account.id, Number(request.query.days ?? ADOPTION_DAYS.default), Date.now(), groupId));
  });
}
