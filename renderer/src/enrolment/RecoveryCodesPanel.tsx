import { useEffect, useId, useState } from 'react';
import { isDesktop } from '../api/bridge';
import { useT } from '../i18n/I18nProvider';

/** Recovery codes, shown once: copy, download, and an explicit "I have saved them". */
export function RecoveryCodesPanel({ codes, onDone, doneLabel }: { codes: string[]; onDone: () => void; doneLabel?: string }) {
  const t = useT();
  const id = useId();
  const [saved, setSaved] = useState(false);
  const [copied, setCopied] = useState(false);
  const text = codes.join('\n') + '\n';

  // Until the user confirms, leaving or reloading asks first (the codes are kept for this tab
  // either way, and shown again after a reload). On the desktop main keeps them, and an
  // objection here would silently stop the window from closing.
  useEffect(() => {
    if (isDesktop) return;
    function warn(event: BeforeUnloadEvent) {
      event.preventDefault();
      event.returnValue = '';
    }
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }

  function download() {
    const url = URL.createObjectURL(new Blob([`${t('recoveryCodes.fileHeading')}\n\n${text}`], { type: 'text/plain' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = 'agentdesk-recovery-codes.txt';
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('recoveryCodes.title')}</h2>
      <p>{t('recoveryCodes.text')}</p>
      <ol className="recovery-codes" aria-label={t('recoveryCodes.listLabel')} data-testid="recovery-codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className="button-row">
        <button type="button" className="button-secondary" onClick={() => void copy()}>
          {t('recoveryCodes.copy')}
        </button>
        <button type="button" className="button-secondary" onClick={download}>
          {t('recoveryCodes.download')}
        </button>
        <span role="status" className="muted">
          {copied ? t('recoveryCodes.copied') : ''}
        </span>
      </div>
      <div className="checkbox">
        <input id={`${id}-saved`} type="checkbox" checked={saved} onChange={(e) => setSaved(e.target.checked)} />
        <label htmlFor={`${id}-saved`}>{t('recoveryCodes.saved')}</label>
      </div>
      <div>
        <button type="button" disabled={!saved} onClick={onDone}>
          {doneLabel ?? t('recoveryCodes.continue')}
        </button>
      </div>
    </section>
  );
}
