import { useSecurityPolicy } from '../data/queries';
import { useT } from '../i18n/I18nProvider';

/**
 * "Use this key to sign in without a password", offered when the account allows it: the key then
 * keeps a sign-in credential (a passkey) and checks its PIN or fingerprint every time.
 */
export function PasswordlessKeyOption({ id, checked, disabled, onChange }: { id: string; checked: boolean; disabled: boolean; onChange: (on: boolean) => void }) {
  const t = useT();
  // Without the policy the plain key is still offered.
  const offered = useSecurityPolicy().data?.passwordlessSignIn ?? false;
  if (!offered) return null;
  return (
    <div className="checkbox">
      <input id={`${id}-passwordless`} type="checkbox" checked={checked} disabled={disabled} aria-describedby={`${id}-passwordless-hint`} onChange={(e) => onChange(e.target.checked)} />
      <div>
        <label htmlFor={`${id}-passwordless`}>{t('passwordless.label')}</label>
        <p className="muted small" id={`${id}-passwordless-hint`}>
          {t('passwordless.hint')}
        </p>
      </div>
    </div>
  );
}
