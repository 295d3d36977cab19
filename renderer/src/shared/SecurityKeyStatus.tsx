import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { cancelSecurityKey, chooseSecurityKeyAccount, submitSecurityKeyPin, useSecurityKeyProgress } from '../data/client-calls';
import { useT } from '../i18n/I18nProvider';

/**
 * What the security key wants right now: a touch, its PIN, or nothing. Shown while a ceremony
 * runs; the desktop sends every step, a browser only "touch" and "done".
 */
export function SecurityKeyStatus() {
  const t = useT();
  const progress = useSecurityKeyProgress();

  if (!progress || progress.step === 'done' || progress.step === 'cancelled') return null;

  if (progress.step === 'pin_needed') return <SecurityKeyPinPrompt retriesLeft={progress.retriesLeft} wrongPin={progress.wrongPin} />;
  if (progress.step === 'choose_account') return <SecurityKeyAccountChooser accounts={progress.accounts} />;

  return (
    <div className="key-status" role="status">
      <span className="key-pulse" aria-hidden="true" />
      <div>
        <p className="key-status-title">{progress.step === 'touch_needed' ? t('keyStatus.touch') : t('keyStatus.checking')}</p>
        {progress.step === 'touch_needed' ? <p className="muted">{t('keyStatus.touchHint')}</p> : null}
      </div>
      <button type="button" className="button-secondary" onClick={() => cancelSecurityKey()}>
        {t('common.cancel')}
      </button>
    </div>
  );
}

function SecurityKeyPinPrompt({ retriesLeft, wrongPin }: { retriesLeft: number | null; wrongPin: boolean }) {
  const t = useT();
  const id = useId();
  const [pin, setPin] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (pin.length >= 4) submitSecurityKeyPin(pin);
  }

  return (
    <form className="key-status" onSubmit={submit}>
      <div className="field grow">
        <label htmlFor={id}>{t('keyStatus.pin')}</label>
        <input ref={input} id={id} type="password" autoComplete="off" minLength={4} value={pin} onChange={(e) => setPin(e.target.value)} />
        {wrongPin || retriesLeft !== null ? (
          <p className="field-hint" role="alert">
            {wrongPin ? t('keyStatus.wrongPin') : ''}
            {retriesLeft !== null ? t('keyStatus.triesLeft', { count: retriesLeft }) : ''}
          </p>
        ) : null}
      </div>
      <button type="submit">{t('keyStatus.continue')}</button>
      <button type="button" className="button-secondary" onClick={() => cancelSecurityKey()}>
        {t('common.cancel')}
      </button>
    </form>
  );
}

/** A passkey sign-in with a key that holds several accounts for this service: which one. */
function SecurityKeyAccountChooser({ accounts }: { accounts: { name: string | null; displayName: string | null }[] }) {
  const t = useT();
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  return (
    <div className="key-status key-accounts" role="group" aria-labelledby="key-accounts-title">
      <div className="grow">
        <p className="key-status-title" id="key-accounts-title">{t('keyStatus.whichAccount')}</p>
        <p className="muted">{t('keyStatus.severalAccounts')}</p>
        <ul className="key-account-list">
          {accounts.map((account, i) => (
            <li key={i}>
              <button ref={i === 0 ? first : undefined} type="button" className="button-secondary" onClick={() => chooseSecurityKeyAccount(i)}>
                {account.displayName && account.name && account.displayName !== account.name ? t('keyStatus.accountNamed', { displayName: account.displayName, name: account.name }) : (account.name ?? account.displayName ?? t('keyStatus.accountN', { n: i + 1 }))}
              </button>
            </li>
          ))}
        </ul>
      </div>
      <button type="button" className="button-secondary" onClick={() => cancelSecurityKey()}>
        {t('common.cancel')}
      </button>
    </div>
  );
}
