import { Msg, useT } from '../i18n/I18nProvider';
import './rollout.css';
import { useState } from 'react';
import { useApiMutation } from '../data/operations';
import { useSecurityAlerts } from '../data/queries';
import { describeError } from '../api/error-messages';
import { Notice } from '../shared/Notice';
import { activityText } from './activity-text';
import { fullTime } from './when';

/** On the admin's pages: users who answered "This wasn't me" and are not dealt with yet. */
export function SecurityAlertsBanner() {
  const t = useT();
  const answer = useSecurityAlerts();
  const resolve = useApiMutation('resolveSecurityAlert');
  const [resolveError, setResolveError] = useState<string | null>(null);
  const alerts = answer.data?.alerts ?? [];
  const error = resolveError ?? (answer.error ? describeError(answer.error) : null);
  if (error) return <Notice tone="error">{error}</Notice>;
  if (alerts.length === 0) return null;
  return (
    <div className="alerts-banner" role="region" aria-label={t('alerts.label')} data-testid="security-alerts">
      <p className="notice-title">
        {t('alerts.title', { count: alerts.length })}
      </p>
      <ul>
        {alerts.map((a) => (
          <li key={a.id}>
            <Msg id="alerts.item" values={{ name: a.user.name, email: a.user.email, what: activityText(a), when: fullTime(a.at), strong: (chunks) => <strong>{chunks}</strong> }} />
            {a.address ? t('alerts.from', { address: a.address }) : ''}
            {t('alerts.advice')}{' '}
            <button type="button" className="button-secondary button-small" onClick={() => void resolve.mutateAsync({ params: { id: a.id } }).then(() => setResolveError(null), (e: unknown) => setResolveError(describeError(e)))}>
              {t('alerts.resolve')}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
