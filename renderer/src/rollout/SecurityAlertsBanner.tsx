import { Msg, useT } from '../i18n/I18nProvider';
import './rollout.css';
import { useCallback, useEffect, useState } from 'react';
import type { SecurityAlert } from '../../../contract/answers';
import { agentdesk } from '../api/bridge';
import { describeError } from '../api/error-messages';
import { Notice } from '../shared/Notice';
import { activityText } from './activity-text';
import { fullTime } from './when';

/** On the admin's pages: users who answered "This wasn't me" and are not dealt with yet. */
export function SecurityAlertsBanner() {
  const t = useT();
  const [alerts, setAlerts] = useState<SecurityAlert[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => agentdesk.listSecurityAlerts().then((answer) => setAlerts(answer.alerts), (e: unknown) => setError(describeError(e))), []);
  useEffect(() => {
    void load();
  }, [load]);
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
            <button type="button" className="button-secondary button-small" onClick={() => void agentdesk.resolveSecurityAlert({ params: { id: a.id } }).then(load, (e: unknown) => setError(describeError(e)))}>
              {t('alerts.resolve')}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
