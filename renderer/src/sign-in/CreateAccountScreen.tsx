import { useT } from '../i18n/I18nProvider';
import { useState, type FormEvent } from 'react';
import { useApiMutation } from '../data/operations';
import { describeError } from '../api/error-messages';
import { AuthCard } from '../shared/AuthCard';
import { Notice } from '../shared/Notice';

/** An organisation and its first administrator: on the server's first run, or with open signup. */
export function CreateAccountScreen({ firstRun, onCreated, onBack }: { firstRun: boolean; onCreated: (created: { account: string; email: string }) => void; onBack: () => void }) {
  const t = useT();
  const createAccount = useApiMutation('createAccount');
  const [form, setForm] = useState({ name: '', slug: '', adminName: '', email: '', password: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const set = (key: keyof typeof form) => (event: { target: { value: string } }) => setForm({ ...form, [key]: event.target.value });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await createAccount.mutateAsync({
        body: {
          name: form.name.trim(),
          slug: form.slug.trim(),
          admin: { name: form.adminName.trim(), email: form.email.trim(), password: form.password },
        },
      });
      onCreated({ account: created.account.slug, email: created.user.email });
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  }

  return (
    <AuthCard title={t('createAccount.title')}>
      {firstRun ? (
        <p className="lead" data-testid="first-run-welcome">
          {t('createAccount.welcome')}
        </p>
      ) : null}
      <form className="stack" onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label htmlFor="new-account-name">{t('createAccount.orgName')}</label>
          <input id="new-account-name" required value={form.name} onChange={set('name')} />
        </div>
        <div className="field">
          <label htmlFor="new-account-slug">{t('createAccount.slug')}</label>
          <p className="field-hint" id="new-account-slug-hint">
            {t('createAccount.slugHint')}
          </p>
          <input
            id="new-account-slug"
            required
            pattern="[a-z0-9][a-z0-9\-]*"
            aria-describedby="new-account-slug-hint"
            autoCapitalize="none"
            spellCheck={false}
            value={form.slug}
            onChange={set('slug')}
          />
        </div>
        <div className="field">
          <label htmlFor="new-admin-name">{t('createAccount.yourName')}</label>
          <input id="new-admin-name" autoComplete="name" required value={form.adminName} onChange={set('adminName')} />
        </div>
        <div className="field">
          <label htmlFor="new-admin-email">{t('createAccount.yourEmail')}</label>
          <input id="new-admin-email" type="email" autoComplete="email" required value={form.email} onChange={set('email')} />
        </div>
        <div className="field">
          <label htmlFor="new-admin-password">{t('createAccount.password')}</label>
          <p className="field-hint" id="new-admin-password-hint">
            {t('createAccount.passwordHint')}
          </p>
          <input
            id="new-admin-password"
            type="password"
            autoComplete="new-password"
            minLength={12}
            required
            aria-describedby="new-admin-password-hint"
            value={form.password}
            onChange={set('password')}
          />
        </div>
        {error ? <Notice tone="error">{error}</Notice> : null}
        <button type="submit" className="button-wide" disabled={busy}>
          {t('createAccount.submit')}
        </button>
      </form>
      {firstRun ? null : (
        <p className="auth-footer">
          <button type="button" className="button-link" onClick={onBack}>
            {t('common.backToSignIn')}
          </button>
        </p>
      )}
    </AuthCard>
  );
}
