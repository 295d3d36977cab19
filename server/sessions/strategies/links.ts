// The ways in by link (an invitation, a password reset) and the password change: each secret
// goes through the sign-in flow. A link's token presented from an address counts against that
// address when it is wrong or spent, as a wrong password would; a wrong current password counts
// against its user.
import { recordAudit, type RequestContext } from '../../audit/audit.js';
import { verifyPassword } from '../../people/passwords.js';
import type { AuthenticatedSession } from '../sessions.js';
import type { ServerContext } from '../../context.js';
import { acceptInvitation, describeInvitation } from '../../people/invitations.js';
import { changePassword, completePasswordReset, requestPasswordReset } from '../../people/password-resets.js';
import { DomainError } from '../../errors.js';
import { findDevice } from '../devices.js';
import { attempt, countRequest, type FlowStore } from '../sign-in-flow.js';
import { LimitReached, limitKeys, passwordResetLimits } from '../throttling.js';

/**
 * Tokens presented from one address: a wrong one counts, as a wrong password would. A locked
 * address still has its valid tokens honoured: a token is 256 random bits, so the lock guards
 * no secret, and an office whose NAT a stranger (or a typo-prone colleague) filled with wrong
 * tokens must not keep a colleague from their own invitation. While locked, a token is looked
 * up by its hash (one indexed read, before any password is hashed: the domain functions check
 * the link first) and a wrong one gets the 429, counting nothing and extending nothing.
 */
async function withLinkLimit<T>(store: FlowStore, address: string, use: () => Promise<T>): Promise<T> {
  try {
    return await attempt(store, { limits: [{ name: 'linkAddress', key: limitKeys.linkAddress(address) }], wrong: ['invalid_link'], check: use });
  } catch (error) {
    if (!(error instanceof LimitReached)) throw error;
    try {
      return await use();
    } catch (refused) {
      throw refused instanceof DomainError && refused.code === 'invalid_link' ? error : refused;
    }
  }
}

/** Whose invitation a link is (before choosing a password). */
export function previewInvitation(ctx: ServerContext, input: { token: string; address: string }) {
  return withLinkLimit(ctx, input.address, () => describeInvitation(ctx.db, input.token));
}

/** An invited user chooses their password (then signs in as usual). */
export function acceptInvitationLink(ctx: ServerContext, input: Parameters<typeof acceptInvitation>[2] & { address: string }) {
  return withLinkLimit(ctx, input.address, () => acceptInvitation(ctx.db, ctx.passwords, input));
}

/** A new password from a reset link: every session ends. */
export function completeResetLink(ctx: ServerContext, input: Parameters<typeof completePasswordReset>[3] & { address: string }) {
  return withLinkLimit(ctx, input.address, () => completePasswordReset(ctx.db, ctx.events, ctx.passwords, input));
}

/** A reset link asked for from an address: every request counts (429 once it is locked), whatever the email. */
export async function countResetRequest(store: FlowStore, address: string): Promise<void> {
  await countRequest(store, [{ name: 'passwordResetAddress', key: limitKeys.passwordResetAddress(address) }]);
}

/**
 * The reset mail for what was typed, if any is to be sent: run after the answer, so that its
 * time cannot tell whether the email exists. Keyed by what was typed (an unknown email is
 * throttled the same way), or by the owner's own device (throttling.ts passwordResetLimits); a
 * refused request counts nothing, so the lock never renews.
 */
export async function resetMailFor(ctx: ServerContext, input: { account: string; email: string; deviceToken: string | undefined; publicOrigin: string; request: RequestContext }) {
  const device = await findDevice(ctx.db, input.deviceToken);
  const counted = await countRequest(ctx, await passwordResetLimits(ctx.db, { account: input.account, email: input.email, deviceId: device?.id }), { quiet: true });
  if (!counted) return undefined;
  return requestPasswordReset(ctx.db, { account: input.account, email: input.email, publicOrigin: input.publicOrigin, request: input.request });
}

/** The signed-in user changes their password, proving the current one; their other sessions end. */
export function changeMyPassword(ctx: ServerContext, input: Parameters<typeof changePassword>[3]) {
  type Changed = Awaited<ReturnType<typeof changePassword>>;
  return attempt<Changed, Changed>(ctx, {
    limits: [{ name: 'passwordChangeUser', key: limitKeys.passwordChangeUser(input.userId), userId: input.userId }],
    wrong: ['current_password_incorrect'],
    check: () => changePassword(ctx.db, ctx.events, ctx.passwords, input),
  });
}

/**
 * A user with no method enters their password again (before adding a first method, or any
 * sensitive change): re-authentication, answered under a new token (ASVS 7.2.4), counted against
 * the same per-user limit as a password change.
 */
export function confirmMyPassword(ctx: ServerContext, input: { auth: AuthenticatedSession; password: string; request?: RequestContext | undefined }) {
  const { auth } = input;
  if (auth.user.has_two_factor === 1) throw new DomainError('invalid_request', 'You have a sign-in method: confirm it is you with it instead.');
  return attempt(ctx, {
    limits: [{ name: 'passwordChangeUser', key: limitKeys.passwordChangeUser(auth.user.id), userId: auth.user.id }],
    wrong: ['current_password_incorrect'],
    check: async () => {
      const user = await ctx.db.selectFrom('users').select('password_hash').where('id', '=', auth.user.id).executeTakeFirstOrThrow();
      if (!(await verifyPassword(user.password_hash, input.password))) throw new DomainError('current_password_incorrect', 'That password is not correct.');
    },
    verify: async (trx) => {
      const done = await ctx.sessions.confirmPassword(trx, auth.session);
      await recordAudit(trx, { accountId: auth.account.id, actorId: auth.user.id, action: 'session.password_confirmed', details: {}, request: input.request });
      return done;
    },
  });
}
