// Sign in with a security key alone: the request options, then the signed assertion, which
// answers as POST /sessions does with an active session that has passed both factors.
import type { FastifyInstance } from 'fastify';
import { access } from '../access.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { Type } from 'typebox';
import { recordAudit, requestContext } from '../../audit/audit.js';
import { userView } from '../../people/accounts.js';
import type { ServerContext } from '../../context.js';
import { ApiError } from '../errors.js';
import { AuthenticationResponse, Id } from '../schemas.js';
import {
  findPasskey,
  passkeyLimits,
  passkeyOptions,
  passwordlessAccount,
  takePasskeyChallenge,
  verifyPasskeyAssertion,
} from '../../second-factors/passkeys.js';
import { assertionRefused } from '../../second-factors/security-keys.js';
import { deviceForSignIn, findDevice, isKnownDevice, presentedDeviceToken, recordDeviceSignIn, setDeviceCookie } from '../../sessions/devices.js';
import { recordLockouts } from '../../sessions/lockouts.js';
import { describeWait, limitKeys, LimitReached, passkeyOptionsLimits, type Limit } from '../../sessions/throttling.js';
import { sessionView } from '../../sessions/sessions.js';
import { listMethods } from '../../second-factors/methods.js';
import { methodAllowed, policyOf } from '../../second-factors/policy.js';
import { authOf } from '../auth.js';
import { setSessionCookie } from './sessions.js';

const strict = { additionalProperties: false } as const;
const AccountSlug = Type.String({ minLength: 1, maxLength: 64 });
const DeviceToken = Type.String({ pattern: '^[A-Za-z0-9_-]{20,100}$' });

export const PasskeyOptionsBody = Type.Object({ account: AccountSlug, deviceToken: Type.Optional(DeviceToken) }, strict);
export const PasskeySignInBody = Type.Object(
  {
    account: AccountSlug,
    /** From the options; without it the challenge is found by the value the response signed. */
    challengeId: Type.Optional(Id),
    response: AuthenticationResponse,
    deviceToken: Type.Optional(DeviceToken),
  },
  strict,
);

/** The limit on challenges stored for one address (POST /sessions/passkey-options). */
const optionsLimits = (address: string): Limit[] => [{ name: 'passkeyOptionsAddress', key: limitKeys.passkeyOptionsAddress(address) }];

/** The address's or account's limit, told as what it is: no wrong attempt, and nothing an admin lifts. */
function tooManyOptions(reached: LimitReached): ApiError {
  const seconds = reached.retryAfterSeconds ?? 1;
  const where = reached.lockout?.name === 'passkeyOptionsAccount' ? 'for this account' : reached.lockout?.name === 'passkeyOptionsDevice' ? 'on this device' : 'from this network';
  const error = new ApiError('too_many_attempts', `Too many sign-ins with a security key were started ${where}. Try again in ${describeWait(seconds)}.`, seconds);
  error.extra = reached.extra;
  return error;
}

