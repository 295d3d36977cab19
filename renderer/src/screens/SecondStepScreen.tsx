import type { CurrentSession, Session } from '../../../preload/agentdesk-api';
import { AuthCard } from '../components/AuthCard';
import { SecondFactorForm } from '../components/SecondFactorForm';

/** The second step of sign-in: one of the user's methods, last used first, or a recovery code. */
export function SecondStepScreen({ current, onPassed, onSignOut }: { current: CurrentSession; onPassed: (session: Session) => void; onSignOut: () => void }) {
  return (
    // The code field (or the security-key button) takes focus: that is what the user does next.
    <AuthCard title="Two-factor authentication" focusHeading={false}>
      <p className="muted">
        Signing in as <strong>{current.user.email}</strong> to {current.account.name}.
      </p>
      <SecondFactorForm methods={current.methods} onPassed={onPassed} />
      <p className="auth-footer">
        <button type="button" className="button-link" onClick={onSignOut}>
          Cancel and sign out
        </button>
      </p>
    </AuthCard>
  );
}
