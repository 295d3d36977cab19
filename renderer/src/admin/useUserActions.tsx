import { useState, type ReactNode } from 'react';
import type { AccountUser, LinkSent, Role } from '../../../preload/agentdesk-api';
import { agentdesk } from '../api/bridge';
import { describeError } from '../api/error-messages';
import { formatDateTime } from '../dates';
import { count } from '../plurals';
import { EnrollmentCodeShown } from '../rollout/EnrollmentCodeShown';
import { useSession } from '../session-context';
import { LinkToHandOver } from './LinkToHandOver';
import { liveLockouts } from './lockouts';
import type { ConfirmedAction, Feedback } from './UserRow';
import type { RowAction } from './UserRowMenu';

const sessions = (n: number) => count(n, { one: 'session', other: 'sessions' });
const methods = (n: number) => count(n, { one: 'method', other: 'methods' });

/**
 * What an admin can do to each user, the question before a destructive one, and the answer
 * beside the user's row (or at the top, once the user is gone). `reload` runs after each.
 */
export function useUserActions(reload: () => void, onTopFeedback: (feedback: Feedback) => void) {
  const { current, sensitive, refresh } = useSession();
  const [feedback, setFeedback] = useState<Record<string, Feedback>>({});
  const [confirming, setConfirming] = useState<{ user: AccountUser; action: ConfirmedAction } | null>(null);

  function say(userId: string, value: Feedback | null) {
    setFeedback((f) => {
      const next = { ...f };
      if (value) next[userId] = value;
      else delete next[userId];
      return next;
    });
  }

  /** Every change to another user gives, restores or takes access: the server may ask for a fresh second factor first. */
  async function act(user: AccountUser, run: () => Promise<ReactNode | undefined>, _options: { sensitive?: boolean } = {}) {
    say(user.id, null);
    try {
      const text = await sensitive(run);
      if (text !== undefined) say(user.id, { tone: 'success', text });
    } catch (failure) {
      say(user.id, { tone: 'error', text: describeError(failure) });
    } finally {
      setConfirming(null);
      reload();
    }
  }

  function linkFeedback(user: AccountUser, sent: LinkSent, what: string): ReactNode {
    if (sent.emailed) return `${what} emailed to ${user.email}. It works once, until ${formatDateTime(sent.expiresAt)}.`;
    return (
      <LinkToHandOver
        intro={`Mail is not set up on this server: give ${user.name} this ${what.toLowerCase()} yourself (it works once, until ${formatDateTime(sent.expiresAt)}).`}
        link={sent.link!}
        label={`${what} for ${user.name}`}
      />
    );
  }

  function actionsFor(user: AccountUser): RowAction[] {
    const list: RowAction[] = [];
    if (user.status === 'invited') {
      list.push({ label: 'Resend invitation', run: () => void act(user, async () => linkFeedback(user, (await agentdesk.resendInvitation(user.id)).invitation, 'Invitation link')) });
    }
    if (user.status === 'active') {
      list.push({ label: 'Send password reset link', run: () => void act(user, async () => linkFeedback(user, await agentdesk.sendPasswordReset(user.id), 'Password reset link')) });
    }
    // Any lock, whatever it keys on (new devices, one device, an address, codes): one action lifts them all.
    if (liveLockouts(user).length) {
      list.push({
        label: 'Lift lock-out',
        run: () =>
          void act(
            user,
            async () => {
              await agentdesk.liftLockout(user.id);
              return `${user.name} can sign in again from any device.`;
            },
            { sensitive: true },
          ),
      });
    }
    if (user.status !== 'invited' && user.id !== current.user.id) {
      list.push({
        label: 'Sign out everywhere',
        run: () =>
          void act(user, async () => {
            const done = await agentdesk.signUserOutEverywhere(user.id);
            return done.revokedSessions === 0 ? `${user.name} had no session open.` : `${user.name} was signed out of ${sessions(done.revokedSessions)}, on every device.`;
          }),
      });
    }
    if (user.twoFactorEnabled) list.push({ label: 'Reset two-factor', run: () => setConfirming({ user, action: 'reset' }), danger: true });
    if (!user.twoFactorEnabled && user.status === 'active') {
      list.push({
        label: 'Issue enrolment code',
        run: () => void act(user, async () => <EnrollmentCodeShown name={user.name} issued={await agentdesk.issueEnrollmentCode(user.id)} />, { sensitive: true }),
      });
    }
    const otherRole: Role = user.role === 'admin' ? 'agent' : 'admin';
    list.push({
      label: otherRole === 'admin' ? 'Make admin' : 'Make agent',
      run: () =>
        void act(
          user,
          async () => {
            const done = await agentdesk.updateUser(user.id, { role: otherRole });
            if (user.id === current.user.id) void refresh();
            return `${user.name} is now ${done.user.role === 'admin' ? 'an admin' : 'an agent'}.`;
          },
          { sensitive: true },
        ),
    });
    if (user.status === 'deactivated') {
      list.push({
        label: 'Reactivate',
        run: () =>
          void act(user, async () => {
            const done = await agentdesk.updateUser(user.id, { status: 'active' });
            return done.user.status === 'invited' ? `${user.name} is reactivated; resend the invitation so they can choose a password.` : `${user.name} can sign in again.`;
          }),
      });
    } else {
      list.push({ label: 'Deactivate', run: () => setConfirming({ user, action: 'deactivate' }), danger: true });
    }
    list.push({ label: 'Delete', run: () => setConfirming({ user, action: 'delete' }), danger: true });
    return list;
  }

  async function confirm() {
    if (!confirming) return;
    const { user, action } = confirming;
    if (action === 'reset') {
      await act(
        user,
        async () => {
          const done = await agentdesk.resetUserTwoFactor(user.id);
          if (user.id === current.user.id) void refresh();
          return `Two-factor authentication reset: ${methods(done.removedMethods)} removed, ${sessions(done.revokedSessions)} signed out.`;
        },
        { sensitive: true },
      );
    } else if (action === 'deactivate') {
      await act(
        user,
        async () => {
          const { revokedSessions } = await agentdesk.updateUser(user.id, { status: 'deactivated' });
          return revokedSessions ? `${user.name} is deactivated and was signed out of ${sessions(revokedSessions)}.` : `${user.name} is deactivated; they were not signed in anywhere.`;
        },
        { sensitive: true },
      );
    } else {
      say(user.id, null);
      try {
        const done = await sensitive(() => agentdesk.deleteUser(user.id));
        if (done) {
          const signedOut = done.revokedSessions ? `; ${sessions(done.revokedSessions)} signed out` : '';
          onTopFeedback({ tone: 'success', text: `${user.name} (${user.email}) was deleted${signedOut}. The audit log keeps their name.` });
        }
      } catch (failure) {
        say(user.id, { tone: 'error', text: describeError(failure) });
      } finally {
        setConfirming(null);
        reload();
      }
    }
  }

  return {
    actionsFor,
    feedbackFor: (userId: string) => feedback[userId],
    confirmingFor: (userId: string) => (confirming?.user.id === userId ? confirming.action : null),
    confirm: () => void confirm(),
    cancel: () => setConfirming(null),
  };
}
