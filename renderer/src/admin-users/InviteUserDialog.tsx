import { useT } from '../i18n/I18nProvider';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { InvitationSent, Role } from '../../../contract/answers';
import { useApiMutation } from '../data/operations';
import { isLocale, localeNames, locales, type Locale } from '../i18n/locales';
import { describeError } from '../api/error-messages';
import { Notice } from '../shared/Notice';
import { useSession } from '../session-context';

/** "Add a user": name, email, role and language; the invitation link is emailed or handed over. */
export function InviteUserDialog({ onClose, onInvited }: { onClose: () => void; onInvited: (sent: InvitationSent) => void }) {
  const t = useT();
  const invite = useApiMutation('inviteUser');
  const { sensitive } = useSession();
  const dialog = useRef<HTMLDialogElement>(null);
  const [form, setForm] = useState({ name: '', email: '', role: 'agent' as Role, language: null as Locale | null });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const input = { name: form.name.trim(), email: form.email.trim(), role: form.role, ...(form.language ? { language: form.language } : {}) };
      // Inviting gives access (an agent or an admin): a sensitive change, the server may ask for a fresh second factor first.
      const sent = await sensitive(() => invite.mutateAsync({ body: input }));
      if (sent) onInvited(sent);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="invite-title" onCancel={(e) => { e.preventDefault(); onClose(); }}>
      <h2 id="invite-title">{t('invite.title')}</h2>
      <p className="muted small">{t('invite.intro')}</p>
      <form onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label htmlFor="new-user-name">{t('invite.name')}</label>
          <input id="new-user-name" required maxLength={120} autoFocus value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="new-user-email">{t('invite.email')}</label>
          <input id="new-user-email" type="email" required maxLength={254} value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="new-user-role">{t('users.role')}</label>
          <select id="new-user-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
            <option value="agent">{t('role.agent')}</option>
            <option value="admin">{t('role.admin')}</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="new-user-language">{t('invite.language')}</label>
          <p className="field-hint" id="new-user-language-hint">
            {t('invite.languageHint')}
          </p>
          <select
            id="new-user-language"
            aria-describedby="new-user-language-hint"
            value={form.language ?? ''}
            onChange={(e) => setForm({ ...form, language: isLocale(e.target.value) ? e.target.value : null })}
          >
            <option value="">{t('invite.languageDevice')}</option>
            {locales.map((locale) => (
              <option key={locale} value={locale} lang={locale}>
                {localeNames[locale]}
              </option>
            ))}
          </select>
        </div>
        {error ? <Notice tone="error">{error}</Notice> : null}
        <div className="dialog-actions inline-form">
          <button type="button" className="button-secondary" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" disabled={busy}>
            {t('invite.submit')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
