import type { Method, SecurityPolicy } from '../../../contract/answers';
import { useSecurityPolicy as useSecurityPolicyQuery } from '../data/queries';
import { Notice } from '../shared/Notice';
import { useT } from '../i18n/I18nProvider';

/** The account's second-factor policy (null until known), kept up to date by the data layer. */
export function useSecurityPolicy(): SecurityPolicy | null {
  return useSecurityPolicyQuery().data ?? null;
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
