import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { SecurityKeyProgress } from '../../../preload/agentdesk-api';
import { agentdesk } from '../api/bridge';

/**
 * What the security key wants right now: a touch, its PIN, or nothing. Shown while a ceremony
 * runs; the desktop sends every step, a browser only "touch" and "done".
 */
export function SecurityKeyStatus() {
  const [progress, setProgress] = useState<SecurityKeyProgress | null>(null);
  useEffect(() => agentdesk.onSecurityKeyProgress(setProgress), []);

  if (!progress || progress.step === 'done' || progress.step === 'cancelled') return null;

  if (progress.step === 'pin_needed') return <SecurityKeyPinPrompt retriesLeft={progress.retriesLeft} wrongPin={progress.wrongPin} />;
  if (progress.step === 'choose_account') return <SecurityKeyAccountChooser accounts={progress.accounts} />;

  return (
    <div className="key-status" role="status">
      <span className="key-pulse" aria-hidden="true" />
      <div>
        <p className="key-status-title">{progress.step === 'touch_needed' ? 'Touch your security key' : 'Checking your security key…'}</p>
        {progress.step === 'touch_needed' ? <p className="muted">Insert it if it is not plugged in, then touch its button or gold contact.</p> : null}
      </div>
      <button type="button" className="button-secondary" onClick={() => agentdesk.cancelSecurityKey()}>
        Cancel
      </button>
    </div>
  );
}

function SecurityKeyPinPrompt({ retriesLeft, wrongPin }: { retriesLeft: number | null; wrongPin: boolean }) {
  const id = useId();
  const [pin, setPin] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (pin.length >= 4) agentdesk.submitSecurityKeyPin(pin);
  }

  return (
    <form className="key-status" onSubmit={submit}>
      <div className="field grow">
        <label htmlFor={id}>Security key PIN</label>
        <input ref={input} id={id} type="password" autoComplete="off" minLength={4} value={pin} onChange={(e) => setPin(e.target.value)} />
        {wrongPin || retriesLeft !== null ? (
          <p className="field-hint" role="alert">
            {wrongPin ? 'Wrong PIN. ' : ''}
            {retriesLeft !== null ? `${retriesLeft} ${retriesLeft === 1 ? 'try' : 'tries'} left before the key locks.` : ''}
          </p>
        ) : null}
      </div>
      <button type="submit">Continue</button>
      <button type="button" className="button-secondary" onClick={() => agentdesk.cancelSecurityKey()}>
        Cancel
      </button>
    </form>
  );
}

/** A passkey sign-in with a key that holds several accounts for this service: which one. */
function SecurityKeyAccountChooser({ accounts }: { accounts: { name: string | null; displayName: string | null }[] }) {
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  return (
    <div className="key-status key-accounts" role="group" aria-labelledby="key-accounts-title">
      <div className="grow">
        <p className="key-status-title" id="key-accounts-title">Which account do you want to sign in to?</p>
        <p className="muted">Your security key holds more than one.</p>
        <ul className="key-account-list">
          {accounts.map((account, i) => (
            <li key={i}>
              <button ref={i === 0 ? first : undefined} type="button" className="button-secondary" onClick={() => agentdesk.chooseSecurityKeyAccount(i)}>
                {account.displayName && account.name && account.displayName !== account.name ? `${account.displayName} (${account.name})` : (account.name ?? account.displayName ?? `Account ${i + 1}`)}
              </button>
            </li>
          ))}
        </ul>
      </div>
      <button type="button" className="button-secondary" onClick={() => agentdesk.cancelSecurityKey()}>
        Cancel
      </button>
    </div>
  );
}
