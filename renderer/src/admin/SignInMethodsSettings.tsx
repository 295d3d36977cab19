import type { SecondFactorPolicy } from '../../../preload/agentdesk-api';
import { Notice } from '../components/Notice';

const policies: { value: SecondFactorPolicy; label: string; hint: string }[] = [
  {
    value: 'any',
    label: 'Authenticator apps and security keys',
    hint: 'The default. Agents confirm each sign-in with a code from their phone or a touch on a security key.',
  },
  {
    value: 'security_keys',
    label: 'Security keys only',
    hint: 'Phishing-resistant: a look-alike page can pass on a typed code, never a key’s answer. Codes from authenticator apps stop working; users who have only an app must add a security key. Recovery codes still work.',
  },
];

/** What an admin's change of these settings did, in a sentence for the Saved notice. */
export function describeSignInMethodsSaved(change: { policy?: SecondFactorPolicy; passwordless?: boolean }): string {
  const parts: string[] = [];
  if (change.policy === 'security_keys') parts.push('Only security keys are accepted as a second factor now.');
  if (change.policy === 'any') parts.push('Authenticator apps and security keys are both accepted now.');
  if (change.passwordless === true) parts.push('Agents can now sign in with a security key alone.');
  if (change.passwordless === false) parts.push('Signing in with a security key alone is turned off.');
  return parts.join(' ');
}

/**
 * Admin → Security Settings: which second factors count, and whether a security key with a PIN
 * or fingerprint may sign in alone (a passkey). Saved with the rest of the page.
 */
export function SignInMethodsSettings({
  policy,
  passwordless,
  onPolicy,
  onPasswordless,
  needsOwnKey,
  onSetUpOwnMethod,
}: {
  policy: SecondFactorPolicy;
  passwordless: boolean;
  onPolicy: (policy: SecondFactorPolicy) => void;
  onPasswordless: (on: boolean) => void;
  /** "Security keys only" is chosen and the admin has no key: said before she saves, not after. */
  needsOwnKey: boolean;
  onSetUpOwnMethod: () => void;
}) {
  return (
    <>
      <div className="setting-divider">
        <fieldset className="setting-group" aria-describedby="second-factor-policy-hint">
          <legend>Accepted second factors</legend>
          <p className="muted small" id="second-factor-policy-hint">
            Which methods confirm a sign-in in this account.
          </p>
          {policies.map((p) => (
            <div className="radio" key={p.value}>
              <input
                type="radio"
                id={`second-factor-policy-${p.value}`}
                name="second-factor-policy"
                value={p.value}
                checked={policy === p.value}
                aria-describedby={`second-factor-policy-${p.value}-hint`}
                onChange={() => onPolicy(p.value)}
              />
              <div>
                <label htmlFor={`second-factor-policy-${p.value}`}>{p.label}</label>
                <p className="muted small" id={`second-factor-policy-${p.value}-hint`}>
                  {p.hint}
                </p>
              </div>
            </div>
          ))}
          {needsOwnKey ? (
            <Notice tone="warning" title="Add a security key of your own first">
              <p data-testid="needs-own-key">
                Under “Security keys only” your authenticator app no longer confirms your own sign-in. Add a security key under My security,
                then come back to save this.
              </p>
              <button type="button" className="button-secondary" onClick={onSetUpOwnMethod}>
                Add a security key
              </button>
            </Notice>
          ) : null}
        </fieldset>
      </div>
      <div className="setting-divider">
        <div className="switch-row">
          <div>
            <p className="switch-label" id="passwordless-label">
              Sign in with a security key alone
            </p>
            <p className="muted small" id="passwordless-hint">
              Agents who registered a key with a PIN or fingerprint for this can sign in with it, without their email or password. It
              counts as both factors.
            </p>
          </div>
          <button
            type="button"
            role="switch"
            className="switch"
            aria-checked={passwordless}
            aria-labelledby="passwordless-label"
            aria-describedby="passwordless-hint"
            onClick={() => onPasswordless(!passwordless)}
          >
            <span className="switch-track" aria-hidden="true">
              <span className="switch-thumb" />
            </span>
            <span className="switch-text" aria-hidden="true">
              {passwordless ? 'On' : 'Off'}
            </span>
          </button>
        </div>
      </div>
    </>
  );
}
