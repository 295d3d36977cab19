import { useT } from '../i18n/I18nProvider';
import { useId, useState } from 'react';

/** A link the admin hands over when the server cannot email it: shown in a field with a copy button. */
export function LinkToHandOver({ intro, link, label }: { intro: string; link: string; label: string }) {
  const t = useT();
  const [copied, setCopied] = useState(false);
  const id = useId();
  return (
    <div>
      <p>{intro}</p>
      <div className="link-box">
        <label htmlFor={id} className="visually-hidden">
          {label}
        </label>
        <input id={id} readOnly value={link} onFocus={(e) => e.currentTarget.select()} />
        <button
          type="button"
          className="button-secondary"
          onClick={() => {
            void navigator.clipboard?.writeText(link).then(() => setCopied(true), () => setCopied(false));
          }}
        >
          {copied ? t('handOver.copied') : t('handOver.copy')}
        </button>
      </div>
    </div>
  );
}
