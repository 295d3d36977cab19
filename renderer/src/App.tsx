import { useCallback, useEffect, useState } from 'react';
import type { CurrentSession, SignupStatus } from '../../preload/agentdesk-api';
import { ApiError } from './api/api-error';
import { agentdesk } from './api/bridge';
import { AppShell } from './screens/AppShell';
import { CreateAccountScreen } from './screens/CreateAccountScreen';
import { EnrollmentScreen } from './screens/EnrollmentScreen';
import { SecondStepScreen } from './screens/SecondStepScreen';
import { SignInScreen } from './screens/SignInScreen';
import { describeSessionRevoked } from './session-revoked-reasons';
import { SessionProvider } from './session-context';

type Stage =
  | { name: 'loading' }
  | { name: 'sign_in'; notice: string | null }
  | { name: 'create_account'; firstRun: boolean }
  | { name: 'signed_in'; current: CurrentSession };

/** Before the server has answered, or if it cannot say: offer the link, the server still decides. */
const unknownSignup: SignupStatus = { open: true, firstRun: false };

function loadSignupStatus(): Promise<SignupStatus> {
  return agentdesk.getSignupStatus().catch(() => unknownSignup);
}

/** Which screen shows follows the session's state on the server, nothing else. */
export function App() {
  const [stage, setStage] = useState<Stage>({ name: 'loading' });
  const [signup, setSignup] = useState<SignupStatus>(unknownSignup);

  const signedOut = useCallback((notice: string | null) => setStage({ name: 'sign_in', notice }), []);

  useEffect(() => {
    void Promise.all([agentdesk.getCurrentSession().catch(() => null), loadSignupStatus()]).then(([current, status]) => {
      setSignup(status);
      if (current) setStage({ name: 'signed_in', current });
      // Nobody can sign in yet: open straight on creating the organisation and its admin.
      else if (status.firstRun) setStage({ name: 'create_account', firstRun: true });
      else setStage({ name: 'sign_in', notice: null });
    });
  }, []);

  // The server pushes this when an admin requires 2FA, resets ours, or signs us out elsewhere.
  useEffect(() => agentdesk.onSessionRevoked(({ reason }) => signedOut(describeSessionRevoked(reason))), [signedOut]);

  // A request that finds the session gone means the same as a pushed revocation.
  useEffect(() => {
    function onRejection(event: PromiseRejectionEvent) {
      if (event.reason instanceof ApiError && event.reason.code === 'unauthenticated') {
        event.preventDefault();
        signedOut(describeSessionRevoked('expired'));
      }
    }
    window.addEventListener('unhandledrejection', onRejection);
    return () => window.removeEventListener('unhandledrejection', onRejection);
  }, [signedOut]);

  const onChange = useCallback((current: CurrentSession) => setStage({ name: 'signed_in', current }), []);

  async function signOut() {
    try {
      await agentdesk.signOut();
    } finally {
      signedOut(null);
    }
  }

  switch (stage.name) {
    case 'loading':
      return (
        <main className="auth-page">
          <p role="status">Loading AgentDesk…</p>
        </main>
      );
    case 'sign_in':
      return (
        <SignInScreen
          notice={stage.notice}
          onSignedIn={onChange}
          onCreateAccount={signup.open ? () => setStage({ name: 'create_account', firstRun: false }) : null}
        />
      );
    case 'create_account':
      return (
        <CreateAccountScreen
          firstRun={stage.firstRun}
          onBack={() => signedOut(null)}
          onCreated={() => {
            // The first account closes signup unless the server keeps it open.
            void loadSignupStatus().then(setSignup);
            signedOut(null);
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
              void agentdesk.getMe().then(
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
              void agentdesk.getMe().then(
                (me) => onChange({ session: me.session ?? added.session, user: me.user, methods: me.methods, account: me.account }),
                () => onChange({ ...current, session: added.session, methods: [added.method] }),
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
