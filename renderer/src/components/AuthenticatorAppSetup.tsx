import { useEffect, useState } from 'react';
import type { AuthenticatorAppSetup as Setup, MethodAdded } from '../../../preload/agentdesk-api';
import { ApiError } from '../api/api-error';
import { agentdesk } from '../api/bridge';
import { describeError } from '../api/error-messages';
import { CodeField } from './CodeField';
import { Notice } from './Notice';
import { needsPassword, PasswordReauthDialog } from './ReauthDialog';

const wrongCode =
  'That code did not match. Codes change every 30 seconds: enter the newest one. If it keeps failing, make sure your phone sets its clock automatically (an app on a clock more than a minute off makes wrong codes).';

/** Add an authenticator app: scan the QR code or type the key, then prove it with a code. */
export function AuthenticatorAppSetup({ onAdded, onCancel }: { onAdded: (added: MethodAdded) => void; onCancel?: () => void }) {
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
    agentdesk
      .startAuthenticatorApp('Authenticator app')
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
  }, [generation]);

  async function confirm(code: string) {
    if (!setup) return;
    setBusy(true);
    setError(null);
    try {
      onAdded(await agentdesk.confirmAuthenticatorApp(setup.id, code));
    } catch (failure) {
      const code = ApiError.from(failure).code;
      if (code === 'invalid_code') setError(wrongCode);
      else if (code === 'not_found' || code === 'challenge_expired') {
        setExpired(true);
        setError('This setup expired before it was confirmed. Start again to get a new QR code.');
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
      <h2 id="totp-setup-title">Set up an authenticator app</h2>
      {!setup && !error ? <p role="status">Preparing your QR code…</p> : null}
      {setup ? (
        <div className="totp-setup">
          <ol className="steps">
            <li>Open an authenticator app on your phone (Google Authenticator, Microsoft Authenticator, 1Password…).</li>
            <li>Scan this QR code, or type the setup key by hand.</li>
            <li>Enter the 6-digit code the app shows.</li>
          </ol>
          <div className="totp-grid">
            <img className="qr" src={setup.qrCodeDataUrl} alt="QR code to add AgentDesk to your authenticator app" width={180} height={180} />
            <div className="stack">
              <div>
                <p className="field-label" id="totp-secret-label">
                  Setup key
                </p>
                <code className="secret" aria-labelledby="totp-secret-label" data-testid="totp-secret" data-secret={setup.secret}>
                  {groupedSecret}
                </code>
              </div>
              <div className="button-row">
                <button type="button" className="button-secondary" onClick={() => void copyKey()}>
                  Copy key
                </button>
                <span role="status" className="muted">
                  {copied ? 'Key copied.' : ''}
                </span>
              </div>
              <form onSubmit={(e) => e.preventDefault()}>
                <CodeField label="6-digit code from the app" disabled={busy || expired} resetKey={attempt} onComplete={(code) => void confirm(code)} />
              </form>
            </div>
          </div>
        </div>
      ) : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      {askPassword ? (
        <PasswordReauthDialog
          onPassed={() => { setAskPassword(false); setGeneration((n) => n + 1); }}
          onCancel={() => { setAskPassword(false); setError('Your password is needed to set up an authenticator app.'); }}
        />
      ) : null}
      <div className="button-row">
        {expired || (!setup && error) ? (
          <button type="button" onClick={() => { setError(null); setGeneration((n) => n + 1); }}>
            Start again
          </button>
        ) : null}
        {onCancel ? (
          <button type="button" className="button-secondary" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </section>
  );
}
