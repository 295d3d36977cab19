import { useCallback, useEffect, useState } from 'react';
import type { CurrentSession, SignupStatus } from '../../contract/answers';
import { ApiError } from '../../contract/api-error';
import { clearServerState, onSessionLost } from './data/client';
import { fetchMe, loadSignupStatus, onSessionRevoked, restoreSession, signOut as endSession } from './data/client-calls';
import { useConnection, useConnectionGeneration } from './api/connection';
import { AuthCard } from './shared/AuthCard';
import { ConnectionBanner } from './shared/ConnectionBanner';
import { Notice } from './shared/Notice';
import { AppShell } from './shell/AppShell';
import { CreateAccountScreen } from './sign-in/CreateAccountScreen';
import { EnrollmentScreen } from './enrolment/EnrollmentScreen';
import { SecondStepScreen } from './sign-in/SecondStepScreen';
import { SignInScreen } from './sign-in/SignInScreen';
import { AcceptInvitationScreen } from './sign-in/AcceptInvitationScreen';
import { ResetPasswordScreen } from './sign-in/ResetPasswordScreen';
import { takeLinkFromAddress } from './sign-in/people-links';
import { describeSessionRevoked } from './session-revoked-reasons';
import { SessionProvider } from './session-context';
import { useT } from './i18n/I18nProvider';
import { followUserLanguage } from './i18n';

type Stage =
  | { name: 'loading' }
  | { name: 'sign_in'; notice: string | null; created?: { account: string; email: string }; prefill?: { account: string; email: string } }
  /** An invitation's link (token from the address, or pasted on the desktop): choose a password. */
  | { name: 'accept_invitation'; token: string | null }
  /** A forgotten password: ask for a link, or choose a new password from one. */
  | { name: 'reset_password'; token: string | null; account?: string }
  | { name: 'create_account'; firstRun: boolean }
  | { name: 'signed_in'; current: CurrentSession }
  /** "Sign out" was pressed and the server has not confirmed yet: the session may still live. */
  | { name: 'signing_out'; failed: boolean };

/**
 * A sign-out the server has not confirmed, kept across reloads: until the server ends the
 * session, reopening the page must not sign the user back in (contact-centre desks are shared).
 */
const pendingSignOutKey = 'agentdesk.pendingSignOut';

function pendingSignOut(): boolean {
  try {
    return localStorage.getItem(pendingSignOutKey) === '1';
  } catch {
    return false;
  }
}

function setPendingSignOut(pending: boolean): void {
  try {
    if (pending) localStorage.setItem(pendingSignOutKey, '1');
    else localStorage.removeItem(pendingSignOutKey);
  } catch {
    // without storage, the retry loop below still runs while the page is open
  }
}

/** Retry delays for an unconfirmed sign-out: 1 s doubling to 15 s. */
function signOutRetryDelay(attempt: number): number {
  return Math.min(15_000, 1_000 * 2 ** attempt);
}

/** Before the server has answered: offer the link, the server still decides. */
const unknownSignup: SignupStatus = { open: true, firstRun: false };

