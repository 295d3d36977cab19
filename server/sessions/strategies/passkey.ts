// Sign in with a security key alone (a passkey): both factors in one step. The options store a
// challenge for nobody yet, each counted against the address; the signed assertion is checked
// under the credential's, its user's and the address's limits, and answers an active session
// that has passed both factors.
import { assertAddressAllowed } from '../sign-in-networks.js';
import { localSignInGate } from '../../sso/sign-in-settings.js';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { recordAudit, type RequestContext } from '../../audit/audit.js';
import type { ServerContext } from '../../context.js';
import { DomainError } from '../../errors.js';
import {
  findPasskey,
  passkeyLimits,
  passkeyOptions,
  passwordlessAccount,
  takePasskeyChallenge,
  verifyPasskeyAssertion,
} from '../../second-factors/passkeys.js';
import { deviceForSignIn, findDevice, isKnownDevice, recordDeviceSignIn } from '../devices.js';
import { recordLockouts } from '../lockouts.js';
import { attempt, clearRequests, countRequest } from '../sign-in-flow.js';
import { describeWait, LimitReached, limitKeys, passkeyOptionsLimits, type Limit } from '../throttling.js';

/** The limit on challenges stored for one address (POST /sessions/passkey-options). */
const optionsLimits = (address: string): Limit[] => [{ name: 'passkeyOptionsAddress', key: limitKeys.passkeyOptionsAddress(address) }];

/** The address's or account's limit, told as what it is: no wrong attempt, and nothing an admin lifts. */
function tooManyOptions(reached: LimitReached): DomainError {
  const seconds = reached.retryAfterSeconds ?? 1;
  const where = reached.lockout?.name === 'passkeyOptionsAccount' ? 'for this account' : reached.lockout?.name === 'passkeyOptionsDevice' ? 'on this device' : 'from this network';
  const error = new DomainError('too_many_attempts', `Too many sign-ins with a security key were started ${where}. Try again in ${describeWait(seconds)}.`, seconds);
  error.extra = reached.extra;
  return error;
}

/** The request options of a passkey sign-in for the account. */
export async function startPasskeySignIn(ctx: ServerContext, input: { account: string; address: string; deviceToken: string | undefined }) {
  const account = await passwordlessAccount(ctx.db, input.account);
  assertAddressAllowed(account.allowed_networks, input.address);
  // Each answer stores a challenge row, for nobody yet: every one counts against the address
  // and the account (or a known device's own budget) before it is stored (an account with the
  // switch off stores nothing and counts nothing).
  const device = await findDevice(ctx.db, input.deviceToken);
  const limits = await passkeyOptionsLimits(ctx.db, { accountId: account.id, address: input.address, deviceId: device?.id });
  await countRequest(ctx, limits).catch((error: unknown) => {
    throw error instanceof LimitReached ? tooManyOptions(error) : error;
  });
  return passkeyOptions(ctx.db, ctx.rp, account);
}

/** A signed passkey assertion unknown, unverified or from a key whose counter went backwards. */
class PasskeyRefused extends DomainError {
  constructor(
    message: string,
    readonly why: 'unknown_credential' | 'counter_regression' | 'not_verified',
  ) {
    super('security_key_rejected', message);
    // The key may be a copy: clients say so in their words.
    if (why === 'counter_regression') this.reason = 'counter_regression';
  }
}

export async function signInWithPasskey(
  ctx: ServerContext,
  input: { account: string; challengeId?: string | undefined; response: AuthenticationResponseJSON; deviceToken: string | undefined; request: RequestContext & { address: string } },
) {
  const { db } = ctx;
  const { response, request } = input;
  const { address } = request;
  const userAgent = request.userAgent ?? undefined;
  const account = await passwordlessAccount(db, input.account);
  // From outside the account's networks: refused before any key is looked at.
  assertAddressAllowed(account.allowed_networks, address);
  const expectedChallenge = await takePasskeyChallenge(db, { accountSlug: account.slug, challengeId: input.challengeId, response });
  // Which key and whose: no secret is checked yet (credential ids are not secrets).
  const [passkey, presented] = await Promise.all([findPasskey(db, account.id, response.id), findDevice(db, input.deviceToken)]);
  // Under SSO only a key alone is a local way in like a password: only a break-glass admin's key
  // goes on (sso/sign-in-settings.ts), checked before its signature, the same for every other key.
  const gate = await localSignInGate(db, { slug: account.slug, userId: passkey?.user_id ?? '' });
  if (gate.ssoOnly && !gate.breakGlass) throw new DomainError('sso_only');
  const knownDeviceId = passkey && presented && (await isKnownDevice(db, presented.id, passkey.user_id)) ? presented.id : undefined;
  const signedIn = await attempt(ctx, {
    // Reserved before the signature is checked: parallel guesses cannot pass a limit.
    limits: passkeyLimits({ credentialId: response.id, userId: passkey?.user_id, address, knownDeviceId }),
    wrong: ['security_key_rejected'],
    counted: { step: 'sign_in', method: 'passkey' },
    // Outside the transaction: the challenge is spent and the counter moved whatever follows.
    check: async () => {
      if (!passkey) throw new PasskeyRefused('This security key is not set up to sign in to this account without a password.', 'unknown_credential');
      const result = await verifyPasskeyAssertion(db, ctx.rp, passkey, { response, expectedChallenge });
      if (!result.ok) throw new PasskeyRefused(result.message, result.cloneSuspected ? 'counter_regression' : 'not_verified');
      return passkey;
    },
    // The key proved possession and the user (PIN or fingerprint): both factors, now.
    verify: async (trx, key) => {
      const { device, token: newDeviceToken } = await deviceForSignIn(trx, { existing: presented, address, userAgent });
      const created = await ctx.sessions.create(trx, { userId: key.user_id, accountId: account.id, state: 'active', clientAddress: address, userAgent, deviceId: device.id });
      const passed = await ctx.sessions.passSecondFactor(trx, created.session);
      await recordDeviceSignIn(trx, { deviceId: device.id, userId: key.user_id, accountId: account.id });
      await recordAudit(trx, {
        accountId: account.id,
        actorId: key.user_id,
        action: 'sign_in.succeeded',
        details: { method: 'passkey', methodId: key.id },
        request: { ...request, deviceId: device.id },
      });
      return { ...passed, passkey: key, deviceToken: newDeviceToken ?? input.deviceToken! };
    },
    failed: async (trx, refusal, lockouts) => {
      const reason = refusal instanceof PasskeyRefused ? refusal.why : 'not_verified';
      if (passkey && reason === 'counter_regression') {
        await recordAudit(trx, { accountId: account.id, actorId: passkey.user_id, action: 'security_key.counter_regression', details: { methodId: passkey.id }, request });
      }
      if (passkey) {
        await recordLockouts(trx, lockouts, {
          user: { id: passkey.user_id, account_id: account.id, email: passkey.user_email, name: passkey.user_name },
          step: 'second_factor',
          address,
          deviceId: presented?.id,
          userAgent,
        });
      }
      await recordAudit(trx, { accountId: account.id, actorId: null, subjectUserId: passkey?.user_id ?? null, action: 'sign_in.failed', details: { method: 'passkey', reason }, request });
    },
  });
  // A challenge from this address was used by its owner: the floor behind it is signing in,
  // not flooding, so its count of challenges starts again (a lock already set runs out).
  await clearRequests(ctx, optionsLimits(address));
  return { ...signedIn, account };
}
