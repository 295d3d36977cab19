// Account creation (first run or open signup) and the admin's side of an account: security
// settings with their impact, users, 2FA resets and the audit log.
import type { FastifyInstance } from 'fastify';
import { access } from '../access.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { createAccount } from '../../people/accounts.js';
import { listAudit, requestContext } from '../../audit/audit.js';
import { rolloutSettings } from '../../enforcement/rollout-view.js';
import { scheduleChanged } from '../../enforcement/schedule.js';
import { AuditListQuery, auditFilter } from './audit-query.js';
import { authOf } from '../auth.js';
import type { ServerContext } from '../../context.js';
import { enforcementImpact, saveSecuritySettings } from '../../enforcement/enforcement.js';
import { ApiError } from '../errors.js';
import { CreateAccountBody, ImpactQuery, SecuritySettingsBody } from '../schemas.js';

export function accountRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;

  r.post('/accounts', { config: { access: access.public }, schema: { body: CreateAccountBody, tags: ['accounts'], summary: 'Create an account and its first admin' } }, async (request, reply) => {
    const result = await createAccount(db, ctx.passwords, { ...request.body, openSignup: ctx.config.openSignup, log: request.log });
    reply.code(201);
    return result;
  });

  r.get('/signup', { config: { access: access.public }, schema: { tags: ['accounts'], summary: 'Whether POST /accounts is open (first run, or open signup)' } }, async () => {
    const any = await db.selectFrom('accounts').select('id').limit(1).executeTakeFirst();
    return { open: ctx.config.openSignup || !any, firstRun: !any };
  });

  r.get('/account/security-settings', { config: { access: access.admin }, schema: { tags: ['admin'], summary: 'Read the security settings' } }, async (request) => {
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
    };
  });

  r.get('/account/security-settings/impact', { config: { access: access.admin }, schema: { querystring: ImpactQuery, tags: ['admin'], summary: 'Who would be signed out if 2FA were required now (under the given second-factor policy)' } }, async (request) => {
    return enforcementImpact(db, authOf(request).account.id, request.query.secondFactorPolicy);
  });

  r.put('/account/security-settings', { config: { access: access.adminSensitive }, schema: { body: SecuritySettingsBody, tags: ['admin'], summary: 'Change the security settings (requires a recent second factor)' } }, async (request) => {
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

  r.get('/account/audit-events', { config: { access: access.admin }, schema: { querystring: AuditListQuery, tags: ['admin'], summary: 'The audit log, newest first (filter by user, action and time)' } }, async (request) => {
    const q = request.query;
    return listAudit(db, authOf(request).account.id, { ...auditFilter(q), limit: Number(q.limit ?? 50), before: q.before });
  });
}
