// An admin's one-time enrolment code, redeemed by a forced enrolment from an unknown device:
// the session may then set up a first method. Throttled per session (sessions/throttling.ts
// `enrollmentCodeSession`): whoever else holds the password guesses in their own sessions and
// cannot block the owner's valid code. The limit is held, the code checked and spent (or the
// failure counted) in one transaction (sign-in-flow.ts, inline), and of two uses of one code only
// one spends it.
import { recordAudit, type RequestContext } from '../../audit/audit.js';
import type { ServerContext } from '../../context.js';
import { DomainError } from '../../errors.js';
import type { EnrollmentCodes } from '../../enforcement/enrollment-policy.js';
import { notify } from '../../notifications/security-activity.js';
import { recordSecondStepLockouts } from '../lockouts.js';
import type { AuthenticatedSession } from '../sessions.js';
import { attempt } from '../sign-in-flow.js';
import { enrollmentCodeLimits } from '../throttling.js';

export async function redeemEnrolmentCode(
  ctx: ServerContext,
  codes: EnrollmentCodes,
  { auth, request }: { auth: AuthenticatedSession; request: RequestContext & { address: string } },
  code: string,
): Promise<void> {
  if (auth.session.state !== 'enrollment_required') throw new DomainError('invalid_request', 'Only a session that must set up two-factor authentication redeems an enrolment code.');
  await attempt(ctx, {
    limits: enrollmentCodeLimits({ sessionId: auth.session.id, userId: auth.user.id }),
    wrong: ['invalid_code'],
    // A digest compared: cheap, checked in the transaction that holds the limit.
    inline: true,
    verify: async (trx) => {
      const redeemed = await codes.redeem(trx, { userId: auth.user.id, sessionId: auth.session.id, code });
      if (!redeemed) throw new DomainError('invalid_code', 'That enrolment code is not correct, has expired or has already been used.');
      await recordAudit(trx, { accountId: auth.account.id, actorId: auth.user.id, action: 'enrollment_code.redeemed', details: {}, request });
      await notify(trx, { accountId: auth.account.id, userId: auth.user.id, kind: 'enrollment_code_redeemed', request });
    },
    failed: async (trx, _refusal, lockouts) => {
      await recordAudit(trx, { accountId: auth.account.id, actorId: auth.user.id, action: 'enrollment_code.refused', details: {}, request });
      await recordSecondStepLockouts(trx, lockouts, auth, request);
    },
  });
}
