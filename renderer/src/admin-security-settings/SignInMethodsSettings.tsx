import { t, type MessageId } from '../i18n';
import { useT } from '../i18n/I18nProvider';
import type { SecondFactorPolicy } from '../../../contract/answers';
import { Notice } from '../shared/Notice';

const policies: { value: SecondFactorPolicy; label: MessageId; hint: MessageId }[] = [
  { value: 'any', label: 'methods.any.label', hint: 'methods.any.hint' },
  { value: 'security_keys', label: 'methods.keys.label', hint: 'methods.keys.hint' },
];

/** What an admin's change of these settings did, in a sentence for the Saved notice. */
export function describeSignInMethodsSaved(change: { policy?: SecondFactorPolicy; passwordless?: boolean }): string {
  const parts: string[] = [];
  if (change.policy === 'security_keys') parts.push(t('methods.saved.keys'));
  if (change.policy === 'any') parts.push(t('methods.saved.any'));
  if (change.passwordless === true) parts.push(t('methods.saved.passwordlessOn'));
  if (change.passwordless === false) parts.push(t('methods.saved.passwordlessOff'));
  return parts.join(' ');
}

/**
 * Admin → Security Settings: which second factors count (and, under keys only, whether recovery
 * codes still do), and whether a security key with a PIN or fingerprint may sign in alone (a passkey). Saved with the rest of the page.
 */
export function SignInMethodsSettings({
  policy,
  passwordless,
  codesUnderKeys,
  onPolicy,
  onPasswordless,
  onCodesUnderKeys,
  needsOwnKey,
  onSetUpOwnMethod,
}: {
  policy: SecondFactorPolicy;
  passwordless: boolean;
  onPolicy: (policy: SecondFactorPolicy) => void;
  onPasswordless: (on: boolean) => void;
  /** Under "security keys only": whether recovery codes still count (off by default). */
  codesUnderKeys: boolean;
  onCodesUnderKeys: (on: boolean) => void;
  /** "Security keys only" is chosen and the admin has no key: said before she saves, not after. */
  needsOwnKey: boolean;
  onSetUpOwnMethod: () => void;
}) {
  const t = useT();
  return (
    <>
      <div className="setting-divider">
        <fieldset className="setting-group" aria-describedby="second-factor-policy-hint">
          <legend>{t('methods.legend')}</legend>
          <p className="muted small" id="second-factor-policy-hint">
            {t('methods.intro')}
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
                <label htmlFor={`second-factor-policy-${p.value}`}>{t(p.label)}</label>
                <p className="muted small" id={`second-factor-policy-${p.value}-hint`}>
                  {t(p.hint)}
                </p>
              </div>
            </div>
          ))}
          {needsOwnKey ? (
            <Notice tone="warning" title={t('methods.ownKeyTitle')}>
              <p data-testid="needs-own-key">
                {t('methods.ownKeyText')}
              </p>
              <button type="button" className="button-secondary" onClick={onSetUpOwnMethod}>
                {t('methods.addKey')}
              </button>
            </Notice>
          ) : null}
        </fieldset>
      </div>
      <div className="setting-divider">
        <div className="switch-row">
          <div>
            <p className="switch-label" id="passwordless-label">
              {t('methods.passwordless')}
            </p>
            <p className="muted small" id="passwordless-hint">
              {t('methods.passwordlessHint')}
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
              {passwordless ? t('common.on') : t('common.off')}
            </span>
          </button>
        </div>
      </div>
      {policy === 'security_keys' ? (
        <div className="checkbox">
          <input
            id="recovery-codes-under-keys"
            type="checkbox"
            checked={codesUnderKeys}
            aria-describedby="recovery-codes-under-keys-hint"
            onChange={(e) => onCodesUnderKeys(e.target.checked)}
          />
          <div>
            <label htmlFor="recovery-codes-under-keys">{t('settings.codesUnderKeys')}</label>
            <p className="muted small" id="recovery-codes-under-keys-hint">
              {t('settings.codesUnderKeysHint')}
            </p>
          </div>
        </div>
      ) : null}
    </>
  );
}
