import { useEffect, useState } from 'react';
import { useT } from '../i18n/I18nProvider';
import type {
  EnforcementImpact,
  EnrollmentPolicy,
  SaveSecuritySettingsInput,
  SecondFactorPolicy,
  SecuritySettings,
  UserVerificationPolicy,
} from '../../../contract/answers';
import { describeSignInMethodsSaved, SignInMethodsSettings } from './SignInMethodsSettings';
import { agentdesk } from '../api/bridge';
import { ApiError } from '../../../contract/api-error';
import { ImpactPreview, impactSentence } from './ImpactPreview';
import { describeError } from '../api/error-messages';
import { Notice } from '../shared/Notice';
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

const yesNo = (on: boolean) => (on ? 'yes' : 'no');

/**
 * Admin → Security Settings → Authentication: every choice on this card (the requirement, its
 * deployment day, who may enrol, the PIN and second-factor policies, sign-in with a key alone)
 * is committed one way: the Save at the bottom, with the unsaved changes listed beside it. The
 * settings shown are the server's, fetched again after every save and on every pushed change.
 */
export function SecuritySettingsPanel({ onSetUpOwnMethod }: { onSetUpOwnMethod: () => void }) {
  const t = useT();
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
    agentdesk.getEnforcementImpact({ query: { secondFactorPolicy: factorPolicy } }).then(
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
    if (turningOn || turningOff) unsaved.push(t('settings.unsaved.require', { on: yesNo(wanted) }));
    if (scheduling) unsaved.push(validDay ? t('settings.unsaved.day', { when: deploymentDayText(startsAt!.toISOString()) }) : t('settings.unsaved.dayInvalid'));
    if (dropping) unsaved.push(t('settings.unsaved.dayDropped'));
    if (enrollmentChanged) unsaved.push(t('settings.unsaved.enrol', { policy: enrollment }));
    if (pinPolicyChanged) unsaved.push(t('settings.unsaved.pin', { label: pinPolicyLabel(pinPolicy).toLowerCase() }));
    if (factorPolicyChanged) unsaved.push(t('settings.unsaved.factors', { policy: factorPolicy }));
    if (passwordlessChanged) unsaved.push(t('settings.unsaved.passwordless', { on: yesNo(passwordless) }));
    if (codesUnderKeysChanged) unsaved.push(t('settings.unsaved.codesUnderKeys', { on: yesNo(codesUnderKeys) }));
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
      const saved = await sensitive(() => agentdesk.saveSecuritySettings({ body: input }));
      if (saved) {
        const words = [
          turningOn
            ? t('settings.nowRequired', {
                impact: impactSentence(
                  // Counted again after the save: the same words as the warning, with today's numbers.
                  (await agentdesk.listUsers({ query: { twoFactor: factorPolicy === 'security_keys' ? 'no_security_key' : 'none', limit: '1' } }).catch(() => ({ total: saved.signedOutUsers }))).total,
                  saved.signedOutUsers,
                  true,
                  saved.revokedSessions,
                ),
              })
            : '',
          tightening ? describeKeysOnlySaved(saved) : '',
          turningOff ? describeSaved(saved) : '',
          scheduling && saved.scheduledAt ? t('settings.requiredFrom', { when: deploymentDayText(saved.scheduledAt) }) : '',
          dropping ? t('settings.dayCancelled') : '',
          enrollmentChanged
            ? enrollment === 'known_device'
              ? t('settings.enrolKnown')
              : t('settings.enrolPassword')
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
      setError(ApiError.from(failure).code === 'admin_method_required' && factorPolicy === 'security_keys' && !adminHasKey ? t('settings.ownKeyFirst') : describeError(failure));
    } finally {
      setBusy(false);
      // Whatever happened, show what the server has now.
      void reload();
    }
  }

  if (!settings) {
    return loadError ? <Notice tone="error">{loadError}</Notice> : <p role="status">{t('settings.loading')}</p>;
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
        <h2 id="authentication-title">{t('settings.title')}</h2>
        {unsaved.length ? (
          <span className="badge badge-unsaved" data-testid="unsaved-badge">
            {t('settings.unsavedBadge')}
          </span>
        ) : null}
      </div>
      <div className="switch-row">
        <div>
          <p className="switch-label" id="require-2fa-label">
            {t('settings.require')}
          </p>
          <p className="muted small" id="require-2fa-hint">
            {t('settings.requireHint', { account: current.account.name })}
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
            {wanted ? t('common.on') : t('common.off')}
          </span>
        </button>
      </div>
      {settings.updatedAt ? (
        <p className="muted small">
          {t('settings.lastChanged', { when: formatDateTime(settings.updatedAt), by: settings.updatedBy?.name ?? 'none' })}
        </p>
      ) : null}

      {needsOwnMethod ? (
        <Notice tone="warning" title={t('settings.ownMethodTitle')}>
          <p>
            {turningOn || scheduling
              ? t('settings.ownMethodRequire')
              : t('settings.ownMethodKeys')}
          </p>
          <button type="button" className="button-secondary" onClick={onSetUpOwnMethod}>
            {t('settings.setUpMethod')}
          </button>
        </Notice>
      ) : null}

      {warns && adminHasMethod && !needsOwnKey ? (
        <div className="warning-box" role="region" aria-labelledby="enforce-warning-title">
          <p className="warning-title" id="enforce-warning-title">
            {factorPolicy === 'security_keys' ? t('settings.warnKeys') : t('settings.warnAny')}
          </p>
          {factorPolicy === 'security_keys' ? (
            <p>{t('settings.warnAppOnly')}</p>
          ) : null}
          <p>{t('settings.warnText')}</p>
          {impact === null ? <p role="status">{t('settings.checkingImpact')}</p> : <ImpactPreview impact={impact} policy={factorPolicy} />}
          <div className="checkbox">
            <input id="enforce-understood" type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.target.checked)} />
            <label htmlFor="enforce-understood">{t('settings.understand')}</label>
          </div>
          {!hasRecentSecondFactor(current.session) ? <p className="muted small">{t('settings.confirmOnSave')}</p> : null}
        </div>
      ) : null}

      {turningOff ? (
        <div className="info-box" role="region" aria-label={t('settings.offLabel')}>
          <p>{t('settings.offText')}</p>
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
            <label htmlFor="recovery-codes-under-keys">{t('settings.codesUnderKeys')}</label>
            <p className="muted small" id="recovery-codes-under-keys-hint">
              {t('settings.codesUnderKeysHint')}
            </p>
          </div>
        </div>
      ) : null}

      {error ? <Notice tone="error">{error}</Notice> : null}
      {result ? (
        <Notice tone="success" title={t('settings.saved')}>
          <span data-testid="save-result">{result}</span>
        </Notice>
      ) : null}

      {unsaved.length ? (
        <div className="unsaved-changes" role="status" data-testid="unsaved-changes">
          <p className="unsaved-title">{t('settings.notSavedYet')}</p>
          <ul>
            {unsaved.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <div className="button-row">
        <button type="button" disabled={!canSave || busy} onClick={() => void save()}>
          {busy ? t('common.saving') : t('settings.save')}
        </button>
        {unsaved.length ? (
          <button type="button" className="button-secondary" disabled={busy} onClick={discard}>
            {t('settings.discard')}
          </button>
        ) : null}
      </div>
    </section>
  );
}
