import { useCallback, useEffect, useState } from 'react';
import type { CurrentSession } from '../../preload/agentdesk-api';
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
  | { name: 'create_account' }
  | { name: 'signed_in'; current: CurrentSession };

/** Which screen shows follows the session's state on the server, nothing else. */
export function App() {
  const [stage, setStage] = useState<Stage>({ name: 'loading' });

  const signedOut = useCallback((notice: string | null) => setStage({ name: 'sign_in', notice }), []);

  useEffect(() => {
    agentdesk.getCurrentSession().then(
      (current) => setStage(current ? { name: 'signed_in', current } : { name: 'sign_in', notice: null }),
      () => setStage({ name: 'sign_in', notice: null }),
    );
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
      return <SignInScreen notice={stage.notice} onSignedIn={onChange} onCreateAccount={() => setStage({ name: 'create_account' })} />;
    case 'create_account':
      return <CreateAccountScreen onBack={() => signedOut(null)} onCreated={() => signedOut(null)} />;
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
