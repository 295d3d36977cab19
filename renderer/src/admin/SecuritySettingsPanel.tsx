import { useEffect, useState } from 'react';
import type { EnforcementImpact, SecondFactorPolicy, SecuritySettings, SecuritySettingsSaved, UserVerificationPolicy } from '../../../preload/agentdesk-api';
import { describeSignInMethodsSaved, SignInMethodsSettings } from './SignInMethodsSettings';
import { agentdesk } from '../api/bridge';
import { ImpactPreview, impactSentence } from './ImpactPreview';
import { useConnectionGeneration } from '../api/connection';
import { describeError } from '../api/error-messages';
import { Notice } from '../components/Notice';
import { formatDateTime } from '../dates';
import { hasRecentSecondFactor, useSession } from '../session-context';
import { RolloutSettings } from '../rollout/RolloutSettings';

function plural(n: number, one: string, many: string) {
  return `${n} ${n === 1 ? one : many}`;
}

const pinPolicies: { value: UserVerificationPolicy; label: string; hint: string }[] = [
  {
    value: 'discouraged',
    label: 'Only when the key demands it',
    hint: 'The default. A touch is enough, unless the key itself is set to ask for its PIN.',
  },
  {
    value: 'preferred',
    label: 'When the key has a PIN or fingerprint',
    hint: 'Keys that can verify their user do so; others need a touch only.',
  },
  {
    value: 'required',
    label: 'Always',
    hint: 'Every new key and every sign-in with a key asks for its PIN or fingerprint. Keys without one cannot be used.',
  },
];

function describePinPolicy(policy: UserVerificationPolicy): string {
  if (policy === 'required') return 'Security keys now always ask for their PIN or fingerprint.';
  if (policy === 'preferred') return 'Security keys now ask for their PIN or fingerprint when they have one.';
  return 'Security keys now ask for their PIN only when the key demands it.';
}

function describeSaved(saved: SecuritySettingsSaved): string {
  if (!saved.requireTwoFactor) return 'Two-factor authentication is no longer required. Nobody was signed out.';
  if (saved.signedOutUsers === 0) return 'Two-factor authentication is now required. Everyone already had a method, so nobody was signed out.';
  return `Two-factor authentication is now required. ${plural(saved.signedOutUsers, 'user was', 'users were')} signed out (${plural(
    saved.revokedSessions,
    'session',
    'sessions',
  )} ended); they will set up a method at their next sign-in.`;
}

