import { useId, useState, type ClipboardEvent } from 'react';
import { useT } from '../i18n/I18nProvider';

interface Props {
  label: string;
  hint?: string;
  disabled?: boolean;
  /** Called as soon as six digits are in, typed or pasted. */
  onComplete: (code: string) => void;
  autoFocus?: boolean;
  /** Change this to clear the field (e.g. after a wrong code). */
  resetKey?: number;
}

/** Six-digit code entry: one field, digits only, paste-friendly, submits itself when full. */
export function CodeField(props: Props) {
  return <CodeFieldInput key={props.resetKey ?? 0} {...props} />;
}

function CodeFieldInput({ label, hint, disabled, onComplete, autoFocus }: Props) {
  const t = useT();
  const id = useId();
  const [value, setValue] = useState('');

  function accept(raw: string) {
    const digits = raw.replace(/\D/g, '').slice(0, 6);
    setValue(digits);
    if (digits.length === 6) onComplete(digits);
  }

  function onPaste(event: ClipboardEvent<HTMLInputElement>) {
    event.preventDefault();
    accept(event.clipboardData.getData('text'));
  }

  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      <input
        id={id}
        className="code-input"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9]{6}"
        maxLength={7}
        placeholder={t('codeField.placeholder')}
        aria-describedby={hint ? `${id}-hint` : undefined}
        value={value}
        disabled={disabled}
        autoFocus={autoFocus}
        onPaste={onPaste}
        onChange={(event) => accept(event.target.value)}
      />
    </div>
  );
}
