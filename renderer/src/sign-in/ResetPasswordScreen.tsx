import { useT } from '../i18n/I18nProvider';
import { useState, type FormEvent } from 'react';
import { useApiMutation } from '../data/operations';
import { describeError } from '../api/error-messages';
import { AuthCard } from '../shared/AuthCard';
import { Notice } from '../shared/Notice';
import { NewPasswordFields } from '../shared/NewPasswordFields';
import { parseLink } from './people-links';

/**
 * A forgotten password: ask for a link (the answer is the same whether or not the email is
 * known), then, from the emailed link (or one pasted in on the desktop), choose a new password.
 * Every session ends; the user then signs in as usual, second step included.
 */
export function ResetPasswordScreen({ token: initial, account: initialAccount, onDone, onBack }: { token: string | null; account?: string; onDone: (prefill: { account: string; email: string }) => void; onBack: () => void }) {
  const t = useT();
  const requestReset = useApiMutation('requestPasswordReset');
  const completeReset = useApiMutation('completePasswordReset');
  const [token, setToken] = useState<string | null>(initial);
  const [account, setAccount] = useState(initialAccount ?? '');
  const [email, setEmail] = useState('');
  const [asked, setAsked] = useState(false);
  const [pasted, setPasted] = useState('');
  const [password, setPassword] = useState('');
  const [valid, setValid] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function ask(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await requestReset.mutateAsync({ body: { account: account.trim(), email: email.trim() } });
      setAsked(true);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  function usePasted(event: FormEvent) {
    event.preventDefault();
    const link = parseLink(pasted, 'reset-password');
    if (!link) setError(t('reset.notALink'));
    else {
      setError(null);
      setToken(link.token);
    }
  }

  async function complete(event: FormEvent) {
    event.preventDefault();
    if (!token || !valid) return;
    setBusy(true);
    setError(null);
    try {
      onDone(await completeReset.mutateAsync({ body: { token, newPassword: password } }));
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  }

  const back = (
    <p className="auth-footer">
      <button type="button" className="button-link" onClick={onBack}>{t('common.backToSignIn')}</button>
    </p>
  );

  if (token) {
    return (
      <AuthCard title={t('reset.chooseNew')}>
        <p>{t('reset.chooseNewText')}</p>
        <form className="stack" onSubmit={(e) => void complete(e)}>
          <NewPasswordFields idPrefix="reset" onChange={(value, ok) => { setPassword(value); setValid(ok); }} />
          {error ? <Notice tone="error">{error}</Notice> : null}
          <button type="submit" className="button-wide" disabled={busy || !valid}>
            {busy ? t('common.saving') : t('reset.setNew')}
          </button>
        </form>
        {back}
      </AuthCard>
    );
  }

  return (
    <AuthCard title={t('reset.title')}>
      {asked ? (
        <Notice tone="success" title={t('reset.checkEmail')}>
          {t('reset.sent', { email: email.trim(), account: account.trim() })}
        </Notice>
      ) : (
        <form className="stack" onSubmit={(e) => void ask(e)}>
          <div className="field">
            <label htmlFor="reset-account">{t('reset.account')}</label>
            <input id="reset-account" autoComplete="organization" autoCapitalize="none" spellCheck={false} required value={account} onChange={(e) => setAccount(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="reset-email">{t('reset.email')}</label>
            <input id="reset-email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </div>
          {error ? <Notice tone="error">{error}</Notice> : null}
          <button type="submit" className="button-wide" disabled={busy}>
            {t('reset.emailMe')}
          </button>
        </form>
      )}
      <form className="stack" onSubmit={usePasted}>
        <div className="field">
          <label htmlFor="reset-link">{t('reset.haveLink')}</label>
          <input id="reset-link" autoComplete="off" spellCheck={false} value={pasted} onChange={(e) => setPasted(e.target.value)} />
        </div>
        <button type="submit" className="button-secondary">{t('reset.useLink')}</button>
      </form>
      {back}
    </AuthCard>
  );
}
