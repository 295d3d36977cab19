// The second step (and re-authentication): one flow, a strategy per factor — authenticator app,
// recovery code, security key. The flow holds the limits (a code: in the transaction that checks
// it), checks the factor, and in the same
// transaction activates the session under a new token, marks the device known and audits the
// success (both or neither); a wrong factor is counted with its lock-outs and audited.
import type { Kysely, Transaction } from 'kysely';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { recordAudit, type RequestContext } from '../../audit/audit.js';
import type { ServerContext } from '../../context.js';
import { DomainError, type ErrorCode } from '../../errors.js';
import { codeStepUnder, policyOf } from '../../second-factors/policy.js';
import { verifySecurityKeyAssertion } from '../../second-factors/security-keys.js';
import { acceptTotp } from '../../second-factors/totp.js';
import type { Database } from '../../store/schema.js';
import { preparedStatement } from '../../store/prepared.js';
import { recordDeviceSignIn } from '../devices.js';
import { recordSecondStepLockouts } from '../lockouts.js';
import type { AuthenticatedSession } from '../sessions.js';
import { attempt } from '../sign-in-flow.js';
import { secondFactorLimits, type Limit, type Lockout } from '../throttling.js';

type Trx = Transaction<Database>;

export type SecondStepInput =
  | { method: 'totp'; code: string }
  | { method: 'recovery_code'; code: string }
  | { method: 'security_key'; response: unknown };

type Method = SecondStepInput['method'];
type InputOf<M extends Method> = Extract<SecondStepInput, { method: M }>;

interface Step {
  auth: AuthenticatedSession;
  request: RequestContext & { address: string };
}

/** One factor of the second step. */
interface SecondStepStrategy<M extends Method> {
  /** What a code passes under the account's policy, decided before anything is counted (it may refuse). */
  passesTo(ctx: ServerContext, step: Step, input: InputOf<M>): Promise<'active' | 'add_security_key'>;
  limits(ctx: ServerContext, step: Step): Promise<Limit[]>;
  wrong: readonly ErrorCode[];
  /** Checked before the transaction (a challenge is spent whatever the outcome). */
  check?(ctx: ServerContext, step: Step, input: InputOf<M>): Promise<void>;
  /** Checked in the transaction that activates the session (a code is spent with it). */
  verify?(ctx: ServerContext, trx: Trx, step: Step, input: InputOf<M>): Promise<void>;
  /** A wrong factor's records, beside the counted failure. */
  failed(ctx: ServerContext, trx: Trx, step: Step, input: InputOf<M>, refusal: DomainError, lockouts: Lockout[]): Promise<void>;
}

/** The limits of a code of this user: a known device (as the session lookup found it) has its own budget. */
export async function codeLimits(_ctx: Pick<ServerContext, 'db'>, auth: AuthenticatedSession): Promise<Limit[]> {
  const knownDeviceId = auth.knownDevice && auth.session.device_id ? auth.session.device_id : undefined;
  return secondFactorLimits({ userId: auth.user.id, knownDeviceId });
}

/** A wrong code: counted (lock-outs for the admins) and in the audit log. */
async function codeFailed(_ctx: ServerContext, trx: Trx, { auth, request }: Step, input: { method: Method }, _refusal: DomainError, lockouts: Lockout[]) {
  await recordSecondStepLockouts(trx, lockouts, auth, request);
  await recordAudit(trx, { accountId: auth.account.id, actorId: null, subjectUserId: auth.user.id, action: 'sign_in.failed', details: { step: 'second_factor', method: input.method }, request });
}

/** Under "security keys only" a code is refused before anything is counted, or only lets a user with no key add one. */
const codeUnderPolicy = (ctx: ServerContext, { auth }: Step, input: { method: 'totp' | 'recovery_code' }) =>
  codeStepUnder(ctx.db, { policy: policyOf(auth.account), userId: auth.user.id, method: input.method });

/** A wrong security key: its refusal says why, and a counter going backwards is audited. */
class SecurityKeyRefused extends DomainError {
  constructor(
    message: string,
    readonly cloneSuspected: boolean,
    readonly methodId: string | undefined,
  ) {
    super('security_key_rejected', message);
    // The key may be a copy: clients say so in their words.
    if (cloneSuspected) this.reason = 'counter_regression';
  }
}

