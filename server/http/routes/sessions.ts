// Sign-in, the second step, the current session and sign-out.
import type { Transaction } from 'kysely';
import { access } from '../access.js';
import type { Database } from '../../store/schema.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { userView } from '../../people/accounts.js';
import { recordAudit, requestContext } from '../../audit/audit.js';
import { authOf, SESSION_COOKIE } from '../auth.js';
import type { ServerContext } from '../../context.js';
import { ApiError } from '../errors.js';
import { listMethods } from '../../second-factors/methods.js';
import { verifyPassword } from '../../people/passwords.js';
import { recordSignIn } from '../../people/users.js';
import { EmptyBody, SecondFactorBody, SignInBody } from '../schemas.js';
import { assertionRefused, authenticationOptions, verifySecurityKeyAssertion } from '../../second-factors/security-keys.js';
import { deviceForSignIn, findDevice, isKnownDevice, presentedDeviceToken, recordDeviceSignIn, setDeviceCookie } from '../../sessions/devices.js';
import { recordLockouts } from '../../sessions/lockouts.js';
import { sessionView, type AuthenticatedSession } from '../../sessions/sessions.js';
import { passwordLimits, passwordSubject, secondFactorLimits } from '../../sessions/throttling.js';
import { acceptTotp } from '../../second-factors/totp.js';
import { codeStepUnder, holdForSecurityKey, policyOf } from '../../second-factors/policy.js';

export function accountView(account: AuthenticatedSession['account']) {
  return { id: account.id, name: account.name, slug: account.slug, requireTwoFactor: account.require_two_factor === 1 };
}

function secureCookies(ctx: ServerContext): boolean {
  return ctx.rp.origins.some((o) => o.startsWith('https:'));
}

export function setSessionCookie(ctx: ServerContext, reply: FastifyReply, token: string, expiresAt: number): void {
  const absolute = Math.max(expiresAt, Date.now() + ctx.config.sessionAbsoluteHours * 3_600_000);
  reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: secureCookies(ctx), path: '/', expires: new Date(absolute) });
}

/** The device a session's sign-in came from, if its user has signed in on it before. */
export async function knownDeviceOf(ctx: ServerContext, auth: AuthenticatedSession): Promise<string | undefined> {
  const deviceId = auth.session.device_id;
  return deviceId && (await isKnownDevice(ctx.db, deviceId, auth.user.id)) ? deviceId : undefined;
}

function lockoutContext(request: FastifyRequest, auth: AuthenticatedSession) {
  return {
    user: { id: auth.user.id, account_id: auth.account.id, email: auth.user.email, name: auth.user.name },
    step: 'second_factor' as const,
    address: request.ip,
    deviceId: auth.session.device_id,
    userAgent: request.headers['user-agent'],
  };
}

