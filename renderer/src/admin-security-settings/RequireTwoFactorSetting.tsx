// Security Settings: the requirement itself (the switch), who changed it last, and what turning
// it on or off means before the Save: the warning with its impact and "I understand", or that
// turning it off signs nobody out.
import type { SecuritySettings } from '../../../contract/answers';
import { useT } from '../i18n/I18nProvider';
import { formatDateTime } from '../dates';
import { useEnforcementImpact } from '../data/queries';
import { byName } from '../shared/by-name';
import { Notice } from '../shared/Notice';
import { hasRecentSecondFactor, useSession } from '../session-context';
import { ImpactPreview } from './ImpactPreview';
import { AppliesToSetting, useScopeWords } from './AppliesToSetting';
import type { SettingsDraft } from './useSettingsDraft';

export function RequireTwoFactorSetting({
  settings,
  draft,
  needsOwnMethod,
  needsOwnKey,
  onSetUpOwnMethod,
}: {
  settings: SecuritySettings;
  draft: SettingsDraft;
  needsOwnMethod: boolean;
  needsOwnKey: boolean;
  onSetUpOwnMethod: () => void;
}) {
  const t = useT();
  const { current } = useSession();
  const { wanted, warns, factorPolicy } = draft;
  const adminHasMethod = current.methods.length > 0;
  const showWarning = warns && adminHasMethod && !needsOwnKey;
  const impact = useEnforcementImpact(factorPolicy, warns, draft.scope);
  const scopeWords = useScopeWords(draft.scope);

  return (
    <>
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
          onClick={() => draft.change({ requireTwoFactor: !wanted })}
        >
          <span className="switch-track" aria-hidden="true">
            <span className="switch-thumb" />
          </span>
          <span className="switch-text" aria-hidden="true">
            {wanted ? t('common.on') : t('common.off')}
          </span>
        </button>
      </div>
      {wanted || draft.showDeploymentDay ? <AppliesToSetting scope={draft.scope} onScope={(next) => draft.change({ appliesTo: next })} /> : null}
      {settings.updatedAt ? (
        <p className="muted small">
          {t('settings.lastChanged', { when: formatDateTime(settings.updatedAt), ...byName(settings.updatedBy) })}
        </p>
      ) : null}

      {needsOwnMethod ? (
        <Notice tone="warning" title={t('settings.ownMethodTitle')}>
          <p>{draft.turningOn || draft.scheduling ? t('settings.ownMethodRequire') : t('settings.ownMethodKeys')}</p>
          <button type="button" className="button-secondary" onClick={onSetUpOwnMethod}>
            {t('settings.setUpMethod')}
          </button>
        </Notice>
      ) : null}

      {showWarning ? (
        <div className="warning-box" role="region" aria-labelledby="enforce-warning-title">
          <p className="warning-title" id="enforce-warning-title">
            {factorPolicy === 'security_keys' ? t('settings.warnKeys') : t('settings.warnAny')}
          </p>
          {factorPolicy === 'security_keys' ? <p>{t('settings.warnAppOnly')}</p> : null}
          <p>{t('settings.warnText')}</p>
          <p data-testid="enforcement-scope">{scopeWords}</p>
          {draft.scopeEmpty ? null : impact.data === undefined ? <p role="status">{t('settings.checkingImpact')}</p> : <ImpactPreview impact={impact.data} policy={factorPolicy} scope={draft.scope} />}
          <div className="checkbox">
            <input id="enforce-understood" type="checkbox" checked={draft.understood} onChange={(e) => draft.setUnderstood(e.target.checked)} />
            <label htmlFor="enforce-understood">{t('settings.understand')}</label>
          </div>
          {!hasRecentSecondFactor(current.session) ? <p className="muted small">{t('settings.confirmOnSave')}</p> : null}
        </div>
      ) : null}

      {draft.turningOff ? (
        <div className="info-box" role="region" aria-label={t('settings.offLabel')}>
          <p>{t('settings.offText')}</p>
        </div>
      ) : null}
    </>
  );
}

/** The impact the warning shows has loaded (the Save waits for it, so "I understand" is informed). */
export function useImpactShown(draft: SettingsDraft): boolean {
  return useEnforcementImpact(draft.factorPolicy, draft.warns, draft.scope).data !== undefined;
}