/** Admin → Security Settings → Authentication: the "Require two-factor authentication" switch. */
export function SecuritySettingsPanel({ onSetUpOwnMethod }: { onSetUpOwnMethod: () => void }) {
  const { current, sensitive, refresh } = useSession();
  const [settings, setSettings] = useState<SecuritySettings | null>(null);
  const [wanted, setWanted] = useState(false);
  const [pinPolicy, setPinPolicy] = useState<UserVerificationPolicy>('discouraged');
  const [factorPolicy, setFactorPolicy] = useState<SecondFactorPolicy>('any');
  const [passwordless, setPasswordless] = useState(false);
  const [codesUnderKeys, setCodesUnderKeys] = useState(false);
  const [impact, setImpact] = useState<EnforcementImpact | null>(null);
  const [understood, setUnderstood] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  // Loaded again each time the connection to the server comes back.
  const connectionGeneration = useConnectionGeneration();
  useEffect(() => {
    agentdesk.getSecuritySettings().then(
      (s) => {
        setSettings(s);
        setWanted(s.requireTwoFactor);
        setPinPolicy(s.userVerification);
        setFactorPolicy(s.secondFactorPolicy ?? 'any');
        setPasswordless(s.passwordlessSignIn ?? false);
        setCodesUnderKeys(s.allowRecoveryCodesUnderKeysOnly ?? false);
      },
      (e: unknown) => setError(describeError(e)),
    );
  }, [connectionGeneration]);

  const turningOn = settings !== null && wanted && !settings.requireTwoFactor;
  const turningOff = settings !== null && !wanted && settings.requireTwoFactor;
  const pinPolicyChanged = settings !== null && pinPolicy !== settings.userVerification;
  const factorPolicyChanged = settings !== null && factorPolicy !== (settings.secondFactorPolicy ?? 'any');
  const passwordlessChanged = settings !== null && passwordless !== (settings.passwordlessSignIn ?? false);
  const codesUnderKeysChanged = settings !== null && codesUnderKeys !== (settings.allowRecoveryCodesUnderKeysOnly ?? false);
  // "Security keys only" while 2FA stays required signs out whoever has no key: the same warning.
  const tightening = settings !== null && wanted && settings.requireTwoFactor && factorPolicy === 'security_keys' && settings.secondFactorPolicy !== 'security_keys';
  const warns = turningOn || tightening;
  const adminHasMethod = current.methods.length > 0;

  useEffect(() => {
    if (!warns) return;
    let live = true;
    setImpact(null);
    agentdesk.getEnforcementImpact(factorPolicy).then(
      (i) => live && setImpact(i),
      (e: unknown) => live && setError(describeError(e)),
    );
    return () => {
      live = false;
    };
  }, [warns, factorPolicy]);

  function toggle() {
    setWanted(!wanted);
    setUnderstood(false);
    setResult(null);
    setError(null);
  }

  function choosePinPolicy(policy: UserVerificationPolicy) {
    setPinPolicy(policy);
    setResult(null);
    setError(null);
  }

  async function save() {
    if (!settings) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const requireChanged = wanted !== settings.requireTwoFactor;
      const saved = await sensitive(() =>
        agentdesk.saveSecuritySettings({
          requireTwoFactor: wanted,
          // Only turning the requirement on has a warning to acknowledge; keeping it on while
          // changing the key policy signs nobody out, but the server still wants the flag.
          acknowledged: warns ? understood : wanted,
          ...(pinPolicyChanged ? { userVerification: pinPolicy } : {}),
          ...(factorPolicyChanged ? { secondFactorPolicy: factorPolicy } : {}),
          ...(passwordlessChanged ? { passwordlessSignIn: passwordless } : {}),
          ...(codesUnderKeysChanged ? { allowRecoveryCodesUnderKeysOnly: codesUnderKeys } : {}),
        }),
      );
      if (saved) {
        setSettings({ ...settings, requireTwoFactor: saved.requireTwoFactor, userVerification: pinPolicy, secondFactorPolicy: factorPolicy, passwordlessSignIn: passwordless, allowRecoveryCodesUnderKeysOnly: codesUnderKeys, updatedAt: new Date().toISOString(), updatedBy: current.user });
        setUnderstood(false);
        setResult(
          [
            requireChanged || tightening
              ? saved.requireTwoFactor
                ? `Two-factor authentication is now required. ${impactSentence(
                    // Counted again after the save: the same words as the warning, with today's numbers.
                    (await agentdesk.listUsers({ twoFactor: factorPolicy === 'security_keys' ? 'no_security_key' : 'none', limit: 1 }).catch(() => ({ total: saved.signedOutUsers }))).total,
                    saved.signedOutUsers,
                    true,
                    saved.revokedSessions,
                  )}`
                : describeSaved(saved)
              : '',
            pinPolicyChanged ? describePinPolicy(pinPolicy) : '',
            describeSignInMethodsSaved({ ...(factorPolicyChanged && { policy: factorPolicy }), ...(passwordlessChanged && { passwordless }) }),
          ]
            .filter(Boolean)
            .join(' '),
        );
        void refresh();
      }
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  if (!settings) {
    return error ? <Notice tone="error">{error}</Notice> : <p role="status">Loading security settings…</p>;
  }

  const canSave = warns
    ? understood && adminHasMethod && impact !== null
    : turningOff || ((pinPolicyChanged || factorPolicyChanged || passwordlessChanged || codesUnderKeysChanged) && adminHasMethod);
  // 'preferred' is offered only to an account that already has it (set through the API).
  const offeredPolicies = pinPolicies.filter((p) => p.value !== 'preferred' || settings.userVerification === 'preferred');

  return (
    <section className="card" aria-labelledby="authentication-title">
      <h2 id="authentication-title">Authentication</h2>
      <div className="switch-row">
        <div>
          <p className="switch-label" id="require-2fa-label">
            Require two-factor authentication
          </p>
          <p className="muted small" id="require-2fa-hint">
            Everyone in {current.account.name} confirms each sign-in with an authenticator app or a security key.
          </p>
        </div>
        <button
          type="button"
          role="switch"
          className="switch"
          aria-checked={wanted}
          aria-labelledby="require-2fa-label"
          aria-describedby="require-2fa-hint"
          onClick={toggle}
        >
          <span className="switch-track" aria-hidden="true">
            <span className="switch-thumb" />
          </span>
          <span className="switch-text" aria-hidden="true">
            {wanted ? 'On' : 'Off'}
          </span>
        </button>
      </div>
      {settings.updatedAt ? (
        <p className="muted small">
          Last changed {formatDateTime(settings.updatedAt)}
          {settings.updatedBy ? ` by ${settings.updatedBy.name}` : ''}.
        </p>
      ) : null}

      {(turningOn || (pinPolicyChanged && !turningOff)) && !adminHasMethod ? (
        <Notice tone="warning" title="Set up your own method first">
          <p>
            {turningOn
              ? 'You need a two-factor method of your own before you can require one from everyone.'
              : 'You need a two-factor method of your own before you can change how security keys are used.'}
          </p>
          <button type="button" className="button-secondary" onClick={onSetUpOwnMethod}>
            Set up a method
          </button>
        </Notice>
      ) : null}

      {warns && adminHasMethod ? (
        <div className="warning-box" role="region" aria-labelledby="enforce-warning-title">
          <p className="warning-title" id="enforce-warning-title">
            {factorPolicy === 'security_keys' ? 'Everyone without a security key will be signed out' : 'Everyone without a two-factor method will be signed out'}
          </p>
          {factorPolicy === 'security_keys' ? (
            <p>Under “Security keys only”, a user whose only method is an authenticator app counts as having no method: they must add a security key.</p>
          ) : null}
          <p>
            Upon save, any user without a two-factor authentication method will be signed out on every device, and will have to set up at
            least one method at their next sign-in to use AgentDesk. Tell your agents beforehand and make sure they have their phone or
            security key at hand.
          </p>
          {impact === null ? (
            <p role="status">Checking who will be signed out…</p>
          ) : (
            <ImpactPreview impact={impact} policy={factorPolicy} />
          )}
          <div className="checkbox">
            <input id="enforce-understood" type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.target.checked)} />
            <label htmlFor="enforce-understood">I understand</label>
          </div>
          {!hasRecentSecondFactor(current.session) ? (
            <p className="muted small">For your security you will confirm your second factor when you save.</p>
          ) : null}
        </div>
      ) : null}

      {turningOff ? (
        <div className="info-box" role="region" aria-label="About turning this off">
          <p>
            If you stop requiring two-factor authentication, nobody is signed out. It stays enabled for everyone who has set it up, but they
            can now choose to turn it off. New users won’t be asked to set it up.
          </p>
        </div>
      ) : null}

      <RolloutSettings adminHasMethod={adminHasMethod} />

      <div className="setting-divider">
        <fieldset className="setting-group" aria-describedby="pin-policy-hint">
          <legend>Security keys: ask for the key’s PIN</legend>
          <p className="muted small" id="pin-policy-hint">
            A touch on the key is always needed. Asking for its PIN (or fingerprint) too means a stolen key alone is not enough.
          </p>
          {offeredPolicies.map((policy) => (
            <div className="radio" key={policy.value}>
              <input
                type="radio"
                id={`pin-policy-${policy.value}`}
                name="pin-policy"
                value={policy.value}
                checked={pinPolicy === policy.value}
                aria-describedby={`pin-policy-${policy.value}-hint`}
                onChange={() => choosePinPolicy(policy.value)}
              />
              <div>
                <label htmlFor={`pin-policy-${policy.value}`}>{policy.label}</label>
                <p className="muted small" id={`pin-policy-${policy.value}-hint`}>
                  {policy.hint}
                </p>
              </div>
            </div>
          ))}
        </fieldset>
      </div>

      <SignInMethodsSettings
        policy={factorPolicy}
        passwordless={passwordless}
        onPolicy={(p) => {
          setFactorPolicy(p);
          setUnderstood(false);
          setResult(null);
          setError(null);
        }}
        onPasswordless={(on) => {
          setPasswordless(on);
          setResult(null);
          setError(null);
        }}
      />

      {factorPolicy === 'security_keys' ? (
        <div className="checkbox">
          <input
            id="recovery-codes-under-keys"
            type="checkbox"
            checked={codesUnderKeys}
            aria-describedby="recovery-codes-under-keys-hint"
            onChange={(e) => {
              setCodesUnderKeys(e.target.checked);
              setResult(null);
              setError(null);
            }}
          />
          <div>
            <label htmlFor="recovery-codes-under-keys">Also accept recovery codes</label>
            <p className="muted small" id="recovery-codes-under-keys-hint">
              Off by default. A recovery code is typed, so a fake sign-in page can steal and replay it: accepting them makes “security keys
              only” no longer phishing-resistant. Without them, someone who loses their key needs you to reset their two-factor authentication.
            </p>
          </div>
        </div>
      ) : null}

      {error ? <Notice tone="error">{error}</Notice> : null}
      {result ? (
        <Notice tone="success" title="Saved">
          <span data-testid="save-result">{result}</span>
        </Notice>
      ) : null}

      <div className="button-row">
        <button type="button" disabled={!canSave || busy} onClick={() => void save()}>
          {busy ? 'Saving…' : 'Save'}
        </button>
      </div>
    </section>
  );
}