export function sessionRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;

  r.post('/sessions', { config: { access: access.public }, schema: { body: SignInBody, tags: ['sessions'], summary: 'Sign in with account, email and password' } }, async (request, reply) => {
    const { account: slug, email, password } = request.body;
    const address = request.ip;
    const userAgent = request.headers['user-agent'];
    const subject = passwordSubject(slug, email);
    const presentedToken = presentedDeviceToken(request, request.body.deviceToken);
    const lookUp = () =>
      db
        .selectFrom('users as u')
        .innerJoin('accounts as a', 'a.id', 'u.account_id')
        .select(['u.id', 'u.name', 'u.email', 'u.role', 'u.password_hash', 'u.has_two_factor', 'u.account_id', 'u.status', 'a.name as account_name', 'a.slug', 'a.require_two_factor', 'a.user_verification'])
        .where('a.slug', '=', subject.slice(0, subject.indexOf(':')))
        .where('u.email', '=', subject.slice(subject.indexOf(':') + 1))
        .executeTakeFirst();
    const presented = await findDevice(db, presentedToken);
    // A device this user signed in on has its own budget: an attacker elsewhere cannot use it up.
    let found = presented ? await lookUp() : undefined;
    const knownDeviceId = found && presented && (await isKnownDevice(db, presented.id, found.id)) ? presented.id : undefined;
    // Every limit is reserved before the password is hashed (throttled by the name typed, so
    // unknown emails lock the same way). Without a device token nothing needs the user first:
    // a flood waits for its place before it costs even a lookup.
    const reservation = await ctx.throttle.reserve(passwordLimits({ subject, address, knownDeviceId }));
    if (!presented) {
      try {
        found = await lookUp();
      } catch (error) {
        await reservation.release();
        throw error;
      }
    }
    let ok: boolean;
    try {
      // Invited (no password yet) and deactivated users get a wrong password's answer and cost.
      ok = await verifyPassword(found?.status === 'active' ? found.password_hash : undefined, password);
    } catch (error) {
      await reservation.release();
      throw error;
    }
    if (!found || !ok) {
      const lockouts = await reservation.fail();
      await recordLockouts(db, lockouts, {
        user: found ? { id: found.id, account_id: found.account_id, email: found.email, name: found.name } : undefined,
        step: 'password',
        address,
        deviceId: presented?.id,
        userAgent,
      });
      // A wrong password for a real user is in the admins' log, with where it came from.
      if (found) await recordAudit(db, { accountId: found.account_id, actorId: null, subjectUserId: found.id, action: 'sign_in.failed', details: { step: 'password' }, request: { address, userAgent: userAgent?.slice(0, 300) ?? null, deviceId: presented?.id ?? null } });
      throw new ApiError('invalid_credentials');
    }
    await reservation.succeed();
    await recordSignIn(db, found.id);
    const state = found.has_two_factor === 1 ? 'two_factor_required' : found.require_two_factor === 1 ? 'enrollment_required' : 'active';
    const { token, session, deviceToken } = await db.transaction().execute(async (trx) => {
      const { device, token: newDeviceToken } = await deviceForSignIn(trx, { existing: presented, address, userAgent });
      const created = await ctx.sessions.create(trx, { userId: found.id, accountId: found.account_id, state, clientAddress: address, userAgent, deviceId: device.id, passwordVerified: true });
      // A password alone into forced enrolment is not a sign-in: its own action in the log.
      await recordAudit(trx, { accountId: found.account_id, actorId: found.id, action: state === 'enrollment_required' ? 'sign_in.enrollment_required' : 'sign_in.succeeded', details: { step: 'password', state }, request: { address, userAgent: userAgent?.slice(0, 300) ?? null, deviceId: device.id } });
      // Signed in for good (no second step to come): the device is now known to this user.
      if (state === 'active') await recordDeviceSignIn(trx, { deviceId: device.id, userId: found.id, accountId: found.account_id });
      return { ...created, deviceToken: newDeviceToken ?? presentedToken! };
    });
    setSessionCookie(ctx, reply, token, session.expires_at);
    setDeviceCookie(reply, deviceToken, secureCookies(ctx));
    reply.code(201);
    return {
      token,
      deviceToken,
      session: sessionView(session),
      user: userView(found),
      methods: state === 'two_factor_required' ? await listMethods(db, found.id) : [],
      account: { id: found.account_id, name: found.account_name, slug: found.slug, requireTwoFactor: found.require_two_factor === 1 },
    };
  });

  r.get('/sessions/current', { config: { access: access.anySession }, schema: { tags: ['sessions'], summary: 'The current session, in any state' } }, async (request) => {
    const auth = authOf(request);
    return {
      session: sessionView(auth.session),
      user: userView(auth.user),
      methods: await listMethods(db, auth.user.id),
      account: accountView(auth.account),
    };
  });

  r.post('/sessions/current/security-key-options', { config: { access: access.secondStep }, schema: { body: EmptyBody, tags: ['sessions'], summary: 'WebAuthn request options for the second step' } }, async (request) => {
    const auth = authOf(request);
    return authenticationOptions(db, ctx.rp, { sessionId: auth.session.id, userId: auth.user.id, userVerification: auth.account.user_verification });
  });

  r.post('/sessions/current/second-factor', { config: { access: access.secondStep }, schema: { body: SecondFactorBody, tags: ['sessions'], summary: 'Pass the second step (also re-authentication): answers a new token, the old one ends' } }, async (request, reply) => {
    const auth = authOf(request);
    const body = request.body;
    let passed: Awaited<ReturnType<typeof ctx.sessions.passSecondFactor>>;
    // The success is audited in the transaction that activates the session: both or neither.
    const auditSuccess = (trx: Transaction<Database>) =>
      recordAudit(trx, { accountId: auth.account.id, actorId: auth.user.id, action: 'sign_in.succeeded', details: { step: auth.session.state === 'active' ? 'reauthentication' : 'second_factor', method: body.method }, request: requestContext(request) });
    // Under "security keys only" an app's code is refused before anything is counted, or (a user
    // with no key yet) only lets them add one (second-factors/policy.ts).
    const codeStep = body.method === 'security_key' ? 'active' : await codeStepUnder(db, { policy: policyOf(auth.account), userId: auth.user.id, method: body.method });
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
        throw assertionRefused(result);
      }
      passed = await db.transaction().execute(async (trx) => {
        const done = await ctx.sessions.passSecondFactor(trx, auth.session);
        await recordDeviceSignIn(trx, { deviceId: auth.session.device_id, userId: auth.user.id, accountId: auth.account.id });
        await auditSuccess(trx);
        return done;
      });
    } else {
      const code = body.code;
      // Reserved before the code is checked; recovery codes share the limit (a lock blocks both).
      const reservation = await ctx.throttle.reserve(secondFactorLimits({ userId: auth.user.id, knownDeviceId: await knownDeviceOf(ctx, auth) }));
      let result: typeof passed | null;
      try {
        // One transaction from the check to the activated session: the code is spent and the
        // session activated together, and the reservation is released in the same commit.
        result = await db.transaction().execute(async (trx) => {
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
          await reservation.succeed(trx);
          const done = await ctx.sessions.passSecondFactor(trx, auth.session);
          await recordDeviceSignIn(trx, { deviceId: auth.session.device_id, userId: auth.user.id, accountId: auth.account.id });
          await auditSuccess(trx);
          return codeStep === 'add_security_key' ? { ...done, session: await holdForSecurityKey(trx, done.session) } : done;
        });
      } catch (error) {
        await reservation.release();
        throw error;
      }
      if (!result) {
        await recordLockouts(db, await reservation.fail(), lockoutContext(request, auth));
        await recordAudit(db, { accountId: auth.account.id, actorId: null, subjectUserId: auth.user.id, action: 'sign_in.failed', details: { step: 'second_factor', method: body.method }, request: requestContext(request) });
        throw new ApiError('invalid_code');
      }
      passed = result;
    }
    setSessionCookie(ctx, reply, passed.token, passed.session.expires_at);
    return { token: passed.token, session: sessionView(passed.session) };
  });

  r.delete('/sessions/current', { config: { access: access.anySession }, schema: { tags: ['sessions'], summary: 'Sign out' } }, async (request, reply) => {
    const auth = authOf(request);
    await ctx.sessions.revoke([auth.session.id], 'signed_out');
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    reply.code(204);
    return reply.send();
  });
}