/** Which screen shows follows the session's state on the server, nothing else. */
export function App() {
  const t = useT();
  const [stage, setStage] = useState<Stage>({ name: 'loading' });
  const [signup, setSignup] = useState<SignupStatus>(unknownSignup);

  const signedOut = useCallback((notice: string | null) => {
    // Nothing cached for the last session may show to whoever signs in next on this desk.
    clearServerState();
    setStage({ name: 'sign_in', notice });
  }, []);

  useEffect(() => {
    if (pendingSignOut()) {
      setStage({ name: 'signing_out', failed: false });
      void loadSignupStatus().then(setSignup);
      return;
    }
    // An emailed link opens its screen, whoever is signed in on this browser.
    const link = takeLinkFromAddress();
    void Promise.all([restoreSession(), loadSignupStatus()]).then(([current, status]) => {
      setSignup(status);
      // Only the first screen: a link opened meanwhile (hashchange below) has already chosen one.
      const settle = (next: Stage) => setStage((shown) => (shown.name === 'loading' ? next : shown));
      if (link?.screen === 'invitation') settle({ name: 'accept_invitation', token: link.token });
      else if (link?.screen === 'reset-password') settle({ name: 'reset_password', token: link.token });
      else if (current) settle({ name: 'signed_in', current });
      // Nobody can sign in yet: open straight on creating the organisation and its admin.
      else if (status.firstRun) settle({ name: 'create_account', firstRun: true });
      else settle({ name: 'sign_in', notice: null });
    });
  }, []);

  // A link opened in a tab that already shows the console changes only the hash.
  useEffect(() => {
    function onHashChange() {
      const link = takeLinkFromAddress();
      if (link) setStage(link.screen === 'invitation' ? { name: 'accept_invitation', token: link.token } : { name: 'reset_password', token: link.token });
    }
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, []);

  // The server pushes this when an admin requires 2FA, resets ours, or signs us out elsewhere.
  useEffect(
    () =>
      onSessionRevoked(({ reason }) => {
        setPendingSignOut(false);
        signedOut(describeSessionRevoked(reason));
      }),
    [signedOut],
  );

  // A request that finds the session gone means the same as a pushed revocation: a read's
  // failure stays in the data layer's cache, a change's reaches here unhandled.
  useEffect(
    () =>
      onSessionLost((reason) => {
        setPendingSignOut(false);
        signedOut(describeSessionRevoked(reason));
      }),
    [signedOut],
  );
  useEffect(() => {
    function onRejection(event: PromiseRejectionEvent) {
      if (event.reason instanceof ApiError && event.reason.code === 'unauthenticated') {
        event.preventDefault();
        setPendingSignOut(false);
        signedOut(describeSessionRevoked(event.reason.reason ?? 'expired'));
      }
    }
    window.addEventListener('unhandledrejection', onRejection);
    return () => window.removeEventListener('unhandledrejection', onRejection);
  }, [signedOut]);

  const onChange = useCallback((current: CurrentSession) => setStage({ name: 'signed_in', current }), []);

  // Signed in (or restored, or refreshed): the user's own language wins over this device's.
  const userLanguage = stage.name === 'signed_in' ? stage.current.user.language : undefined;
  useEffect(() => followUserLanguage(userLanguage), [userLanguage]);

  function signOut() {
    setPendingSignOut(true);
    setStage({ name: 'signing_out', failed: false });
  }

  return (
    <>
      <ConnectionBanner />
      {screen()}
    </>
  );

  function screen() {
  switch (stage.name) {
    case 'loading':
      return (
        <main className="auth-page">
          <p role="status">{t('app.loading')}</p>
        </main>
      );
    case 'signing_out':
      return (
        <SigningOut
          failed={stage.failed}
          onFailed={() => setStage((s) => (s.name === 'signing_out' && !s.failed ? { name: 'signing_out', failed: true } : s))}
          onDone={() => {
            setPendingSignOut(false);
            signedOut(null);
          }}
        />
      );
    case 'sign_in':
      return (
        <SignInScreen
          notice={stage.notice}
          created={stage.created ?? null}
          prefill={stage.prefill ?? null}
          onForgotPassword={(account) => setStage({ name: 'reset_password', token: null, account })}
          onHaveInvitation={() => setStage({ name: 'accept_invitation', token: null })}
          onSignedIn={onChange}
          onCreateAccount={signup.open ? () => setStage({ name: 'create_account', firstRun: false }) : null}
        />
      );
    case 'accept_invitation':
      return <AcceptInvitationScreen token={stage.token} onBack={() => signedOut(null)} onAccepted={(prefill) => setStage({ name: 'sign_in', notice: null, prefill })} />;
    case 'reset_password':
      return (
        <ResetPasswordScreen
          token={stage.token}
          {...(stage.account ? { account: stage.account } : {})}
          onBack={() => signedOut(null)}
          onDone={(prefill) => setStage({ name: 'sign_in', notice: null, prefill })}
        />
      );
    case 'create_account':
      return (
        <CreateAccountScreen
          firstRun={stage.firstRun}
          onBack={() => signedOut(null)}
          onCreated={(created) => {
            // The first account closes signup unless the server keeps it open.
            void loadSignupStatus().then(setSignup);
            setStage({ name: 'sign_in', notice: null, created });
          }}
        />
      );
    case 'signed_in': {
      const { current } = stage;
      if (current.session.state === 'two_factor_required') {
        return (
          <SecondStepScreen
            current={current}
            onPassed={(session) => {
              void fetchMe().then(
                (me) => onChange({ session: me.session ?? session, user: me.user, methods: me.methods, account: me.account }),
                () => onChange({ ...current, session }),
              );
            }}
            onSignOut={() => void signOut()}
          />
        );
      }
      if (current.session.state === 'enrollment_required') {
        return (
          <EnrollmentScreen
            current={current}
            onDone={(added) => {
              void fetchMe().then(
                (me) => onChange({ session: me.session ?? added.session, user: me.user, methods: me.methods, account: me.account }),
                () => onChange({ ...current, session: added.session, methods: [added.method] }),
              );
            }}
            onPostponed={(session) => {
              // Postponed within the user's grace: in without a method, for this session only.
              void fetchMe().then(
                (me) => onChange({ session: me.session ?? session, user: me.user, methods: me.methods, account: me.account, grace: me.grace ?? null }),
                () => onChange({ ...current, session }),
              );
            }}
            onSignOut={() => void signOut()}
          />
        );
      }
      return (
        <SessionProvider current={current} onChange={onChange}>
          <AppShell onSignOut={() => void signOut()} />
        </SessionProvider>
      );
    }
  }
  }
}

/**
 * Ends the session on the server, trying again with back-off (and at once when the connection
 * returns) until the server confirms; only then does the sign-in screen show.
 */
function SigningOut({ failed, onFailed, onDone }: { failed: boolean; onFailed: () => void; onDone: () => void }) {
  const t = useT();
  const generation = useConnectionGeneration();
  // While the server cannot be reached, the connection banner's Retry is the one button.
  const { online } = useConnection();
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    endSession().then(
      () => live && onDone(),
      (error: unknown) => {
        if (!live) return;
        const code = ApiError.from(error).code;
        if (code === 'unauthenticated') return onDone();
        onFailed();
        timer = setTimeout(() => setAttempt((n) => n + 1), signOutRetryDelay(attempt));
      },
    );
    return () => {
      live = false;
      clearTimeout(timer);
    };
    // Each attempt, and each time the connection comes back, tries once more.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [attempt, generation]);

  return (
    <AuthCard title={failed ? t('signOut.failedTitle') : t('signOut.signingOut')}>
      {failed ? (
        <>
          <Notice tone="error" title={t('signOut.stillSignedIn')}>
            <span data-testid="sign-out-pending">{t('signOut.pending')}</span>
          </Notice>
          {online ? (
            <button type="button" className="button-secondary" onClick={() => setAttempt((n) => n + 1)}>
              {t('signOut.tryNow')}
            </button>
          ) : null}
        </>
      ) : (
        <p role="status">{t('signOut.ending')}</p>
      )}
    </AuthCard>
  );
}
