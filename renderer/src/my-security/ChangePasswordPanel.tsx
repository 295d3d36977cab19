import { useState, type FormEvent } from 'react';
import { useApiMutation } from '../data/operations';
import { describeError } from '../api/error-messages';
import { Notice } from '../shared/Notice';
import { useSession } from '../session-context';
import { NewPasswordFields } from '../shared/NewPasswordFields';
import { useT } from '../i18n/I18nProvider';

/** My security → Password: the current password, a recent second factor when I have a method, then the new one. */
export function ChangePasswordPanel() {
  const t = useT();
  const changePassword = useApiMutation('changePassword');
  const { sensitive, current } = useSession();
  const [currentPassword, setCurrentPassword] = useState('');
  const [password, setPassword] = useState('');
  const [valid, setValid] = useState(false);
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [formKey, setFormKey] = useState(0);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!valid) return;
    setBusy(true);
    setMessage(null);
    try {
      const change = () => changePassword.mutateAsync({ body: { currentPassword, newPassword: password } });
      const done = current.methods.length ? await sensitive(change) : await change();
      if (done) {
        setMessage({ tone: 'success', text: done.revokedSessions ? t('password.changedOthers', { count: done.revokedSessions }) : t('password.changed') });
        setCurrentPassword('');
        setFormKey((k) => k + 1);
      }
    } catch (failure) {
      setMessage({ tone: 'error', text: describeError(failure) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="password-title">
      <h2 id="password-title">{t('password.title')}</h2>
      <form className="stack" onSubmit={(e) => void submit(e)} key={formKey}>
        <input type="email" autoComplete="username" value={current.user.email} readOnly hidden />
        <div className="field">
          <label htmlFor="current-password">{t('password.current')}</label>
          <input id="current-password" type="password" autoComplete="current-password" required value={currentPassword} onChange={(e) => setCurrentPassword(e.target.value)} />
        </div>
        <NewPasswordFields idPrefix="change" onChange={(value, ok) => { setPassword(value); setValid(ok); }} />
        {message ? <Notice tone={message.tone}>{message.text}</Notice> : null}
        <div>
          <button type="submit" disabled={busy || !valid || !currentPassword}>
            {t('password.submit')}
          </button>
        </div>
      </form>
    </section>
  );
}
