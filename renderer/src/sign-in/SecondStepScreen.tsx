import type { CurrentSession, Session } from '../../../contract/answers';
import { AuthCard } from '../shared/AuthCard';
import { SecondFactorForm } from '../shared/SecondFactorForm';
import { Msg, useT } from '../i18n/I18nProvider';

/** The second step of sign-in: one of the user's methods, last used first, or a recovery code. */
export function SecondStepScreen({ current, onPassed, onSignOut }: { current: CurrentSession; onPassed: (session: Session) => void; onSignOut: () => void }) {
  const t = useT();
  return (
    // The code field (or the security-key button) takes focus: that is what the user does next.
    <AuthCard title={t('secondStep.title')} focusHeading={false}>
      <p className="muted">
        <Msg id="secondStep.signingInAs" values={{ email: current.user.email, account: current.account.name, strong: (chunks) => <strong>{chunks}</strong> }} />
      </p>
      <SecondFactorForm methods={current.methods} onPassed={onPassed} />
      <p className="auth-footer">
        <button type="button" className="button-link" onClick={onSignOut}>
          {t('secondStep.cancel')}
        </button>
      </p>
    </AuthCard>
  );
}