export function passkeyRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;
  securityPolicyRoute(app, ctx);
  const secure = ctx.rp.origins.some((o) => o.startsWith('https:'));

  r.post('/sessions/passkey-options', { config: { access: access.public }, schema: { body: PasskeyOptionsBody, tags: ['sessions'], summary: 'WebAuthn request options to sign in with a security key alone' } }, async (request) => {
    const account = await passwordlessAccount(db, request.body.account);
    // Each answer stores a challenge row, for nobody yet: every one counts against the address
    // and the account (or a known device's own budget) before it is stored (an account with the
    // switch off stores nothing and counts nothing).
    const device = await findDevice(db, presentedDeviceToken(request, request.body.deviceToken));
    const limits = await passkeyOptionsLimits(db, { accountId: account.id, address: request.ip, deviceId: device?.id });
    const reservation = await ctx.throttle.reserve(limits).catch((error: unknown) => {
      throw error instanceof LimitReached ? tooManyOptions(error) : error;
    });
    await reservation.fail();
    return passkeyOptions(db, ctx.rp, account);
  });

  r.post('/sessions/passkey', { config: { access: access.public }, schema: { body: PasskeySignInBody, tags: ['sessions'], summary: 'Sign in with a security key alone (both factors)' } }, async (request, reply) => {
    const body = request.body;
    const response = body.response as AuthenticationResponseJSON;
    const address = request.ip;
    const userAgent = request.headers['user-agent'];
    const account = await passwordlessAccount(db, body.account);
    const expectedChallenge = await takePasskeyChallenge(db, { accountSlug: account.slug, challengeId: body.challengeId, response });
    // Which key and whose: no secret is checked yet (credential ids are not secrets).
    const presentedToken = presentedDeviceToken(request, body.deviceToken);
    const [passkey, presented] = await Promise.all([findPasskey(db, account.id, response.id), findDevice(db, presentedToken)]);
    const knownDeviceId = passkey && presented && (await isKnownDevice(db, presented.id, passkey.user_id)) ? presented.id : undefined;
    // Reserved before the signature is checked: parallel guesses cannot pass a limit.
    const reservation = await ctx.throttle.reserve(passkeyLimits({ credentialId: response.id, userId: passkey?.user_id, address, knownDeviceId }));
    const context = requestContext(request);
    const refuse = async (reason: string, message: string) => {
      const lockouts = await reservation.fail();
      if (passkey) {
        await recordLockouts(db, lockouts, {
          user: { id: passkey.user_id, account_id: account.id, email: passkey.user_email, name: passkey.user_name },
          step: 'second_factor',
          address,
          deviceId: presented?.id,
          userAgent,
        });
      }
      await recordAudit(db, {
        accountId: account.id,
        actorId: null,
        subjectUserId: passkey?.user_id ?? null,
        action: 'sign_in.failed',
        details: { method: 'passkey', reason },
        request: context,
      });
      throw assertionRefused({ cloneSuspected: reason === 'counter_regression', message });
    };
    if (!passkey) return refuse('unknown_credential', 'This security key is not set up to sign in to this account without a password.');
    let result;
    try {
      result = await verifyPasskeyAssertion(db, ctx.rp, passkey, { response, expectedChallenge });
    } catch (error) {
      await reservation.release();
      throw error;
    }
    if (!result.ok) {
      if (result.cloneSuspected) {
        await recordAudit(db, { accountId: account.id, actorId: passkey.user_id, action: 'security_key.counter_regression', details: { methodId: passkey.id }, request: context });
      }
      return refuse(result.cloneSuspected ? 'counter_regression' : 'not_verified', result.message);
    }
    await reservation.succeed();
    // A challenge from this address was used by its owner: the floor behind it is signing in,
    // not flooding, so its count of challenges starts again (a lock already set runs out).
    const options = await ctx.throttle.reserve(optionsLimits(address)).catch((error: unknown) => {
      if (error instanceof LimitReached) return undefined;
      throw error;
    });
    await options?.succeed();

    // The key proved possession and the user (PIN or fingerprint): both factors, now.
    const signedIn = await db.transaction().execute(async (trx) => {
      const { device, token: newDeviceToken } = await deviceForSignIn(trx, { existing: presented, address, userAgent });
      const created = await ctx.sessions.create(trx, { userId: passkey.user_id, accountId: account.id, state: 'active', clientAddress: address, userAgent, deviceId: device.id });
      const passed = await ctx.sessions.passSecondFactor(trx, created.session);
      await recordDeviceSignIn(trx, { deviceId: device.id, userId: passkey.user_id, accountId: account.id });
      await recordAudit(trx, {
        accountId: account.id,
        actorId: passkey.user_id,
        action: 'sign_in.succeeded',
        details: { method: 'passkey', methodId: passkey.id },
        request: { ...context, deviceId: device.id },
      });
      return { ...passed, deviceToken: newDeviceToken ?? presentedToken! };
    });
    setSessionCookie(ctx, reply, signedIn.token, signedIn.session.expires_at);
    setDeviceCookie(reply, signedIn.deviceToken, secure);
    reply.code(201);
    return {
      token: signedIn.token,
      deviceToken: signedIn.deviceToken,
      session: sessionView(signedIn.session),
      user: userView({ id: passkey.user_id, name: passkey.user_name, email: passkey.user_email, role: passkey.user_role }),
      // Signed in already: the methods are for My security, not a second step.
      methods: await listMethods(db, passkey.user_id),
      account: { id: account.id, name: account.name, slug: account.slug, requireTwoFactor: account.require_two_factor === 1 },
    };
  });
}

/** POST /me/methods/security-keys/options: `passwordless` asks for a discoverable credential and user verification. */
export const SecurityKeyOptionsBody = Type.Object({ passwordless: Type.Optional(Type.Boolean()) }, strict);

/** GET /me/security-policy: what the account accepts, for My security and enrolment to explain it. */
export function securityPolicyRoute(app: FastifyInstance, ctx: ServerContext): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get('/me/security-policy', { config: { access: access.enrollment }, schema: { tags: ['me'], summary: "The account's second-factor policy and whether keys may sign in alone" } }, async (request) => {
    const account = await ctx.db
      .selectFrom('accounts')
      .select(['second_factor_policy', 'passwordless_sign_in'])
      .where('id', '=', authOf(request).account.id)
      .executeTakeFirstOrThrow();
    const policy = policyOf(account);
    return {
      secondFactorPolicy: policy,
      passwordlessSignIn: account.passwordless_sign_in === 1,
      allowedMethods: (['security_key', 'totp'] as const).filter((type) => methodAllowed(policy, type)),
    };
  });
}
