import { useEffect, useRef, useState } from 'react';
import type { CurrentSession, SsoProviderChoice } from '../../../contract/answers';
import { ApiError } from '../../../contract/api-error';
import { isDesktop } from '../api/bridge';
import { describeError } from '../api/error-messages';
import { Notice } from '../shared/Notice';
import { cancelSignInWithSso, listSsoProviders, signInWithSso } from '../data/client-calls';
import { useT } from '../i18n/I18nProvider';

/** Waits this long after the account is typed before asking for its identity providers. */
const LOOKUP_DELAY_MS = 400;

/** The code the server's callback put on the sign-in screen's address (`#/sign-in?sso_error=<code>`), if any. */
function ssoErrorInAddress(): string | null {
  const hash = window.location.hash;
  const query = hash.includes('?') ? hash.slice(hash.indexOf('?') + 1) : '';
  return new URLSearchParams(query).get('sso_error');
}

/**
 * "Sign in with <provider>": one button per identity provider of the typed account (ids and
 * names only, from the public list). The web console goes to the provider and comes back signed
 * in; the desktop opens the system browser and waits for it (main/sso-loopback.ts).
 */
export function SsoSignIn({ account, disabled, onSignedIn }: { account: string; disabled: boolean; onSignedIn: (current: CurrentSession) => void }) {
  const t = useT();
  const [providers, setProviders] = useState<SsoProviderChoice[]>([]);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(() => {
    const code = ssoErrorInAddress();
    return code ? describeError(new ApiError(code, '')) : null;
  });
  const signedIn = useRef(onSignedIn);
  signedIn.current = onSignedIn;

  // Said once: a reload or a bookmark of the address does not say it again.
  useEffect(() => {
    if (ssoErrorInAddress() !== null) window.history.replaceState(window.history.state, '', '#/sign-in');
  }, []);

  useEffect(() => {
    const slug = account.trim();
    if (!slug) {
      setProviders([]);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      listSsoProviders(slug).then(
        (answer) => live && setProviders(answer.providers),
        // No buttons when the list cannot be read: the other ways in stay.
        () => live && setProviders([]),
      );
    }, LOOKUP_DELAY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [account]);

  async function start(provider: SsoProviderChoice) {
    setBusy(provider.id);
    setError(null);
    try {
      signedIn.current(await signInWithSso({ account: account.trim(), provider: provider.id }));
    } catch (failure) {
      // The desktop's one-time code refused: the sign-in did not complete (not a code the user typed).
      const refusal = ApiError.from(failure);
      // The agent pressed Cancel: back to the choices, nothing to explain.
      if (refusal.code === 'sso_cancelled') {
        setBusy(null);
        return;
      }
      setError(describeError(refusal.code === 'invalid_code' ? new ApiError('sso_failed', refusal.message) : failure));
      setBusy(null);
    }
  }

  if (providers.length === 0 && !error) return null;
  return (
    <div className="stack sso-sign-in" data-testid="sso-sign-in">
      {providers.map((provider) => (
        <button key={provider.id} type="button" className="button-secondary button-wide" disabled={disabled || busy !== null} onClick={() => void start(provider)}>
          {busy === provider.id ? t(isDesktop ? 'sso.waitingBrowser' : 'sso.redirecting', { name: provider.name }) : t('sso.button', { name: provider.name })}
        </button>
      ))}
      {busy !== null && isDesktop ? (
        <>
          <p className="muted small">{t('sso.desktopHint')}</p>
          <button type="button" className="button-link" onClick={() => void cancelSignInWithSso()}>
            {t('sso.cancelWaiting')}
          </button>
        </>
      ) : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
    </div>
  );
}
