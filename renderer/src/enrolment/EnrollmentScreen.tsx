import { useEffect, useRef, useState } from 'react';
import type { CurrentSession, MethodAdded, Session } from '../../../contract/answers';
import { confirmRecoveryCodesSaved } from '../data/client-calls';
import { AuthenticatorAppSetup } from './AuthenticatorAppSetup';
import { AuthCard } from '../shared/AuthCard';
import { RecoveryCodesPanel } from './RecoveryCodesPanel';
import { SecurityKeySetup } from './SecurityKeySetup';
import { useSecurityPolicy } from './SecurityKeysOnlyNotice';
import { EnrollmentCodeGate } from '../rollout/EnrollmentCodeGate';
import { PostponeEnrolment } from './PostponeEnrolment';
import { useT } from '../i18n/I18nProvider';

type Step = 'choose' | 'totp' | 'security_key' | 'recovery_codes';

/** Enrollment required: the account demands 2FA and this user has no method yet. */
export function EnrollmentScreen({ current, onDone, onPostponed, onSignOut }: { current: CurrentSession; onDone: (added: MethodAdded) => void; onPostponed: (session: Session) => void; onSignOut: () => void }) {
  const t = useT();
  const [step, setStep] = useState<Step>('choose');
  const [added, setAdded] = useState<MethodAdded | null>(null);
  // Under "security keys only" an app is not offered (second-factors/policy.ts on the server).
  const keysOnly = useSecurityPolicy()?.secondFactorPolicy === 'security_keys';
  // Each new step takes the focus at its heading (back at the choice: its first button), so a
  // keyboard or screen-reader user is not dropped at the top of the page.
  const stepArea = useRef<HTMLDivElement>(null);
  const firstStep = useRef(true);
  useEffect(() => {
    if (firstStep.current) {
      firstStep.current = false;
      return;
    }
    const heading = stepArea.current?.querySelector<HTMLElement>('h2');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    } else {
      stepArea.current?.querySelector<HTMLElement>('button')?.focus();
    }
  }, [step]);

  function methodAdded(result: MethodAdded) {
    setAdded(result);
    if (result.recoveryCodes?.length) setStep('recovery_codes');
    else onDone(result);
  }

  return (
    <AuthCard title={t('enrol.title')} wide>
      {step !== 'recovery_codes' && keysOnly ? (
        <p data-testid="enrol-security-keys-only">{t('enrol.keysOnly', { account: current.account.name })}</p>
      ) : null}
      {step !== 'recovery_codes' && !keysOnly ? (
        <p>{t('enrol.required', { account: current.account.name })}</p>
      ) : null}

      <div ref={stepArea} data-testid="enrollment-step">
      {step === 'choose' ? (
        <EnrollmentCodeGate>
        <div className="choice-grid" role="group" aria-label={t('enrol.chooseMethod')}>
          {!keysOnly ? (
            <button type="button" className="choice" onClick={() => setStep('totp')}>
              <span className="choice-title">{t('enrol.app.title')}</span>
              <span className="choice-text">{t('enrol.app.text')}</span>
            </button>
          ) : null}
          <button type="button" className="choice" onClick={() => setStep('security_key')}>
            <span className="choice-title">{t('enrol.key.title')}</span>
            <span className="choice-text">{t('enrol.key.text')}</span>
          </button>
        </div>
        </EnrollmentCodeGate>
      ) : null}
      {step === 'choose' ? <PostponeEnrolment onPostponed={onPostponed} /> : null}
      {step === 'totp' ? <AuthenticatorAppSetup onAdded={methodAdded} onCancel={() => setStep('choose')} /> : null}
      {step === 'security_key' ? <SecurityKeySetup onAdded={methodAdded} onCancel={() => setStep('choose')} /> : null}
      {step === 'recovery_codes' && added?.recoveryCodes ? (
        <RecoveryCodesPanel codes={added.recoveryCodes} doneLabel={t('enrol.continue')} onDone={() => {
            void confirmRecoveryCodesSaved().catch(() => undefined);
            onDone(added);
          }} />
      ) : null}
      </div>

      <p className="auth-footer">
        <button type="button" className="button-link" onClick={onSignOut}>
          {t('enrol.signOut')}
        </button>
      </p>
    </AuthCard>
  );
}
