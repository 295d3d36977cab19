import { useEffect, useState } from 'react';
import type { AuthenticatorAppSetup as Setup, MethodAdded } from '../../../contract/answers';
import { ApiError } from '../../../contract/api-error';
import { useApiMutation } from '../data/operations';
import { describeError } from '../api/error-messages';
import { CodeField } from '../shared/CodeField';
import { Notice } from '../shared/Notice';
import { useT } from '../i18n/I18nProvider';
import { needsPassword, PasswordReauthDialog } from '../shared/ReauthDialog';

/** Add an authenticator app: scan the QR code or type the key, then prove it with a code. */
export function AuthenticatorAppSetup({ onAdded, onCancel }: { onAdded: (added: MethodAdded) => void; onCancel?: () => void }) {
  const t = useT();
  const { mutateAsync: startSetup } = useApiMutation('startAuthenticatorApp');
  const confirmApp = useApiMutation('confirmAuthenticatorApp');
  const [setup, setSetup] = useState<Setup | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [expired, setExpired] = useState(false);
  const [busy, setBusy] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const [copied, setCopied] = useState(false);
  const [generation, setGeneration] = useState(0);
  const [askPassword, setAskPassword] = useState(false);

  useEffect(() => {
    let live = true;
    setSetup(null);
    setExpired(false);
    startSetup({ body: { name: 'Authenticator app' } })
      .then((s) => live && setSetup(s))
      .catch((e: unknown) => {
        if (!live) return;
        // A first method needs the password entered in the last 10 minutes: ask, then start again.
        if (needsPassword(e)) setAskPassword(true);
        else setError(describeError(e));
      });
    return () => {
      live = false;
    };
  }, [generation, startSetup]);

  async function confirm(code: string) {
    if (!setup) return;
    setBusy(true);
    setError(null);
    try {
      onAdded(await confirmApp.mutateAsync({ params: { id: setup.id }, body: { code } }));
    } catch (failure) {
      const code = ApiError.from(failure).code;
      if (code === 'invalid_code') setError(t('totpSetup.wrongCode'));
      else if (code === 'not_found' || code === 'challenge_expired') {
        setExpired(true);
        setError(t('totpSetup.expired'));
      } else setError(describeError(failure));
      setAttempt((n) => n + 1);
      setBusy(false);
    }
  }

  async function copyKey() {
    if (!setup) return;
    try {
      await navigator.clipboard.writeText(setup.secret);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }

  const groupedSecret = setup?.secret.replace(/(.{4})/g, '$1 ').trim();

  return (
    <section className="card" aria-labelledby="totp-setup-title">
      <h2 id="totp-setup-title">{t('totpSetup.title')}</h2>
      {!setup && !error ? <p role="status">{t('totpSetup.preparing')}</p> : null}
      {setup ? (
        <div className="totp-setup">
          <ol className="steps">
            <li>{t('totpSetup.step1')}</li>
            <li>{t('totpSetup.step2')}</li>
            <li>{t('totpSetup.step3')}</li>
          </ol>
          <div className="totp-grid">
            <img className="qr" src={setup.qrCodeDataUrl} alt={t('totpSetup.qrAlt')} width={180} height={180} />
            <div className="stack">
              <div>
                <p className="field-label" id="totp-secret-label">
                  {t('totpSetup.setupKey')}
                </p>
                <code className="secret" aria-labelledby="totp-secret-label" data-testid="totp-secret" data-secret={setup.secret}>
                  {groupedSecret}
                </code>
              </div>
              <div className="button-row">
                <button type="button" className="button-secondary" onClick={() => void copyKey()}>
                  {t('totpSetup.copyKey')}
                </button>
                <span role="status" className="muted">
                  {copied ? t('totpSetup.keyCopied') : ''}
                </span>
              </div>
              <form onSubmit={(e) => e.preventDefault()}>
                <CodeField label={t('totpSetup.codeLabel')} disabled={busy || expired} resetKey={attempt} onComplete={(code) => void confirm(code)} />
              </form>
            </div>
          </div>
        </div>
      ) : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      {askPassword ? (
        <PasswordReauthDialog
          onPassed={() => { setAskPassword(false); setGeneration((n) => n + 1); }}
          onCancel={() => { setAskPassword(false); setError(t('reauth.passwordForApp')); }}
        />
      ) : null}
      <div className="button-row">
        {expired || (!setup && error) ? (
          <button type="button" onClick={() => { setError(null); setGeneration((n) => n + 1); }}>
            {t('totpSetup.startAgain')}
          </button>
        ) : null}
        {onCancel ? (
          <button type="button" className="button-secondary" onClick={onCancel}>
            {t('common.cancel')}
          </button>
        ) : null}
      </div>
    </section>
  );
}
