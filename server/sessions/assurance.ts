// Session assurance: a session is only as strong as what it passed, judged against the user's
// methods *now*. A session records whether (and when) it passed a second factor; this is the
// one place that decides what that allows, on every request (sessions.ts authenticate) and when
// a method is added (http/routes/me.ts). No route re-derives it.
import type { RevocationReason } from './events.js';
import { missingFactorReason, policyOf } from '../second-factors/policy.js';
import type { AccountsTable, SessionsTable, UsersTable } from '../store/schema.js';

export type Judgement = { ok: true } | { ok: false; reason: RevocationReason };

/** Whether the session may go on, given the user's methods and the account's requirement now. */
export function judgeSession(
  session: Pick<SessionsTable, 'state' | 'second_factor_at' | 'remembered_at' | 'postponed_at' | 'postponed_until'>,
  user: Pick<UsersTable, 'has_two_factor'>,
  account: Pick<AccountsTable, 'require_two_factor' | 'second_factor_policy'>,
  now = Date.now(),
): Judgement {
  // Passed a second factor: as strong as a session gets.
  if (session.second_factor_at !== null) return { ok: true };
  // Password accepted, second step pending: it can only pass the second step.
  if (session.state === 'two_factor_required') return { ok: true };
  // Password on a device the user remembered (sessions/remembered-devices.ts): it skipped the
  // second step because the user has a method, and lives while they do. It is not a factor:
  // second_factor_at stays null, so every sensitive change still asks for one.
  if (session.remembered_at != null && session.state === 'active' && user.has_two_factor === 1) return { ok: true };
  // Password only, and the user now has a method (added from another session): whoever holds
  // this session never proved it, so it ends — an enrolment session most of all, or it could
  // add an attacker's method beside the owner's.
  if (user.has_two_factor === 1) return { ok: false, reason: 'second_factor_added' };
  // Password only, no method, enrolment postponed within the user's grace (enforcement/grace.ts):
  // it lives while the grace does (its end date, `postponed_until`, kept in step when an admin
  // changes it; none for a grace by count only), at most its lifetime; the next sign-in asks
  // again. Never a factor (second_factor_at is null). Past the end it ends as when an admin ends
  // the grace: with the reason an enforcement save gives, and only while 2FA is required of them.
  if (session.postponed_at != null && session.state === 'active') {
    if (session.postponed_until == null || Number(session.postponed_until) > now) return { ok: true };
    if (account.require_two_factor === 1) return { ok: false, reason: missingFactorReason(policyOf(account)) };
    return { ok: true };
  }
  // Password only, no method: fine while 2FA is not required, or while it is only enrolling.
  if (session.state === 'active' && account.require_two_factor === 1) return { ok: false, reason: 'two_factor_required' };
  return { ok: true };
}
