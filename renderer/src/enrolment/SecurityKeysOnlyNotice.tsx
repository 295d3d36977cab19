import { useEffect, useState } from 'react';
import type { Method, SecurityPolicy } from '../../../contract/answers';
import { agentdesk } from '../api/bridge';
import { Notice } from '../shared/Notice';
import { useT } from '../i18n/I18nProvider';

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
  const t = useT();
  if (policy?.secondFactorPolicy !== 'security_keys') return null;
  const hasKey = methods.some((m) => m.type === 'security_key');
  const hasApp = methods.some((m) => m.type === 'totp');
  return (
    <Notice tone={hasKey ? 'info' : 'warning'} title={t('keysOnly.title')}>
      <p data-testid="security-keys-only">
        {t('keysOnly.why')}
        {hasApp && !hasKey ? t('keysOnly.appOnly') : ''}
        {t('keysOnly.recovery')}
      </p>
      {!hasKey ? (
        <button type="button" className="button-secondary" onClick={onAddKey}>
          {t('keysOnly.addKey')}
        </button>
      ) : null}
    </Notice>
  );
}
