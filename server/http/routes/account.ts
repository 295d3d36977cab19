// Account creation (first run or open signup) and the admin's side of an account: security
// settings with their impact, users, 2FA resets and the audit log.
import { operations } from '../../../contract/operations.js';
import { route } from '../contract-routes.js';
import type { FastifyInstance } from 'fastify';
import { createAccount } from '../../people/accounts.js';
import { listAudit, requestContext } from '../../audit/audit.js';
import { rolloutSettings } from '../../enforcement/rollout-view.js';
import { scheduleChanged } from '../../enforcement/schedule.js';
import { auditFilter } from './audit-query.js';
import { authOf } from '../auth.js';
import type { ServerContext } from '../../context.js';
import { enforcementImpact, saveSecuritySettings } from '../../enforcement/enforcement.js';
import { scopeOf, validateScope } from '../../enforcement/requirement-scope.js';
import { ApiError } from '../errors.js';

export function accountRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx;

  route(app, operations.createAccount, async (request, reply) => {
    const result = await createAccount(db, ctx.passwords, { ...request.body, openSignup: ctx.config.openSignup, log: request.log });
    reply.code(201);
    return result;
  });

  route(app, operations.getSignupStatus, async () => {
    const any = await db.selectFrom('accounts').select('id').limit(1).executeTakeFirst();
    return { open: ctx.config.openSignup || !any, firstRun: !any };
  });

  route(app, operations.getSecuritySettings, async (request) => {
    const auth = authOf(request);
    const row = await db
      .selectFrom('accounts as a')
      .leftJoin('users as u', 'u.id', 'a.settings_updated_by')
      .select(['a.require_two_factor', 'a.user_verification', 'a.passwordless_sign_in', 'a.second_factor_policy', 'a.allow_recovery_codes_under_keys_only', 'a.settings_updated_at', 'u.id as by_id', 'u.name as by_name', 'u.email as by_email'])
      .where('a.id', '=', auth.account.id)
      .executeTakeFirstOrThrow();
    return {
      requireTwoFactor: row.require_two_factor === 1,
      userVerification: row.user_verification,
      passwordlessSignIn: row.passwordless_sign_in === 1,
      secondFactorPolicy: row.second_factor_policy ?? 'any',
      allowRecoveryCodesUnderKeysOnly: row.allow_recovery_codes_under_keys_only === 1,
      updatedAt: row.settings_updated_at === null ? null : new Date(Number(row.settings_updated_at)).toISOString(),
      updatedBy: row.by_id ? { id: row.by_id, name: row.by_name, email: row.by_email } : null,
      ...(await rolloutSettings(db, auth.account.id)),
      appliesTo: await scopeOf(db, auth.account.id),
    };
  });

  route(app, operations.getEnforcementImpact, async (request) => {
    const accountId = authOf(request).account.id;
    const q = request.query;
    const list = (value: string | undefined) => (value === undefined ? undefined : value.split(','));
    // A scope about to be saved is measured as the save would check it (400 invalid_scope).
    const proposed = q.everyone === undefined && q.roles === undefined && q.groupIds === undefined ? undefined : await validateScope(db, accountId, { everyone: q.everyone === undefined ? undefined : q.everyone === 'true', roles: list(q.roles), groupIds: list(q.groupIds) });
    return enforcementImpact(db, accountId, q.secondFactorPolicy, proposed);
  });

  route(app, operations.saveSecuritySettings, async (request) => {
    const auth = authOf(request);
    const saved = await saveSecuritySettings(db, ctx.events, {
      accountId: auth.account.id,
      actor: auth.user,
      secondFactorAt: auth.session.second_factor_at,
      change: request.body,
      recentMs: ctx.recentSecondFactorMs,
      request: requestContext(request),
    });
    if (request.body.startsAt !== undefined) scheduleChanged(ctx);
    return saved;
  });

  // The users list, invitations, lifecycle and 2FA resets: routes/people.ts.

  route(app, operations.listAuditEvents, async (request) => {
    const q = request.query;
    return listAudit(db, authOf(request).account.id, { ...auditFilter(q), limit: Number(q.limit ?? 50), before: q.before });
  });
}
