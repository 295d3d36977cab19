import { useState } from 'react';
import { useT } from '../i18n/I18nProvider';

/** A new password typed twice, with the rules the server applies said up front. */
export function NewPasswordFields({ idPrefix, label, onChange }: { idPrefix: string; label?: string; onChange: (password: string, valid: boolean) => void }) {
  const t = useT();
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const mismatch = again.length > 0 && again !== password;
  const update = (p: string, a: string) => onChange(p, p.length >= 10 && p.length <= 256 && p === a);
  return (
    <>
      <div className="field">
        <label htmlFor={`${idPrefix}-password`}>{label ?? t('password.new')}</label>
        <p className="field-hint" id={`${idPrefix}-password-hint`}>
          {t('password.rules')}
        </p>
        <input
          id={`${idPrefix}-password`}
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          maxLength={256}
          aria-describedby={`${idPrefix}-password-hint`}
          value={password}
          onChange={(e) => {
            setPassword(e.target.value);
            update(e.target.value, again);
          }}
        />
      </div>
      <div className="field">
        <label htmlFor={`${idPrefix}-password-again`}>{t('password.again')}</label>
        <input
          id={`${idPrefix}-password-again`}
          type="password"
          autoComplete="new-password"
          required
          aria-invalid={mismatch}
          aria-describedby={mismatch ? `${idPrefix}-password-mismatch` : undefined}
          value={again}
          onChange={(e) => {
            setAgain(e.target.value);
            update(password, e.target.value);
          }}
        />
        {mismatch ? (
          <p className="field-hint" id={`${idPrefix}-password-mismatch`}>
            {t('password.mismatch')}
          </p>
        ) : null}
      </div>
    </>
  );
}
