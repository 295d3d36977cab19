import type { UserVerificationPolicy } from '../../../preload/agentdesk-api';

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

export function describePinPolicy(policy: UserVerificationPolicy): string {
  if (policy === 'required') return 'Security keys now always ask for their PIN or fingerprint.';
  if (policy === 'preferred') return 'Security keys now ask for their PIN or fingerprint when they have one.';
  return 'Security keys now ask for their PIN only when the key demands it.';
}

/** The label of a PIN policy, for the unsaved-changes list. */
export function pinPolicyLabel(policy: UserVerificationPolicy): string {
  return pinPolicies.find((p) => p.value === policy)?.label ?? policy;
}

/** Admin → Security Settings: whether a security key asks for its PIN. Saved with the rest of the card. */
export function PinPolicySettings({ policy: current, offerPreferred, onPolicy }: { policy: UserVerificationPolicy; offerPreferred: boolean; onPolicy: (policy: UserVerificationPolicy) => void }) {
  // 'preferred' is offered only to an account that already has it (set through the API).
  const offered = pinPolicies.filter((p) => p.value !== 'preferred' || offerPreferred);
  return (
    <div className="setting-divider">
      <fieldset className="setting-group" aria-describedby="pin-policy-hint">
        <legend>Security keys: ask for the key’s PIN</legend>
        <p className="muted small" id="pin-policy-hint">
          A touch on the key is always needed. Asking for its PIN (or fingerprint) too means a stolen key alone is not enough.
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
              <label htmlFor={`pin-policy-${policy.value}`}>{policy.label}</label>
              <p className="muted small" id={`pin-policy-${policy.value}-hint`}>
                {policy.hint}
              </p>
            </div>
          </div>
        ))}
      </fieldset>
    </div>
  );
}
