import { useEffect, useState } from 'react';
import { agentdesk } from '../api/bridge';

/**
 * "Use this key to sign in without a password", offered when the account allows it: the key then
 * keeps a sign-in credential (a passkey) and checks its PIN or fingerprint every time.
 */
export function PasswordlessKeyOption({ id, checked, disabled, onChange }: { id: string; checked: boolean; disabled: boolean; onChange: (on: boolean) => void }) {
  const [offered, setOffered] = useState(false);
  useEffect(() => {
    let live = true;
    agentdesk.getSecurityPolicy().then(
      (policy) => live && setOffered(policy.passwordlessSignIn),
      // Without the policy the plain key is still offered.
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  if (!offered) return null;
  return (
    <div className="checkbox">
      <input id={`${id}-passwordless`} type="checkbox" checked={checked} disabled={disabled} aria-describedby={`${id}-passwordless-hint`} onChange={(e) => onChange(e.target.checked)} />
      <div>
        <label htmlFor={`${id}-passwordless`}>Use this key to sign in without a password</label>
        <p className="muted small" id={`${id}-passwordless-hint`}>
          The key needs a PIN or fingerprint, which it will ask for each time. Keep it with you: with its PIN it is all anyone needs to sign in as you.
        </p>
      </div>
    </div>
  );
}
