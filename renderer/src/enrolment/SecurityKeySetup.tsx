import { useId, useState, type FormEvent } from 'react';
import type { MethodAdded } from '../../../contract/answers';
import { addSecurityKey } from '../data/client-calls';
import { describeError } from '../api/error-messages';
import { Notice } from '../shared/Notice';
import { needsPassword, PasswordReauthDialog } from '../shared/ReauthDialog';
import { SecurityKeyStatus } from '../shared/SecurityKeyStatus';
import { PasswordlessKeyOption } from './PasswordlessKeyOption';
import { useT } from '../i18n/I18nProvider';

/** Register a USB security key under a name the user will recognise later. */
export function SecurityKeySetup({ onAdded, onCancel }: { onAdded: (added: MethodAdded) => void; onCancel?: () => void }) {
  const t = useT();
  const id = useId();
  // The default name in the user's language (describeMethod reads it as the default in any).
  const [name, setName] = useState(() => t('method.type.security_key'));
  const [passwordless, setPasswordless] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [askPassword, setAskPassword] = useState(false);

  async function add(event?: FormEvent) {
    event?.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onAdded(await addSecurityKey(name.trim(), passwordless ? { passwordless: true } : undefined));
    } catch (failure) {
      // A first method needs the password entered in the last 10 minutes: ask, then try again.
      if (needsPassword(failure)) setAskPassword(true);
      else setError(describeError(failure));
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('keySetup.title')}</h2>
      <form className="stack" onSubmit={(e) => void add(e)}>
        <div className="field">
          <label htmlFor={`${id}-name`}>{t('keySetup.name')}</label>
          <p className="field-hint" id={`${id}-hint`}>
            {t('keySetup.nameHint')}
          </p>
          <input id={`${id}-name`} aria-describedby={`${id}-hint`} maxLength={64} required value={name} disabled={busy} onChange={(e) => setName(e.target.value)} />
        </div>
        <PasswordlessKeyOption id={id} checked={passwordless} disabled={busy} onChange={setPasswordless} />
        <div className="button-row">
          <button type="submit" disabled={busy || !name.trim()}>
            {t('keySetup.submit')}
          </button>
          {onCancel ? (
            <button type="button" className="button-secondary" disabled={busy} onClick={onCancel}>
              {t('common.cancel')}
            </button>
          ) : null}
        </div>
      </form>
      <SecurityKeyStatus />
      {error ? <Notice tone="error">{error}</Notice> : null}
      {askPassword ? (
        <PasswordReauthDialog
          onPassed={() => { setAskPassword(false); void add(); }}
          onCancel={() => { setAskPassword(false); setError(t('reauth.passwordForKey')); }}
        />
      ) : null}
    </section>
  );
}
