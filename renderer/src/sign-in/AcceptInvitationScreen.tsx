import { Msg, useT } from '../i18n/I18nProvider';
import { useState, type FormEvent } from 'react';
import { useApiMutation } from '../data/operations';
import { useInvitationPreview } from '../data/queries';
import { describeError } from '../api/error-messages';
import { AuthCard } from '../shared/AuthCard';
import { Notice } from '../shared/Notice';
import { NewPasswordFields } from '../shared/NewPasswordFields';
import { parseLink } from './people-links';

/**
 * An invited user chooses their password: from the emailed link (the web console opens here
 * with its token) or, on the desktop, from the link pasted in. They then sign in as usual.
 */
export function AcceptInvitationScreen({ token: initial, onAccepted, onBack }: { token: string | null; onAccepted: (prefill: { account: string; email: string }) => void; onBack: () => void }) {
  const t = useT();
  const [token, setToken] = useState<string | null>(initial);
  const [pasted, setPasted] = useState('');
  const [password, setPassword] = useState('');
  const [valid, setValid] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const accept = useApiMutation('acceptInvitation');
  const previewed = useInvitationPreview(token);
  const preview = previewed.data ?? null;
  const previewError = previewed.error ? describeError(previewed.error) : null;

  function usePasted(event: FormEvent) {
    event.preventDefault();
    const link = parseLink(pasted, 'invitation');
    if (!link) setError(t('invitation.notALink'));
    else {
      setError(null);
      setToken(link.token);
    }
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!token || !valid) return;
    setBusy(true);
    setError(null);
    try {
      const done = await accept.mutateAsync({ body: { token, password } });
      onAccepted({ account: done.account.slug, email: done.user.email });
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  }

  if (!token) {
    return (
      <AuthCard title={t('invitation.title')}>
        <p>{t('invitation.paste')}</p>
        <form className="stack" onSubmit={usePasted}>
          <div className="field">
            <label htmlFor="invitation-link">{t('invitation.link')}</label>
            <input id="invitation-link" autoComplete="off" spellCheck={false} required value={pasted} onChange={(e) => setPasted(e.target.value)} />
          </div>
          {error ? <Notice tone="error">{error}</Notice> : null}
          <button type="submit" className="button-wide">{t('common.continue')}</button>
        </form>
        <p className="auth-footer">
          <button type="button" className="button-link" onClick={onBack}>{t('common.backToSignIn')}</button>
        </p>
      </AuthCard>
    );
  }

  return (
    <AuthCard title={t('invitation.choosePassword')}>
      {preview ? (
        <p data-testid="invitation-for">
          <Msg id="invitation.welcome" values={{ name: preview.user.name, account: preview.account.name, email: preview.user.email, strong: (chunks) => <strong>{chunks}</strong> }} />
        </p>
      ) : !(error ?? previewError) ? (
        <p role="status">{t('invitation.checking')}</p>
      ) : null}
      {(error ?? previewError) ? <Notice tone="error">{error ?? previewError}</Notice> : null}
      {preview ? (
        <form className="stack" onSubmit={(e) => void submit(e)}>
          {/* The email, for password managers to save the new password against. */}
          <input type="email" autoComplete="username" value={preview.user.email} readOnly hidden />
          <NewPasswordFields idPrefix="invitation" onChange={(value, ok) => { setPassword(value); setValid(ok); }} />
          <button type="submit" className="button-wide" disabled={busy || !valid}>
            {busy ? t('common.saving') : t('invitation.setPassword')}
          </button>
        </form>
      ) : null}
      <p className="auth-footer">
        <button type="button" className="button-link" onClick={onBack}>{t('common.backToSignIn')}</button>
      </p>
    </AuthCard>
  );
}
