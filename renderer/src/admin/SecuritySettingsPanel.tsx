import { useEffect, useState } from 'react';
import type {
  EnforcementImpact,
  EnrollmentPolicy,
  SaveSecuritySettingsInput,
  SecondFactorPolicy,
  SecuritySettings,
  UserVerificationPolicy,
} from '../../../preload/agentdesk-api';
import { describeSignInMethodsSaved, SignInMethodsSettings } from './SignInMethodsSettings';
import { agentdesk } from '../api/bridge';
import { ApiError } from '../api/api-error';
import { ImpactPreview, impactSentence } from './ImpactPreview';
import { describeError } from '../api/error-messages';
import { Notice } from '../components/Notice';
import { formatDateTime } from '../dates';
import { hasRecentSecondFactor, useSession } from '../session-context';
import { localInputValue, RolloutSettings } from '../rollout/RolloutSettings';
import { deploymentDayText } from '../rollout/when';
import { useSecuritySettings } from './useSecuritySettings';
import { describeKeysOnlySaved, describeSaved } from './settings-saved-words';
import { describePinPolicy, PinPolicySettings, pinPolicyLabel } from './PinPolicySettings';

/** What the admin changed and has not saved yet; a field left out is as the server has it. */
interface Draft {
  requireTwoFactor?: boolean;
  userVerification?: UserVerificationPolicy;
  secondFactorPolicy?: SecondFactorPolicy;
  passwordlessSignIn?: boolean;
  allowRecoveryCodesUnderKeysOnly?: boolean;
  enrollment?: EnrollmentPolicy;
  /** The deployment day as a datetime-local value; '' for none. */
  day?: string;
}

const onOff = (on: boolean) => (on ? 'on' : 'off');

/**
 * Admin → Security Settings → Authentication: every choice on this card (the requirement, its
 * deployment day, who may enrol, the PIN and second-factor policies, sign-in with a key alone)
 * is committed one way: the Save at the bottom, with the unsaved changes listed beside it. The
 * settings shown are the server's, fetched again after every save and on every pushed change.
 */
