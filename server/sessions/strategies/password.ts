// Sign in with account, email and password: the first step. Throttled by the name typed (so
// unknown emails lock the same way); a device this user signed in on has its own budget.
import { assertLocalSignInAllowed } from '../sign-in-networks.js';
import { localSignInGate } from '../../sso/sign-in-settings.js';
import { recordAudit, type RequestContext } from '../../audit/audit.js';
import type { ServerContext } from '../../context.js';
import { DomainError } from '../../errors.js';
import { verifyPassword } from '../../people/passwords.js';
import { recordSignIn } from '../../people/users.js';
import { deviceForSignIn, findDevice, isKnownDevice, recordDeviceSignIn } from '../devices.js';
import { recordLockouts } from '../lockouts.js';
import { remembersDevice } from '../remembered-devices.js';
import type { SessionState } from '../sessions.js';
import { attempt } from '../sign-in-flow.js';
import { grantGrace } from '../../enforcement/grace.js';
import { passwordLimits, passwordSubject } from '../throttling.js';
import { requirementApplies } from '../../enforcement/requirement-scope.js';

export interface PasswordSignIn {
  account: string;
  email: string;
  password: string;
  address: string;
  userAgent: string | undefined;
  /** The device token the client presented (cookie or body), if any. */
  deviceToken: string | undefined;
}

export async function signInWithPassword(ctx: ServerContext, input: PasswordSignIn) {
  const { db } = ctx;
  const { address, userAgent } = input;
  const subject = passwordSubject(input.account, input.email);
  const request: RequestContext = { address, userAgent: userAgent?.slice(0, 300) ?? null, deviceId: null };
  const lookUp = () =>
    db
      .selectFrom('users as u')
      .innerJoin('accounts as a', 'a.id', 'u.account_id')
      .select(['u.id', 'u.name', 'u.email', 'u.role', 'u.language', 'u.password_hash', 'u.has_two_factor', 'u.account_id', 'u.status', 'a.name as account_name', 'a.slug', requirementApplies('u', 'a').as('require_two_factor'), 'a.user_verification', 'a.remember_device_days', 'a.second_factor_policy', 'u.has_security_key'])
      .where('a.slug', '=', subject.slice(0, subject.indexOf(':')))
      .where('u.email', '=', subject.slice(subject.indexOf(':') + 1))
      .executeTakeFirst();
  // From outside the account's networks, or under SSO only: refused before any password is
  // looked at, so the answer is the same for a right password, a wrong one and an unknown email.
  // Only the account's break-glass admins pass both (sso/sign-in-settings.ts).
  assertLocalSignInAllowed(await localSignInGate(db, { slug: subject.slice(0, subject.indexOf(':')), email: subject.slice(subject.indexOf(':') + 1) }), address);
  const presented = await findDevice(db, input.deviceToken);
  // A device this user signed in on has its own budget: an attacker elsewhere cannot use it up.
  let found = presented ? await lookUp() : undefined;
  const knownDeviceId = found && presented && (await isKnownDevice(db, presented.id, found.id)) ? presented.id : undefined;
  return attempt(ctx, {
    // Every limit is reserved before the password is hashed. Without a device token nothing
    // needs the user first: a flood waits for its place before it costs even a lookup.
    limits: passwordLimits({ subject, address, knownDeviceId }),
    wrong: ['invalid_credentials'],
    counted: { step: 'sign_in', method: 'password' },
    check: async () => {
      if (!presented) found = await lookUp();
      // Invited (no password yet) and deactivated users get a wrong password's answer and cost.
      const ok = await verifyPassword(found?.status === 'active' ? found.password_hash : undefined, input.password);
      if (!found || !ok) throw new DomainError('invalid_credentials');
      return found;
    },
    verify: async (trx, user) => {
      await recordSignIn(trx, user.id);
      let state: SessionState = user.has_two_factor === 1 ? 'two_factor_required' : user.require_two_factor === 1 ? 'enrollment_required' : 'active';
      // A remembered personal device (sessions/remembered-devices.ts): only the token this
      // device presented, of a device still declared personal, in an account with remembering
      // on (read with the user: nothing more is asked when it is off), and never enrolment.
      const remembered =
        state === 'two_factor_required' &&
        Number(user.remember_device_days ?? 0) > 0 &&
        presented?.shared === 0 &&
        (await remembersDevice(trx, { deviceId: presented.id, userId: user.id, acceptedMethod: user.second_factor_policy !== 'security_keys' || user.has_security_key === 1 }));
      if (remembered) state = 'active';
      const { device, token: newDeviceToken } = await deviceForSignIn(trx, { existing: presented, address, userAgent });
      const created = await ctx.sessions.create(trx, { userId: user.id, accountId: user.account_id, state, clientAddress: address, userAgent, deviceId: device.id, passwordVerified: true, remembered });
      // A password alone into forced enrolment is not a sign-in: its own action in the log.
      await recordAudit(trx, { accountId: user.account_id, actorId: user.id, action: state === 'enrollment_required' ? 'sign_in.enrollment_required' : 'sign_in.succeeded', details: { step: 'password', state, ...(remembered ? { rememberedDevice: true } : {}) }, request: { ...request, deviceId: device.id } });
      // Signed in for good (no second step to come): the device is now known to this user.
      if (state === 'active') await recordDeviceSignIn(trx, { deviceId: device.id, userId: user.id, accountId: user.account_id });
      // Must enrol: the user's grace, granted the first time (enforcement/grace.ts).
      const grace = state === 'enrollment_required' ? await grantGrace(trx, { userId: user.id, accountId: user.account_id }) : null;
      return { ...created, user, grace, deviceToken: newDeviceToken ?? input.deviceToken!, deviceShared: device.shared ?? null };
    },
    failed: async (trx, _refusal, lockouts) => {
      const user = found ? { id: found.id, account_id: found.account_id, email: found.email, name: found.name } : undefined;
      await recordLockouts(trx, lockouts, { user, step: 'password', address, deviceId: presented?.id, userAgent });
      // A wrong password for a real user is in the admins' log, with where it came from.
      if (user) await recordAudit(trx, { accountId: user.account_id, actorId: null, subjectUserId: user.id, action: 'sign_in.failed', details: { step: 'password' }, request: { ...request, deviceId: presented?.id ?? null } });
    },
  });
}
