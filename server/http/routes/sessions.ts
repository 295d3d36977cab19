// Sign-in, the second step, the current session and sign-out.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { normalizeEmail, userView } from '../../people/accounts.js';
import { recordAudit } from '../../audit/audit.js';
import { authOf, SESSION_COOKIE } from '../auth.js';
import type { ServerContext } from '../../context.js';
import { ApiError } from '../errors.js';
import { listMethods } from '../../second-factors/methods.js';
import { verifyPassword } from '../../people/passwords.js';
import { EmptyBody, SecondFactorBody, SignInBody } from '../schemas.js';
import { authenticationOptions, verifySecurityKeyAssertion } from '../../second-factors/security-keys.js';
import { sessionView, type AuthenticatedSession } from '../../sessions/sessions.js';
import { Throttle, throttleRules } from '../../sessions/throttling.js';
import { acceptTotp } from '../../second-factors/totp.js';


export function accountView(account: AuthenticatedSession['account']) {
  return { id: account.id, name: account.name, slug: account.slug, requireTwoFactor: account.require_two_factor === 1 };
}

export function setSessionCookie(ctx: ServerContext, reply: FastifyReply, token: string, expiresAt: number): void {
  const secure = ctx.rp.origins.some((o) => o.startsWith('https:'));
  const absolute = Math.max(expiresAt, Date.now() + ctx.config.sessionAbsoluteHours * 3_600_000);
  reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure, path: '/', expires: new Date(absolute) });
}

export function sessionRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;

  r.post('/sessions', { schema: { body: SignInBody, tags: ['sessions'], summary: 'Sign in with account, email and password' } }, async (request, reply) => {
    const { account: slug, email, password } = request.body;
    const address = request.ip;
    const subject = `password:${slug.toLowerCase()}:${normalizeEmail(email)}`;
    const addressKey = `password-address:${address}`;
    await ctx.throttle.check(addressKey, throttleRules.passwordAddress);
    // Throttled by the name typed, not by a user row: unknown emails lock the same way.
    await ctx.throttle.reserve(subject, throttleRules.passwordSubject);
    const found = await db
      .selectFrom('users as u')
      .innerJoin('accounts as a', 'a.id', 'u.account_id')
      .select(['u.id', 'u.name', 'u.email', 'u.role', 'u.password_hash', 'u.has_two_factor', 'u.account_id', 'a.name as account_name', 'a.slug', 'a.require_two_factor', 'a.user_verification'])
      .where('a.slug', '=', slug.toLowerCase())
      .where('u.email', '=', normalizeEmail(email))
      .executeTakeFirst();
    const ok = await verifyPassword(found?.password_hash, password);
    if (!found || !ok) {
      await ctx.throttle.fail(addressKey, throttleRules.passwordAddress);
      throw new ApiError('invalid_credentials');
    }
    await ctx.throttle.clear(subject);
    const state = found.has_two_factor === 1 ? 'two_factor_required' : found.require_two_factor === 1 ? 'enrollment_required' : 'active';
    const { token, session } = await ctx.sessions.create(db, {
      userId: found.id,
      accountId: found.account_id,
      state,
      clientAddress: address,
      userAgent: request.headers['user-agent'],
    });
    setSessionCookie(ctx, reply, token, session.expires_at);
    reply.code(201);
    return {
      token,
      session: sessionView(session),
      user: userView(found),
      methods: state === 'two_factor_required' ? await listMethods(db, found.id) : [],
      account: { id: found.account_id, name: found.account_name, slug: found.slug, requireTwoFactor: found.require_two_factor === 1 },
    };
  });

  r.get('/sessions/current', { config: { auth: 'any' }, schema: { tags: ['sessions'], summary: 'The current session, in any state' } }, async (request) => {
    const auth = authOf(request);
    return {
      session: sessionView(auth.session),
      user: userView(auth.user),
      methods: await listMethods(db, auth.user.id),
      account: accountView(auth.account),
    };
  });

  r.post('/sessions/current/security-key-options', { config: { auth: 'second_step' }, schema: { body: EmptyBody, tags: ['sessions'], summary: 'WebAuthn request options for the second step' } }, async (request) => {
    const auth = authOf(request);
    return authenticationOptions(db, ctx.rp, { sessionId: auth.session.id, userId: auth.user.id, userVerification: auth.account.user_verification });
  });

  r.post('/sessions/current/second-factor', { config: { auth: 'second_step' }, schema: { body: SecondFactorBody, tags: ['sessions'], summary: 'Pass the second step (also re-authentication)' } }, async (request) => {
    const auth = authOf(request);
    const body = request.body;
    const userKey = `second-factor:${auth.user.id}`;
    const addressKey = `second-factor-address:${request.ip}`;
    if (body.method === 'security_key') {
      const result = await verifySecurityKeyAssertion(db, ctx.rp, {
        sessionId: auth.session.id,
        userId: auth.user.id,
        response: body.response as AuthenticationResponseJSON,
        userVerification: auth.account.user_verification,
      });
      if (!result.ok) {
        if (result.cloneSuspected) {
          await recordAudit(db, { accountId: auth.account.id, actorId: auth.user.id, action: 'security_key.counter_regression', details: { methodId: result.methodId } });
        }
        throw new ApiError('security_key_rejected', result.message);
      }
    } else {
      await ctx.throttle.check(addressKey, throttleRules.secondFactorAddress);
      const code = body.code;
      // One transaction from the reserved attempt to the activated session: one commit per
      // second step, and on PostgreSQL the reservation's row lock lines up parallel guesses.
      // A wrong code commits its reserved attempt; only then is the error answered.
      const session = await db.transaction().execute(async (trx) => {
        const throttle = new Throttle(trx);
        await throttle.reserve(userKey, throttleRules.secondFactorUser);
        let ok: boolean;
        if (body.method === 'totp') {
          const methods = await trx
            .selectFrom('methods')
            .select(['id', 'totp_secret', 'totp_last_step'])
            .where('user_id', '=', auth.user.id)
            .where('type', '=', 'totp')
            .where('confirmed', '=', 1)
            .execute();
          ok = (await acceptTotp(trx, ctx.box, methods, code.replace(/\s/g, ''))) !== null;
        } else {
          ok = await ctx.recoveryCodes.use(trx, auth.user.id, code);
          if (ok) {
            const left = await ctx.recoveryCodes.remaining(trx, auth.user.id);
            await recordAudit(trx, { accountId: auth.account.id, actorId: auth.user.id, action: 'recovery_code.used', details: { recoveryCodesLeft: left } });
          }
        }
        if (!ok) return null;
        await throttle.clear(userKey);
        return ctx.sessions.markSecondFactor(trx, auth.session);
      });
      if (!session) {
        await ctx.throttle.fail(addressKey, throttleRules.secondFactorAddress);
        throw new ApiError('invalid_code');
      }
      return { session: sessionView(session) };
    }
    const session = await ctx.sessions.markSecondFactor(db, auth.session);
    return { session: sessionView(session) };
  });

  r.delete('/sessions/current', { config: { auth: 'any' }, schema: { tags: ['sessions'], summary: 'Sign out' } }, async (request, reply) => {
    const auth = authOf(request);
    await ctx.sessions.revoke([auth.session.id], 'signed_out');
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    reply.code(204);
    return reply.send();
  });
}