export function SecuritySettingsPanel({ onSetUpOwnMethod }: { onSetUpOwnMethod: () => void }) {
  const { current, sensitive, refresh } = useSession();
  const { settings, error: loadError, reload } = useSecuritySettings();
  const [draft, setDraft] = useState<Draft>({});
  const [impact, setImpact] = useState<EnforcementImpact | null>(null);
  const [understood, setUnderstood] = useState(false);
  const [scheduleUnderstood, setScheduleUnderstood] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const wanted = draft.requireTwoFactor ?? settings?.requireTwoFactor ?? false;
  const pinPolicy = draft.userVerification ?? settings?.userVerification ?? 'discouraged';
  const factorPolicy = draft.secondFactorPolicy ?? settings?.secondFactorPolicy ?? 'any';
  const passwordless = draft.passwordlessSignIn ?? settings?.passwordlessSignIn ?? false;
  const codesUnderKeys = draft.allowRecoveryCodesUnderKeysOnly ?? settings?.allowRecoveryCodesUnderKeysOnly ?? false;
  const enrollment = draft.enrollment ?? settings?.enrollment ?? 'password';
  const savedDay = settings?.scheduledAt ? localInputValue(settings.scheduledAt) : '';
  const day = draft.day ?? savedDay;

  const turningOn = settings !== null && wanted && !settings.requireTwoFactor;
  const turningOff = settings !== null && !wanted && settings.requireTwoFactor;
  const pinPolicyChanged = settings !== null && pinPolicy !== settings.userVerification;
  const factorPolicyChanged = settings !== null && factorPolicy !== (settings.secondFactorPolicy ?? 'any');
  const passwordlessChanged = settings !== null && passwordless !== (settings.passwordlessSignIn ?? false);
  const codesUnderKeysChanged = settings !== null && codesUnderKeys !== (settings.allowRecoveryCodesUnderKeysOnly ?? false);
  const enrollmentChanged = settings !== null && enrollment !== (settings.enrollment ?? 'password');
  // The deployment day applies only while the requirement is off and stays off in this save.
  const showDeploymentDay = settings !== null && !settings.requireTwoFactor && !wanted;
  const dayChanged = showDeploymentDay && day !== savedDay;
  const scheduling = dayChanged && day !== '';
  const dropping = dayChanged && day === '';
  const startsAt = scheduling ? new Date(day) : null;
  const validDay = startsAt !== null && !Number.isNaN(startsAt.getTime()) && startsAt.getTime() > Date.now();
  // "Security keys only" while 2FA stays required signs out whoever has no key: the same warning.
  const tightening = settings !== null && wanted && settings.requireTwoFactor && factorPolicy === 'security_keys' && settings.secondFactorPolicy !== 'security_keys';
  const warns = turningOn || tightening;
  const adminHasMethod = current.methods.length > 0;
  const adminHasKey = current.methods.some((m) => m.type === 'security_key');
  const needsOwnKey = factorPolicyChanged && factorPolicy === 'security_keys' && !adminHasKey;

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

  function change(next: Draft) {
    setDraft((d) => ({ ...d, ...next }));
    if ('requireTwoFactor' in next || 'secondFactorPolicy' in next) setUnderstood(false);
    setResult(null);
    setError(null);
  }

  function discard() {
    setDraft({});
    setUnderstood(false);
    setScheduleUnderstood(false);
    setResult(null);
    setError(null);
  }

  // The unsaved changes, in words, beside the Save.
  const unsaved: string[] = [];
  if (settings) {
    if (turningOn || turningOff) unsaved.push(`Require two-factor authentication: ${onOff(wanted)}`);
    if (scheduling) unsaved.push(`Deployment day: ${validDay ? deploymentDayText(startsAt!.toISOString()) : 'not a time in the future'}`);
    if (dropping) unsaved.push('Deployment day: dropped');
    if (enrollmentChanged) unsaved.push(`Who may enrol: ${enrollment === 'known_device' ? 'known devices or an enrolment code' : 'anyone with the password'}`);
    if (pinPolicyChanged) unsaved.push(`Security-key PIN: ${pinPolicyLabel(pinPolicy).toLowerCase()}`);
    if (factorPolicyChanged) unsaved.push(`Accepted second factors: ${factorPolicy === 'security_keys' ? 'security keys only' : 'authenticator apps and security keys'}`);
    if (passwordlessChanged) unsaved.push(`Sign in with a security key alone: ${onOff(passwordless)}`);
    if (codesUnderKeysChanged) unsaved.push(`Recovery codes under security keys only: ${onOff(codesUnderKeys)}`);
  }

  async function save() {
    if (!settings) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const input: SaveSecuritySettingsInput = {
        // A deployment day is asked for as the requirement with a start time.
        requireTwoFactor: wanted || scheduling,
        // The warning's "I understand" (turning on, or keys only while on); a new deployment day
        // its own tick; moving an existing one was acknowledged when it was set.
        acknowledged: warns ? understood : scheduling ? scheduleUnderstood || Boolean(settings.scheduledAt) : wanted,
        ...(pinPolicyChanged ? { userVerification: pinPolicy } : {}),
        ...(factorPolicyChanged ? { secondFactorPolicy: factorPolicy } : {}),
        ...(passwordlessChanged ? { passwordlessSignIn: passwordless } : {}),
        ...(codesUnderKeysChanged ? { allowRecoveryCodesUnderKeysOnly: codesUnderKeys } : {}),
        ...(enrollmentChanged ? { enrollment } : {}),
        ...(dayChanged ? { startsAt: scheduling ? startsAt!.toISOString() : null } : {}),
      };
      const saved = await sensitive(() => agentdesk.saveSecuritySettings(input));
      if (saved) {
        const words = [
          turningOn
            ? `Two-factor authentication is now required. ${impactSentence(
                // Counted again after the save: the same words as the warning, with today's numbers.
                (await agentdesk.listUsers({ twoFactor: factorPolicy === 'security_keys' ? 'no_security_key' : 'none', limit: 1 }).catch(() => ({ total: saved.signedOutUsers }))).total,
                saved.signedOutUsers,
                true,
                saved.revokedSessions,
              )}`
            : '',
          tightening ? describeKeysOnlySaved(saved) : '',
          turningOff ? describeSaved(saved) : '',
          scheduling && saved.scheduledAt ? `Two-factor authentication will be required from ${deploymentDayText(saved.scheduledAt)}.` : '',
          dropping ? 'The deployment day is cancelled. Nothing changes for anyone.' : '',
          enrollmentChanged
            ? enrollment === 'known_device'
              ? 'New devices now need an enrolment code to set up a first method.'
              : 'The password alone is now enough to set up a first method.'
            : '',
          pinPolicyChanged ? describePinPolicy(pinPolicy) : '',
          // The keys-only sentence above already says what "security keys only" did.
          describeSignInMethodsSaved({ ...(factorPolicyChanged && !tightening && { policy: factorPolicy }), ...(passwordlessChanged && { passwordless }) }),
        ];
        setResult(words.filter(Boolean).join(' '));
        setDraft({});
        setUnderstood(false);
        setScheduleUnderstood(false);
        void refresh();
      }
    } catch (failure) {
      // The server's refusal for "keys only" without a key of her own shares its code with
      // "no method at all": say the one that is true.
      setError(ApiError.from(failure).code === 'admin_method_required' && factorPolicy === 'security_keys' && !adminHasKey ? 'Add a security key of your own before accepting security keys only.' : describeError(failure));
    } finally {
      setBusy(false);
      // Whatever happened, show what the server has now.
      void reload();
    }
  }

  if (!settings) {
    return loadError ? <Notice tone="error">{loadError}</Notice> : <p role="status">Loading security settings…</p>;
  }

  // Changing how anyone signs in needs a method of one's own (turning off and dropping do not).
  const needsOwnMethod = !adminHasMethod && (wanted || scheduling || pinPolicyChanged || factorPolicyChanged || passwordlessChanged);
  const canSave =
    unsaved.length > 0 &&
    !needsOwnMethod &&
    !needsOwnKey &&
    (!warns || (understood && impact !== null)) &&
    (!scheduling || (validDay && (scheduleUnderstood || Boolean(settings.scheduledAt))));

  return (
    <section className="card" aria-labelledby="authentication-title">
      <div className="card-header">
        <h2 id="authentication-title">Authentication</h2>
        {unsaved.length ? (
          <span className="badge badge-unsaved" data-testid="unsaved-badge">
            Unsaved changes
          </span>
        ) : null}
      </div>
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
          onClick={() => change({ requireTwoFactor: !wanted })}
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

      {needsOwnMethod ? (
        <Notice tone="warning" title="Set up your own method first">
          <p>
            {turningOn || scheduling
              ? 'You need a two-factor method of your own before you can require one from everyone.'
              : 'You need a two-factor method of your own before you can change how security keys are used.'}
          </p>
          <button type="button" className="button-secondary" onClick={onSetUpOwnMethod}>
            Set up a method
          </button>
        </Notice>
      ) : null}

      {warns && adminHasMethod && !needsOwnKey ? (
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
          {impact === null ? <p role="status">Checking who will be signed out…</p> : <ImpactPreview impact={impact} policy={factorPolicy} />}
          <div className="checkbox">
            <input id="enforce-understood" type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.target.checked)} />
            <label htmlFor="enforce-understood">I understand</label>
          </div>
          {!hasRecentSecondFactor(current.session) ? <p className="muted small">For your security you will confirm your second factor when you save.</p> : null}
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

      <RolloutSettings
        settings={settings}
        showDeploymentDay={showDeploymentDay}
        day={day}
        onDay={(next) => change({ day: next })}
        scheduleUnderstood={scheduleUnderstood}
        onScheduleUnderstood={setScheduleUnderstood}
        enrollment={enrollment}
        onEnrollment={(next) => change({ enrollment: next })}
      />

      <PinPolicySettings policy={pinPolicy} offerPreferred={settings.userVerification === 'preferred'} onPolicy={(policy) => change({ userVerification: policy })} />

      <SignInMethodsSettings
        policy={factorPolicy}
        passwordless={passwordless}
        onPolicy={(p) => change({ secondFactorPolicy: p })}
        onPasswordless={(on) => change({ passwordlessSignIn: on })}
        needsOwnKey={needsOwnKey}
        onSetUpOwnMethod={onSetUpOwnMethod}
      />

      {factorPolicy === 'security_keys' ? (
        <div className="checkbox">
          <input
            id="recovery-codes-under-keys"
            type="checkbox"
            checked={codesUnderKeys}
            aria-describedby="recovery-codes-under-keys-hint"
            onChange={(e) => change({ allowRecoveryCodesUnderKeysOnly: e.target.checked })}
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

      {unsaved.length ? (
        <div className="unsaved-changes" role="status" data-testid="unsaved-changes">
          <p className="unsaved-title">Not saved yet:</p>
          <ul>
            {unsaved.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <div className="button-row">
        <button type="button" disabled={!canSave || busy} onClick={() => void save()}>
          {busy ? 'Saving…' : 'Save'}
        </button>
        {unsaved.length ? (
          <button type="button" className="button-secondary" disabled={busy} onClick={discard}>
            Discard changes
          </button>
        ) : null}
      </div>
    </section>
  );
}
