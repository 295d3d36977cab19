import { useEffect, useState } from 'react';
import type { Method, SecurityPolicy } from '../../../preload/agentdesk-api';
import { agentdesk } from '../api/bridge';
import { Notice } from './Notice';

/** The account's second-factor policy, read once per screen (null until known). */
export function useSecurityPolicy(): SecurityPolicy | null {
  const [policy, setPolicy] = useState<SecurityPolicy | null>(null);
  useEffect(() => {
    let live = true;
    agentdesk.getSecurityPolicy().then(
      (p) => live && setPolicy(p),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return policy;
}

/**
 * My security under "security keys only": what it means for this user, and (when they have no
 * key yet) the way to add one.
 */
export function SecurityKeysOnlyNotice({ policy, methods, onAddKey }: { policy: SecurityPolicy | null; methods: Method[]; onAddKey: () => void }) {
  if (policy?.secondFactorPolicy !== 'security_keys') return null;
  const hasKey = methods.some((m) => m.type === 'security_key');
  const hasApp = methods.some((m) => m.type === 'totp');
  return (
    <Notice tone={hasKey ? 'info' : 'warning'} title="Your administrator accepts security keys only">
      <p data-testid="security-keys-only">
        A security key cannot be tricked by a look-alike sign-in page, so codes from authenticator apps no longer confirm your sign-in.
        {hasApp && !hasKey ? ' Your authenticator app now only lets you add a key: add one to keep using AgentDesk.' : ''} Recovery codes still work.
      </p>
      {!hasKey ? (
        <button type="button" className="button-secondary" onClick={onAddKey}>
          Add a security key
        </button>
      ) : null}
    </Notice>
  );
}
