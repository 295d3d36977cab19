import { useState } from 'react';

/** A new password typed twice, with the rules the server applies said up front. */
export function NewPasswordFields({ idPrefix, label = 'New password', onChange }: { idPrefix: string; label?: string; onChange: (password: string, valid: boolean) => void }) {
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const mismatch = again.length > 0 && again !== password;
  const update = (p: string, a: string) => onChange(p, p.length >= 10 && p.length <= 256 && p === a);
  return (
    <>
      <div className="field">
        <label htmlFor={`${idPrefix}-password`}>{label}</label>
        <p className="field-hint" id={`${idPrefix}-password-hint`}>
          At least 10 characters. A few unrelated words work well; common passwords are refused.
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
        <label htmlFor={`${idPrefix}-password-again`}>Type it again</label>
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
            The two passwords are not the same.
          </p>
        ) : null}
      </div>
    </>
  );
}
