import { useEffect, useRef, useState } from 'react';
import type { CurrentSession, MethodAdded } from '../../../preload/agentdesk-api';
import { agentdesk } from '../api/bridge';
import { AuthenticatorAppSetup } from '../components/AuthenticatorAppSetup';
import { AuthCard } from '../components/AuthCard';
import { RecoveryCodesPanel } from '../components/RecoveryCodesPanel';
import { SecurityKeySetup } from '../components/SecurityKeySetup';
import { useSecurityPolicy } from '../components/SecurityKeysOnlyNotice';
import { EnrollmentCodeGate } from '../rollout/EnrollmentCodeGate';

type Step = 'choose' | 'totp' | 'security_key' | 'recovery_codes';

/** Enrollment required: the account demands 2FA and this user has no method yet. */
export function EnrollmentScreen({ current, onDone, onSignOut }: { current: CurrentSession; onDone: (added: MethodAdded) => void; onSignOut: () => void }) {
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
    <AuthCard title="Set up two-factor authentication" wide>
      {step !== 'recovery_codes' && keysOnly ? (
        <p data-testid="enrol-security-keys-only">{current.account.name} accepts security keys only: add a USB security key to continue.</p>
      ) : null}
      {step !== 'recovery_codes' && !keysOnly ? (
        <p>
          {current.account.name} requires two-factor authentication. Besides your password, you will confirm each sign-in with a code
          from an app on your phone or with a USB security key, so a stolen password alone cannot open your account.
        </p>
      ) : null}

      <div ref={stepArea} data-testid="enrollment-step">
      {step === 'choose' ? (
        <EnrollmentCodeGate>
        <div className="choice-grid" role="group" aria-label="Choose a method">
          {!keysOnly ? (
            <button type="button" className="choice" onClick={() => setStep('totp')}>
              <span className="choice-title">Authenticator app</span>
              <span className="choice-text">Scan a QR code with Google Authenticator or a similar app on your phone.</span>
            </button>
          ) : null}
          <button type="button" className="choice" onClick={() => setStep('security_key')}>
            <span className="choice-title">Security key</span>
            <span className="choice-text">Use a USB key such as a YubiKey: touch it to sign in.</span>
          </button>
        </div>
        </EnrollmentCodeGate>
      ) : null}
      {step === 'totp' ? <AuthenticatorAppSetup onAdded={methodAdded} onCancel={() => setStep('choose')} /> : null}
      {step === 'security_key' ? <SecurityKeySetup onAdded={methodAdded} onCancel={() => setStep('choose')} /> : null}
      {step === 'recovery_codes' && added?.recoveryCodes ? (
        <RecoveryCodesPanel codes={added.recoveryCodes} doneLabel="Continue to AgentDesk" onDone={() => {
            void agentdesk.confirmRecoveryCodesSaved().catch(() => undefined);
            onDone(added);
          }} />
      ) : null}
      </div>

      <p className="auth-footer">
        <button type="button" className="button-link" onClick={onSignOut}>
          Sign out
        </button>
      </p>
    </AuthCard>
  );
}
