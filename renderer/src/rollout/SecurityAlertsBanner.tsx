import './rollout.css';
import { useCallback, useEffect, useState } from 'react';
import type { SecurityAlert } from '../../../preload/agentdesk-api';
import { agentdesk } from '../api/bridge';
import { describeError } from '../api/error-messages';
import { Notice } from '../components/Notice';
import { activityText } from './activity-text';
import { fullTime } from './when';

/** On the admin's pages: users who answered "This wasn't me" and are not dealt with yet. */
export function SecurityAlertsBanner() {
  const [alerts, setAlerts] = useState<SecurityAlert[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => agentdesk.listSecurityAlerts().then(setAlerts, (e: unknown) => setError(describeError(e))), []);
  useEffect(() => {
    void load();
  }, [load]);
  if (error) return <Notice tone="error">{error}</Notice>;
  if (alerts.length === 0) return null;
  return (
    <div className="alerts-banner" role="region" aria-label="Security alerts" data-testid="security-alerts">
      <p className="notice-title">
        {alerts.length === 1 ? 'A user reported activity that was not theirs' : `${alerts.length} users reported activity that was not theirs`}
      </p>
      <ul>
        {alerts.map((a) => (
          <li key={a.id}>
            <strong>{a.user.name}</strong> ({a.user.email}): “{activityText(a)}” on {fullTime(a.at)}
            {a.address ? ` from ${a.address}` : ''}. Their sessions were ended. Check their methods and reset their 2FA if needed.{' '}
            <button type="button" className="button-secondary button-small" onClick={() => void agentdesk.resolveSecurityAlert(a.id).then(load, (e: unknown) => setError(describeError(e)))}>
              Mark as dealt with
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
