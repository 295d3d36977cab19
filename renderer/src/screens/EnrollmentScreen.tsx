import { useState } from 'react';
import type { CurrentSession, MethodAdded } from '../../../preload/agentdesk-api';
import { agentdesk } from '../api/bridge';
import { AuthenticatorAppSetup } from '../components/AuthenticatorAppSetup';
import { AuthCard } from '../components/AuthCard';
import { RecoveryCodesPanel } from '../components/RecoveryCodesPanel';
import { SecurityKeySetup } from '../components/SecurityKeySetup';

type Step = 'choose' | 'totp' | 'security_key' | 'recovery_codes';

/** Enrollment required: the account demands 2FA and this user has no method yet. */
export function EnrollmentScreen({ current, onDone, onSignOut }: { current: CurrentSession; onDone: (added: MethodAdded) => void; onSignOut: () => void }) {
  const [step, setStep] = useState<Step>('choose');
  const [added, setAdded] = useState<MethodAdded | null>(null);

  function methodAdded(result: MethodAdded) {
    setAdded(result);
    if (result.recoveryCodes?.length) setStep('recovery_codes');
    else onDone(result);
  }

  return (
    <AuthCard title="Set up two-factor authentication" wide>
      {step !== 'recovery_codes' ? (
        <p>
          {current.account.name} requires two-factor authentication. Besides your password, you will confirm each sign-in with a code
          from an app on your phone or with a USB security key, so a stolen password alone cannot open your account.
        </p>
      ) : null}

      {step === 'choose' ? (
        <div className="choice-grid" role="group" aria-label="Choose a method">
          <button type="button" className="choice" onClick={() => setStep('totp')}>
            <span className="choice-title">Authenticator app</span>
            <span className="choice-text">Scan a QR code with Google Authenticator or a similar app on your phone.</span>
          </button>
          <button type="button" className="choice" onClick={() => setStep('security_key')}>
            <span className="choice-title">Security key</span>
            <span className="choice-text">Use a USB key such as a YubiKey: touch it to sign in.</span>
          </button>
        </div>
      ) : null}
      {step === 'totp' ? <AuthenticatorAppSetup onAdded={methodAdded} onCancel={() => setStep('choose')} /> : null}
      {step === 'security_key' ? <SecurityKeySetup onAdded={methodAdded} onCancel={() => setStep('choose')} /> : null}
      {step === 'recovery_codes' && added?.recoveryCodes ? (
        <RecoveryCodesPanel codes={added.recoveryCodes} doneLabel="Continue to AgentDesk" onDone={() => {
            void agentdesk.confirmRecoveryCodesSaved().catch(() => undefined);
            onDone(added);
          }} />
      ) : null}

      <p className="auth-footer">
        <button type="button" className="button-link" onClick={onSignOut}>
          Sign out
        </button>
      </p>
    </AuthCard>
  );
}