/** The user's confirmed authenticator apps: every second step by code reads them, compiled once (store/prepared.ts). */
const appsOf = preparedStatement(['userId'], (db: Kysely<Database>, a: { userId: string }) =>
  db.selectFrom('methods').select(['id', 'totp_secret', 'totp_last_step']).where('user_id', '=', a.userId).where('type', '=', 'totp').where('confirmed', '=', 1).compile(),
);

const strategies: { [M in Method]: SecondStepStrategy<M> } = {
  totp: {
    passesTo: codeUnderPolicy,
    limits: (ctx, { auth }) => codeLimits(ctx, auth),
    wrong: ['invalid_code'],
    async verify(ctx, trx, { auth }, input) {
      const { rows: methods } = await appsOf(trx, { userId: auth.user.id });
      if ((await acceptTotp(trx, ctx.box, methods, input.code.replace(/\s/g, ''))) === null) throw new DomainError('invalid_code');
    },
    failed: codeFailed,
  },
  recovery_code: {
    passesTo: codeUnderPolicy,
    // Recovery codes share the app's limit: a lock blocks both.
    limits: (ctx, { auth }) => codeLimits(ctx, auth),
    wrong: ['invalid_code'],
    async verify(ctx, trx, { auth }, input) {
      if (!(await ctx.recoveryCodes.use(trx, auth.user.id, input.code))) throw new DomainError('invalid_code');
      const left = await ctx.recoveryCodes.remaining(trx, auth.user.id);
      await recordAudit(trx, { accountId: auth.account.id, actorId: auth.user.id, action: 'recovery_code.used', details: { recoveryCodesLeft: left } });
    },
    failed: codeFailed,
  },
  security_key: {
    passesTo: async () => 'active',
    // A signature is not guessed: nothing is counted (the challenge is single-use and bound to the session).
    limits: async () => [],
    wrong: ['security_key_rejected'],
    async check(ctx, { auth }, input) {
      const result = await verifySecurityKeyAssertion(ctx.db, ctx.rp, {
        sessionId: auth.session.id,
        userId: auth.user.id,
        response: input.response as AuthenticationResponseJSON,
        userVerification: auth.account.user_verification,
      });
      if (!result.ok) throw new SecurityKeyRefused(result.message, result.cloneSuspected, result.methodId);
    },
    async failed(_ctx, trx, { auth }, _input, refusal) {
      if (refusal instanceof SecurityKeyRefused && refusal.cloneSuspected) {
        await recordAudit(trx, { accountId: auth.account.id, actorId: auth.user.id, action: 'security_key.counter_regression', details: { methodId: refusal.methodId } });
      }
    },
  },
};

/**
 * Passes the second step (or re-authenticates an active session) with one factor: the session
 * becomes active under a new token, the old one ends.
 */
export async function passSecondStep(ctx: ServerContext, step: Step, input: SecondStepInput) {
  return passWith(ctx, step, input, strategies[input.method] as SecondStepStrategy<Method>);
}

async function passWith<M extends Method>(ctx: ServerContext, step: Step, input: InputOf<M>, strategy: SecondStepStrategy<M>) {
  const { auth, request } = step;
  const passesTo = await strategy.passesTo(ctx, step, input);
  return attempt(ctx, {
    limits: await strategy.limits(ctx, step),
    wrong: strategy.wrong,
    counted: { step: 'second_step', method: input.method },
    // A code is checked in `verify`, cheaply: the limits are held by the transaction that checks it.
    inline: !strategy.check,
    check: strategy.check && (async () => strategy.check!(ctx, step, input)),
    verify: async (trx) => {
      await strategy.verify?.(ctx, trx, step, input);
      const done = await ctx.sessions.passSecondFactor(trx, auth.session, undefined, auth.account);
      await recordDeviceSignIn(trx, { deviceId: auth.session.device_id, userId: auth.user.id, accountId: auth.account.id });
      await recordAudit(trx, {
        accountId: auth.account.id,
        actorId: auth.user.id,
        // Who, from the session's own lookup: the entry needs no subquery for it.
        actor: { name: auth.user.name, email: auth.user.email },
        action: 'sign_in.succeeded',
        details: { step: auth.session.state === 'active' ? 'reauthentication' : 'second_factor', method: input.method },
        request,
      });
      return passesTo === 'add_security_key' ? { ...done, session: await ctx.sessions.holdForSecurityKey(trx, done.session) } : done;
    },
    failed: (trx, refusal, lockouts) => strategy.failed(ctx, trx, step, input, refusal, lockouts),
  });
}
