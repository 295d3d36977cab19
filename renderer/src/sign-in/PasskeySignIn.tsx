import { useEffect, useRef, useState } from 'react';
import { browserSupportsWebAuthnAutofill } from '@simplewebauthn/browser';
import type { CurrentSession } from '../../../contract/answers';
import { isDesktop } from '../api/bridge';
import { cancelSecurityKey, signInWithSecurityKey } from '../data/client-calls';
import { ApiError } from '../../../contract/api-error';
import { describeError } from '../api/error-messages';
import { Notice } from '../shared/Notice';
import { SecurityKeyStatus } from '../shared/SecurityKeyStatus';
import { useT } from '../i18n/I18nProvider';

/** Waits this long after the account is typed before offering passkeys in the email field. */
const AUTOFILL_DELAY_MS = 600;

function quiet(error: unknown): boolean {
  // Autofill that was replaced, cancelled, or is not on for this account says nothing.
  return error instanceof ApiError && ['security_key_cancelled', 'passwordless_disabled', 'security_key_unavailable'].includes(error.code);
}

/**
 * "Sign in with a security key": a key with a PIN or fingerprint that holds this agent's passkey
 * signs them in without email or password. In a browser that offers passkeys in autofill, the
 * email field offers them too once the account is known.
 */
export function PasskeySignIn({ account, disabled, onSignedIn }: { account: string; disabled: boolean; onSignedIn: (current: CurrentSession) => void }) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const signedIn = useRef(onSignedIn);
  signedIn.current = onSignedIn;

  useEffect(() => {
    const slug = account.trim();
    if (isDesktop || !slug || busy) return;
    let live = true;
    let started = false;
    const timer = setTimeout(() => {
      void browserSupportsWebAuthnAutofill().then((supported) => {
        if (!supported || !live) return;
        started = true;
        signInWithSecurityKey({ account: slug, autofill: true }).then(
          (current) => live && signedIn.current(current),
          (failure: unknown) => {
            if (live && !quiet(failure)) setError(describeError(failure));
          },
        );
      });
    }, AUTOFILL_DELAY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
      // A pending autofill request would hold the browser's WebAuthn until it times out.
      if (started) cancelSecurityKey();
    };
  }, [account, busy]);

  async function start() {
    const slug = account.trim();
    if (!slug) {
      setError(t('passkey.accountFirst'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signInWithSecurityKey({ account: slug }));
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  }

  return (
    <div className="stack passkey-sign-in">
      <p className="divider-text" aria-hidden="true">
        {t('passkey.or')}
      </p>
      <button type="button" className="button-secondary button-wide" disabled={disabled || busy} onClick={() => void start()}>
        {busy ? t('passkey.waiting') : t('passkey.button')}
      </button>
      <p className="muted small">{t('passkey.hint')}</p>
      <SecurityKeyStatus />
      {error ? (
        <Notice tone="error">
          <span data-testid="passkey-error">{error}</span>
        </Notice>
      ) : null}
    </div>
  );
}
