import { useCallback, useState, type FormEvent } from 'react';
import type { CurrentSession } from '../../../contract/answers';
import { ApiError, refusedUntil } from '../../../contract/api-error';
import { signIn } from '../data/client-calls';
import { describeError } from '../api/error-messages';
import { AuthCard } from '../shared/AuthCard';
import { LockedNotice } from '../shared/LockedNotice';
import { Notice } from '../shared/Notice';
import { PasskeySignIn } from './PasskeySignIn';
import { SsoSignIn } from './SsoSignIn';
import { useT } from '../i18n/I18nProvider';

const lastAccountKey = 'agentdesk.lastAccount';

function rememberedAccount(): string {
  // The admin's sign-in link for agents (Admin → Single sign-on): `#/sign-in?account=<slug>`.
  const hash = window.location.hash;
  const linked = new URLSearchParams(hash.includes('?') ? hash.slice(hash.indexOf('?') + 1) : '').get('account');
  if (linked) return linked.slice(0, 64);
  try {
    return localStorage.getItem(lastAccountKey) ?? '';
  } catch {
    return '';
  }
}

/** Account, email and password: the first step of every sign-in. */
export function SignInScreen({
  notice,
  created = null,
  onSignedIn,
  onCreateAccount,
  prefill = null,
  onForgotPassword,
  onHaveInvitation,
}: {
  notice: string | null;
  /** After choosing a password from a link: the account and email filled in, and said so. */
  prefill?: { account: string; email: string } | null;
  onForgotPassword?: (account: string) => void;
  onHaveInvitation?: () => void;
  /** The account just created on this screen's way here: said so, and its admin's details filled in. */
  created?: { account: string; email: string } | null;
  onSignedIn: (current: CurrentSession) => void;
  /** Null when this server does not let a new account be created. */
  onCreateAccount: (() => void) | null;
}) {
  const t = useT();
  const [account, setAccount] = useState(() => created?.account ?? prefill?.account ?? rememberedAccount());
  const [email, setEmail] = useState(created?.email ?? prefill?.email ?? '');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Too many attempts with a known end: counted down, and gone when it ends.
  const [refused, setRefused] = useState<ApiError | null>(null);
  const refusalEnded = useCallback(() => setRefused(null), []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setRefused(null);
    try {
      const current = await signIn({ account: account.trim(), email: email.trim(), password });
      try {
        localStorage.setItem(lastAccountKey, account.trim());
      } catch {
        // remembering is a convenience
      }
      onSignedIn(current);
    } catch (failure) {
      const refusal = ApiError.from(failure);
      if (refusedUntil(refusal) !== null) setRefused(refusal);
      else setError(describeError(failure));
      setPassword('');
      setBusy(false);
    }
  }

  return (
    <AuthCard title={t('signIn.title')} focusHeading={created === null && prefill === null}>
      {created ? (
        <Notice tone="success" title={t('signIn.accountCreated.title')}>
          <span data-testid="account-created">{t('signIn.accountCreated.text', { account: created.account })}</span>
        </Notice>
      ) : null}
      {prefill ? (
        <Notice tone="success" title={t('signIn.passwordSet.title')}>
          <span data-testid="password-set">{t('signIn.passwordSet.text')}</span>
        </Notice>
      ) : null}
      {notice ? (
        <Notice tone="warning" title={t('signIn.signedOut.title')}>
          <span data-testid="signed-out-reason">{notice}</span>
        </Notice>
      ) : null}
      <form className="stack" onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label htmlFor="sign-in-account">{t('signIn.account')}</label>
          <p className="field-hint" id="sign-in-account-hint">
            {t('signIn.accountHint')}
          </p>
          <input
            id="sign-in-account"
            name="account"
            autoComplete="organization"
            autoCapitalize="none"
            spellCheck={false}
            required
            aria-describedby="sign-in-account-hint"
            value={account}
            onChange={(e) => setAccount(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="sign-in-email">{t('signIn.email')}</label>
          <input id="sign-in-email" name="email" type="email" autoComplete="username webauthn" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="sign-in-password">{t('signIn.password')}</label>
          <input
            id="sign-in-password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            autoFocus={created !== null || prefill !== null}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
        {error ? <Notice tone="error">{error}</Notice> : null}
        {refused ? <LockedNotice key={refused.lockedUntil ?? refused.retryAfterSeconds} error={refused} onEnded={refusalEnded} /> : null}
        <button type="submit" className="button-wide" disabled={busy}>
          {busy ? t('signIn.submitting') : t('signIn.submit')}
        </button>
      </form>
      <PasskeySignIn account={account} disabled={busy} onSignedIn={onSignedIn} />
      <SsoSignIn account={account} disabled={busy} onSignedIn={onSignedIn} />
      {onForgotPassword || onHaveInvitation ? (
        <p className="auth-footer">
          {onForgotPassword ? (
            <button type="button" className="button-link" onClick={() => onForgotPassword(account.trim())}>
              {t('signIn.forgotPassword')}
            </button>
          ) : null}
          {onForgotPassword && onHaveInvitation ? ' · ' : null}
          {onHaveInvitation ? (
            <button type="button" className="button-link" onClick={onHaveInvitation}>
              {t('signIn.haveInvitation')}
            </button>
          ) : null}
        </p>
      ) : null}
      {onCreateAccount ? (
        <p className="auth-footer">
          {t('signIn.newToAgentDesk')}{' '}
          <button type="button" className="button-link" onClick={onCreateAccount}>
            {t('signIn.createAccount')}
          </button>
        </p>
      ) : null}
    </AuthCard>
  );
}
