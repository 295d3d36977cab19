import { useState, type ReactNode } from 'react';
import type { AccountUser, LinkSent, Role } from '../../../contract/answers';
import { useApiMutation } from '../data/operations';
import { describeError } from '../api/error-messages';
import { formatDateTime } from '../dates';
import { useT } from '../i18n/I18nProvider';
import { EnrollmentCodeShown } from '../rollout/EnrollmentCodeShown';
import { GraceForm } from './GraceForm';
import { graceIsOpen, graceText } from '../enrolment/grace';
import { useSession } from '../session-context';
import { LinkToHandOver } from './LinkToHandOver';
import { liveLockouts } from './lockouts';
import type { ConfirmedAction, Feedback } from './UserRow';
import type { RowAction } from './UserRowMenu';

/**
 * What an admin can do to each user, the question before a destructive one, and the answer
 * beside the user's row (or at the top, once the user is gone). `reload` runs after each.
 */
export function useUserActions(reload: () => void, onTopFeedback: (feedback: Feedback) => void) {
  const t = useT();
  const { current, sensitive, refresh } = useSession();
  // Each invalidates the users list, the impact counts and the audit log (data/operations.ts).
  const resendInvitationChange = useApiMutation('resendInvitation');
  const sendPasswordResetChange = useApiMutation('sendPasswordReset');
  const liftLockoutChange = useApiMutation('liftLockout');
  const signUserOutEverywhereChange = useApiMutation('signUserOutEverywhere');
  const forgetUsersDevicesChange = useApiMutation('forgetUsersDevices');
  const issueEnrollmentCodeChange = useApiMutation('issueEnrollmentCode');
  const setUserGraceChange = useApiMutation('setUserGrace');
  const updateUserChange = useApiMutation('updateUser');
  const resetUserTwoFactorChange = useApiMutation('resetUserTwoFactor');
  const deleteUserChange = useApiMutation('deleteUser');
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
    if (sent.emailed) return t('action.linkEmailed', { what, email: user.email, until: formatDateTime(sent.expiresAt) });
    return (
      <LinkToHandOver
        intro={t('action.linkHandOver', { name: user.name, whatLower: what.toLowerCase(), until: formatDateTime(sent.expiresAt) })}
        link={sent.link!}
        label={t('action.linkFor', { what, name: user.name })}
      />
    );
  }

  function actionsFor(user: AccountUser): RowAction[] {
    const list: RowAction[] = [];
    if (user.status === 'invited') {
      list.push({ label: t('action.resend'), run: () => void act(user, async () => linkFeedback(user, (await resendInvitationChange.mutateAsync({ params: { id: user.id } })).invitation, t('action.invitationLink'))) });
    }
    if (user.status === 'active') {
      list.push({ label: t('action.sendReset'), run: () => void act(user, async () => linkFeedback(user, await sendPasswordResetChange.mutateAsync({ params: { id: user.id } }), t('action.resetLink'))) });
    }
    // Any lock, whatever it keys on (new devices, one device, an address, codes): one action lifts them all.
    if (liveLockouts(user).length) {
      list.push({
        label: t('action.liftLockout'),
        run: () =>
          void act(
            user,
            async () => {
              await liftLockoutChange.mutateAsync({ params: { id: user.id } });
              return t('action.lifted', { name: user.name });
            },
            { sensitive: true },
          ),
      });
    }
    if (user.status !== 'invited' && user.id !== current.user.id) {
      list.push({
        label: t('action.signOutEverywhere'),
        run: () =>
          void act(user, async () => {
            const done = await signUserOutEverywhereChange.mutateAsync({ params: { id: user.id } });
            return done.revokedSessions === 0 ? t('action.noSession', { name: user.name }) : t('action.signedOut', { name: user.name, count: done.revokedSessions });
          }),
      });
    }
    // Only a user with a method can have a device that skips the second step.
    if (user.twoFactorEnabled && user.status !== 'invited') {
      list.push({
        label: t('action.forgetDevices'),
        run: () =>
          void act(user, async () => {
            const done = await forgetUsersDevicesChange.mutateAsync({ params: { id: user.id } });
            return done.forgotten === 0 ? t('action.noRememberedDevice', { name: user.name }) : t('action.devicesForgotten', { name: user.name, count: done.forgotten });
          }),
      });
    }
    if (user.twoFactorEnabled) list.push({ label: t('action.resetTwoFactor'), run: () => setConfirming({ user, action: 'reset' }), danger: true });
    if (!user.twoFactorEnabled && user.status === 'active') {
      list.push({
        label: t('action.issueCode'),
        run: () => void act(user, async () => <EnrollmentCodeShown name={user.name} issued={await issueEnrollmentCodeChange.mutateAsync({ params: { id: user.id } })} />, { sensitive: true }),
      });
      // Grace (server/enforcement/grace.ts): the form opens in the row's feedback line.
      const setGrace = (body: { signInsLeft?: number; until?: string | null }) =>
        void act(
          user,
          async () => {
            const { grace, revokedSessions } = await setUserGraceChange.mutateAsync({ params: { id: user.id }, body });
            if (graceIsOpen(grace)) return t('action.graceSet', { name: user.name, grace: graceText(grace) });
            // Ending it signed out the sessions they were in only because they postponed.
            return revokedSessions > 0 ? t('action.graceEndedOut', { name: user.name, count: revokedSessions }) : t('action.graceEnded', { name: user.name });
          },
          { sensitive: true },
        );
      list.push({
        label: t('action.extendGrace'),
        run: () => say(user.id, { tone: 'info', text: <GraceForm grace={user.grace ?? null} onSave={setGrace} onCancel={() => say(user.id, null)} /> }),
      });
      if (graceIsOpen(user.grace)) list.push({ label: t('action.endGrace'), run: () => setGrace({ signInsLeft: 0, until: null }), danger: true });
    }
    const otherRole: Role = user.role === 'admin' ? 'agent' : 'admin';
    list.push({
      label: otherRole === 'admin' ? t('action.makeAdmin') : t('action.makeAgent'),
      run: () =>
        void act(
          user,
          async () => {
            const done = await updateUserChange.mutateAsync({ params: { id: user.id }, body: { role: otherRole } });
            if (user.id === current.user.id) void refresh();
            return t('action.nowRole', { name: user.name, role: done.user.role });
          },
          { sensitive: true },
        ),
    });
    if (user.status === 'deactivated') {
      list.push({
        label: t('action.reactivate'),
        run: () =>
          void act(user, async () => {
            const done = await updateUserChange.mutateAsync({ params: { id: user.id }, body: { status: 'active' } });
            return done.user.status === 'invited' ? t('action.reactivatedInvited', { name: user.name }) : t('action.reactivated', { name: user.name });
          }),
      });
    } else {
      list.push({ label: t('action.deactivate'), run: () => setConfirming({ user, action: 'deactivate' }), danger: true });
    }
    list.push({ label: t('action.delete'), run: () => setConfirming({ user, action: 'delete' }), danger: true });
    return list;
  }

  async function confirm() {
    if (!confirming) return;
    const { user, action } = confirming;
    if (action === 'reset') {
      await act(
        user,
        async () => {
          const done = await resetUserTwoFactorChange.mutateAsync({ params: { id: user.id } });
          if (user.id === current.user.id) void refresh();
          return t('action.resetDone', { methods: done.removedMethods, sessions: done.revokedSessions });
        },
        { sensitive: true },
      );
    } else if (action === 'deactivate') {
      await act(
        user,
        async () => {
          const { revokedSessions } = await updateUserChange.mutateAsync({ params: { id: user.id }, body: { status: 'deactivated' } });
          return revokedSessions ? t('action.deactivatedOut', { name: user.name, count: revokedSessions }) : t('action.deactivatedNone', { name: user.name });
        },
        { sensitive: true },
      );
    } else {
      say(user.id, null);
      try {
        const done = await sensitive(() => deleteUserChange.mutateAsync({ params: { id: user.id } }));
        if (done) {
          onTopFeedback({ tone: 'success', text: t('action.deleted', { name: user.name, email: user.email, sessions: done.revokedSessions }) });
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
