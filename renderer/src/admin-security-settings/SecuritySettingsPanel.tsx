import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { SecuritySettings } from '../../../contract/answers';
import { ApiError } from '../../../contract/api-error';
import { describeError } from '../api/error-messages';
import { fetchUserCount } from '../data/client-calls';
import { useApiMutation } from '../data/operations';
import { scopeFilters, useSecuritySettings } from '../data/queries';
import { useT } from '../i18n/I18nProvider';
import { RolloutSettings } from '../rollout/RolloutSettings';
import { deploymentDayText } from '../rollout/when';
import { Notice } from '../shared/Notice';
import { useSession } from '../session-context';
import { impactSentence } from './ImpactPreview';
import { describePinPolicy, PinPolicySettings } from './PinPolicySettings';
import { RequireTwoFactorSetting, useImpactShown } from './RequireTwoFactorSetting';
import { SaveBar } from './SaveBar';
import { describeKeysOnlySaved, describeSaved } from './settings-saved-words';
import { describeSignInMethodsSaved, SignInMethodsSettings } from './SignInMethodsSettings';
import { useSettingsDraft } from './useSettingsDraft';

/**
 * Admin → Security Settings → Authentication: every choice on this card (the requirement, its
 * deployment day, who may enrol, the PIN and second-factor policies, sign-in with a key alone)
 * is committed one way: the Save at the bottom, with the unsaved changes listed beside it. The
 * settings shown are the server's (data/queries.ts): fetched again after every save, on every
 * pushed change and when the connection returns.
 */
export function SecuritySettingsPanel({ onSetUpOwnMethod }: { onSetUpOwnMethod: () => void }) {
  const t = useT();
  const settings = useSecuritySettings();
  if (!settings.data) {
    return settings.error ? <Notice tone="error">{describeError(settings.error)}</Notice> : <p role="status">{t('settings.loading')}</p>;
  }
  return <AuthenticationCard settings={settings.data} onSetUpOwnMethod={onSetUpOwnMethod} />;
}

function AuthenticationCard({ settings, onSetUpOwnMethod }: { settings: SecuritySettings; onSetUpOwnMethod: () => void }) {
  const t = useT();
  const { current, sensitive } = useSession();
  const client = useQueryClient();
  const save = useApiMutation('saveSecuritySettings');
  const draft = useSettingsDraft(settings);
  const impactShown = useImpactShown(draft);
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Held from the click to the sentence, the re-authentication between included.
  const [busy, setBusy] = useState(false);

  const { wanted, factorPolicy, turningOn, turningOff, tightening, scheduling, dropping, warns } = draft;
  const adminHasMethod = current.methods.length > 0;
  const adminHasKey = current.methods.some((m) => m.type === 'security_key');
  const needsOwnKey = draft.factorPolicyChanged && factorPolicy === 'security_keys' && !adminHasKey;
  // Changing how anyone signs in needs a method of one's own (turning off and dropping do not).
  const needsOwnMethod = !adminHasMethod && (wanted || scheduling || draft.pinPolicyChanged || draft.factorPolicyChanged || draft.passwordlessChanged);
  const canSave =
    draft.unsaved.length > 0 &&
    !draft.scopeEmpty &&
    !needsOwnMethod &&
    !needsOwnKey &&
    (!warns || (draft.understood && impactShown)) &&
    (!scheduling || (draft.validDay && (draft.scheduleUnderstood || Boolean(settings.scheduledAt))));

  function edit(change: Parameters<typeof draft.change>[0]) {
    draft.change(change);
    setResult(null);
    setError(null);
  }

  async function commit() {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const saved = await sensitive(() => save.mutateAsync({ body: draft.input() }));
      if (!saved) return;
      const words = [
        turningOn
          ? t('settings.nowRequired', {
              impact: impactSentence(
                // Counted again after the save: the same words as the warning, with today's numbers.
                await fetchUserCount({ twoFactor: factorPolicy === 'security_keys' ? 'no_security_key' : 'none', ...scopeFilters(draft.scope) }).catch(() => saved.signedOutUsers),
                saved.signedOutUsers,
                true,
                saved.revokedSessions,
              ),
            })
          : '',
        tightening ? describeKeysOnlySaved(saved) : '',
        draft.rescoping && !turningOn && !tightening ? t('settings.scopeSaved', { users: saved.signedOutUsers }) : '',
        turningOff ? describeSaved(saved) : '',
        scheduling && saved.scheduledAt ? t('settings.requiredFrom', { when: deploymentDayText(saved.scheduledAt) }) : '',
        dropping ? t('settings.dayCancelled') : '',
        draft.enrollmentChanged ? (draft.enrollment === 'known_device' ? t('settings.enrolKnown') : t('settings.enrolPassword')) : '',
        draft.pinPolicyChanged ? describePinPolicy(draft.pinPolicy) : '',
        // The keys-only sentence above already says what "security keys only" did.
        describeSignInMethodsSaved({ ...(draft.factorPolicyChanged && !tightening && { policy: factorPolicy }), ...(draft.passwordlessChanged && { passwordless: draft.passwordless }) }),
      ];
      setResult(words.filter(Boolean).join(' '));
      draft.discard();
    } catch (failure) {
      // The server's refusal for "keys only" without a key of her own shares its code with
      // "no method at all": say the one that is true.
      setError(ApiError.from(failure).code === 'admin_method_required' && factorPolicy === 'security_keys' && !adminHasKey ? t('settings.ownKeyFirst') : describeError(failure));
      // A refusal can come from settings changed meanwhile: show what the server has now.
      void client.invalidateQueries({ queryKey: ['getSecuritySettings'] });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="authentication-title">
      <div className="card-header">
        <h2 id="authentication-title">{t('settings.title')}</h2>
        {draft.unsaved.length ? (
          <span className="badge badge-unsaved" data-testid="unsaved-badge">
            {t('settings.unsavedBadge')}
          </span>
        ) : null}
      </div>
      <RequireTwoFactorSetting
        settings={settings}
        draft={{ ...draft, change: edit }}
        needsOwnMethod={needsOwnMethod}
        needsOwnKey={needsOwnKey}
        onSetUpOwnMethod={onSetUpOwnMethod}
      />
      <RolloutSettings
        settings={settings}
        showDeploymentDay={draft.showDeploymentDay}
        day={draft.day}
        onDay={(next) => edit({ day: next })}
        scheduleUnderstood={draft.scheduleUnderstood}
        onScheduleUnderstood={draft.setScheduleUnderstood}
        enrollment={draft.enrollment}
        onEnrollment={(next) => edit({ enrollment: next })}
      />
      <PinPolicySettings policy={draft.pinPolicy} offerPreferred={settings.userVerification === 'preferred'} onPolicy={(policy) => edit({ userVerification: policy })} />
      <SignInMethodsSettings
        policy={factorPolicy}
        passwordless={draft.passwordless}
        codesUnderKeys={draft.codesUnderKeys}
        onPolicy={(p) => edit({ secondFactorPolicy: p })}
        onPasswordless={(on) => edit({ passwordlessSignIn: on })}
        onCodesUnderKeys={(on) => edit({ allowRecoveryCodesUnderKeysOnly: on })}
        needsOwnKey={needsOwnKey}
        onSetUpOwnMethod={onSetUpOwnMethod}
      />
      <SaveBar
        unsaved={draft.unsaved}
        canSave={canSave}
        busy={busy}
        error={error}
        result={result}
        onSave={() => void commit()}
        onDiscard={() => {
          draft.discard();
          setResult(null);
          setError(null);
        }}
      />
    </section>
  );
}
