import { t, type MessageId } from '../i18n';
import { useT } from '../i18n/I18nProvider';
import type { UserVerificationPolicy } from '../../../contract/answers';

const pinPolicies: { value: UserVerificationPolicy; label: MessageId; hint: MessageId }[] = [
  { value: 'discouraged', label: 'pin.discouraged.label', hint: 'pin.discouraged.hint' },
  { value: 'preferred', label: 'pin.preferred.label', hint: 'pin.preferred.hint' },
  { value: 'required', label: 'pin.required.label', hint: 'pin.required.hint' },
];

export function describePinPolicy(policy: UserVerificationPolicy): string {
  if (policy === 'required') return t('pin.saved.required');
  if (policy === 'preferred') return t('pin.saved.preferred');
  return t('pin.saved.discouraged');
}

/** The label of a PIN policy, for the unsaved-changes list. */
export function pinPolicyLabel(policy: UserVerificationPolicy): string {
  const found = pinPolicies.find((p) => p.value === policy);
  return found ? t(found.label) : policy;
}

/** Admin → Security Settings: whether a security key asks for its PIN. Saved with the rest of the card. */
export function PinPolicySettings({ policy: current, offerPreferred, onPolicy }: { policy: UserVerificationPolicy; offerPreferred: boolean; onPolicy: (policy: UserVerificationPolicy) => void }) {
  const t = useT();
  // 'preferred' is offered only to an account that already has it (set through the API).
  const offered = pinPolicies.filter((p) => p.value !== 'preferred' || offerPreferred);
  return (
    <div className="setting-divider">
      <fieldset className="setting-group" aria-describedby="pin-policy-hint">
        <legend>{t('pin.legend')}</legend>
        <p className="muted small" id="pin-policy-hint">
          {t('pin.intro')}
        </p>
        {offered.map((policy) => (
          <div className="radio" key={policy.value}>
            <input
              type="radio"
              id={`pin-policy-${policy.value}`}
              name="pin-policy"
              value={policy.value}
              checked={current === policy.value}
              aria-describedby={`pin-policy-${policy.value}-hint`}
              onChange={() => onPolicy(policy.value)}
            />
            <div>
              <label htmlFor={`pin-policy-${policy.value}`}>{t(policy.label)}</label>
              <p className="muted small" id={`pin-policy-${policy.value}-hint`}>
                {t(policy.hint)}
              </p>
            </div>
          </div>
        ))}
      </fieldset>
    </div>
  );
}
