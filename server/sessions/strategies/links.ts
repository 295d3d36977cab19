// The ways in by link (an invitation, a password reset) and the password change: each secret
// goes through the sign-in flow. A link's token presented from an address counts against that
// address when it is wrong or spent, as a wrong password would; a wrong current password counts
// against its user.
import type { RequestContext } from '../../audit/audit.js';
import type { ServerContext } from '../../context.js';
import { acceptInvitation, describeInvitation } from '../../people/invitations.js';
import { changePassword, completePasswordReset } from '../../people/password-resets.js';
import { attempt, countRequest, type FlowStore } from '../sign-in-flow.js';
import { limitKeys, passwordSubject, type Limit } from '../throttling.js';

function withLinkLimit<T>(store: FlowStore, address: string, use: () => Promise<T>): Promise<T> {
  return attempt(store, { limits: [{ name: 'linkAddress', key: limitKeys.linkAddress(address) }], wrong: ['invalid_link'], check: use });
}

/** Whose invitation a link is (before choosing a password). */
export function previewInvitation(ctx: ServerContext, input: { token: string; address: string }) {
  return withLinkLimit(ctx, input.address, () => describeInvitation(ctx.db, input.token));
}

/** An invited user chooses their password (then signs in as usual). */
export function acceptInvitationLink(ctx: ServerContext, input: Parameters<typeof acceptInvitation>[1] & { address: string }) {
  return withLinkLimit(ctx, input.address, () => acceptInvitation(ctx.db, input));
}

/** A new password from a reset link: every session ends. */
export function completeResetLink(ctx: ServerContext, input: Parameters<typeof completePasswordReset>[2] & { address: string }) {
  return withLinkLimit(ctx, input.address, () => completePasswordReset(ctx.db, ctx.events, input));
}

/**
 * A reset link asked for: counted against the address (429 once it is locked) and against what
 * was typed. Keyed by what was typed, an unknown email is throttled the same way; the answer is
 * the same either way, so the limit tells nothing about whether the email exists. False: the
 * target's limit is locked and no mail is to be sent.
 */
export async function countResetRequest(store: FlowStore, input: { account: string; email: string; address: string }): Promise<boolean> {
  const address: Limit[] = [{ name: 'passwordResetAddress', key: limitKeys.passwordResetAddress(input.address) }];
  await countRequest(store, address);
  return countRequest(store, [{ name: 'passwordResetTarget', key: limitKeys.passwordResetTarget(passwordSubject(input.account, input.email)) }], { quiet: true });
}

/** The signed-in user changes their password, proving the current one; their other sessions end. */
export function changeMyPassword(ctx: ServerContext, input: { userId: string; accountId: string; sessionId: string; currentPassword: string; newPassword: string; request?: RequestContext | undefined }) {
  return attempt(ctx, {
    limits: [{ name: 'passwordChangeUser', key: limitKeys.passwordChangeUser(input.userId) }],
    wrong: ['current_password_incorrect'],
    check: () => changePassword(ctx.db, ctx.events, input),
  });
}
