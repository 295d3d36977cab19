import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { Method, Session } from '../../../contract/answers';
import { ApiError } from '../../../contract/api-error';
import { useApiMutation } from '../data/operations';
import { describeError } from '../api/error-messages';
import { Notice } from './Notice';
import { SecondFactorForm } from './SecondFactorForm';
import { useT } from '../i18n/I18nProvider';

/** A modal asking for a fresh second factor before a sensitive change (as GitHub's sudo mode). */
export function ReauthDialog({ methods, onPassed, onCancel }: { methods: Method[]; onPassed: (session: Session) => void; onCancel: () => void }) {
  const t = useT();
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="reauth-title" onCancel={(e) => { e.preventDefault(); onCancel(); }}>
      <h2 id="reauth-title">{t('reauth.title')}</h2>
      <p>{t('reauth.sensitive')}</p>
      {methods.length ? (
        <SecondFactorForm methods={methods} onPassed={onPassed} />
      ) : (
        <p>{t('reauth.noMethod')}</p>
      )}
      <div className="dialog-actions">
        <button type="button" className="button-secondary" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </dialog>
  );
}

/**
 * The same modal asking for the password instead: a first method needs it entered in the last
 * 10 minutes (the server answers reauthentication_required with reason "password").
 */
export function PasswordReauthDialog({ onPassed, onCancel }: { onPassed: () => void; onCancel: () => void }) {
  const t = useT();
  const dialog = useRef<HTMLDialogElement>(null);
  const [password, setPassword] = useState('');
  const confirmPassword = useApiMutation('confirmPassword');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await confirmPassword.mutateAsync({ body: { password } });
      onPassed();
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  }

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="password-reauth-title" onCancel={(e) => { e.preventDefault(); onCancel(); }}>
      <h2 id="password-reauth-title">{t('reauth.title')}</h2>
      <p>{t('reauth.passwordText')}</p>
      <form className="stack" onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label htmlFor="password-reauth-input">{t('reauth.password')}</label>
          <input id="password-reauth-input" type="password" autoComplete="current-password" required maxLength={256} autoFocus value={password} disabled={busy} onChange={(e) => setPassword(e.target.value)} />
        </div>
        {error ? <Notice tone="error">{error}</Notice> : null}
        <div className="dialog-actions">
          <button type="submit" disabled={busy || !password}>{t('common.continue')}</button>
          <button type="button" className="button-secondary" onClick={onCancel}>
            {t('common.cancel')}
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** Whether an error asks for the password again (see PasswordReauthDialog). */
export function needsPassword(error: unknown): boolean {
  const e = ApiError.from(error);
  return e.code === 'reauthentication_required' && e.reason === 'password';
}
