import { useEffect, useState } from 'react';
import type { AuditEvent } from '../../../preload/agentdesk-api';
import { agentdesk } from '../api/bridge';
import { useReconnected } from '../api/connection';
import { describeError } from '../api/error-messages';
import { Notice } from '../components/Notice';
import { formatDateTime } from '../dates';

const actionNames: Record<string, string> = {
  'account.created': 'Created the account',
  'security_settings.updated': 'Changed security settings',
  'user.created': 'Added a user',
  'user.two_factor_reset': 'Reset a user’s two-factor authentication',
  'method.added': 'Added a two-factor method',
  'method.removed': 'Removed a two-factor method',
  'method.renamed': 'Renamed a two-factor method',
  'recovery_code.used': 'Signed in with a recovery code',
  'recovery_codes.regenerated': 'Generated new recovery codes',
  'security_key.counter_regression': 'Security key may be cloned (signature counter went back)',
};

const detailNames: Record<string, string> = {
  requireTwoFactor: 'Require 2FA',
  userVerification: 'Security-key PIN',
  signedOutUsers: 'Users signed out',
  revokedSessions: 'Sessions ended',
  removedMethods: 'Methods removed',
  type: 'Type',
  name: 'Name',
  email: 'Email',
  role: 'Role',
};

const methodTypes: Record<string, string> = { totp: 'authenticator app', security_key: 'security key' };
const pinPolicies: Record<string, string> = { discouraged: 'when the key demands it', preferred: 'when the key has one', required: 'always' };

function describeAction(action: string): string {
  return actionNames[action] ?? action.replace(/[._]/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

function describeValue(value: unknown): string {
  if (value === true) return 'on';
  if (value === false) return 'off';
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object' && 'from' in value && 'to' in value) {
    const change = value as { from: unknown; to: unknown };
    return `${describeValue(change.from)} → ${describeValue(change.to)}`;
  }
  if (typeof value === 'object') return JSON.stringify(value);
  if (typeof value === 'string' && value in methodTypes) return methodTypes[value]!;
  if (typeof value === 'string' && Object.hasOwn(pinPolicies, value)) return pinPolicies[value]!;
  return String(value);
}

/** Internal ids mean nothing to an admin; names, emails and counts do. */
function visibleDetails(details: Record<string, unknown> | undefined): [string, unknown][] {
  return Object.entries(details ?? {}).filter(([key]) => !/Id$|^id$/.test(key));
}

/** Who changed what and when, and how many users and sessions it signed out; newest first. */
export function AuditLogPanel() {
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function load(before?: string) {
    try {
      const page = await agentdesk.listAuditEvents({ limit: 25, ...(before ? { before } : {}) });
      setEvents((old) => (before && old ? [...old, ...page.events] : page.events));
      setNextCursor(page.nextCursor);
    } catch (failure) {
      setError(describeError(failure));
    }
  }

  useEffect(() => {
    void load();
  }, []);
  // Back from a lost connection: the newest page again.
  useReconnected(() => {
    setError(null);
    void load();
  });

  return (
    <section className="card" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      {error ? <Notice tone="error">{error}</Notice> : null}
      {events === null ? (
        !error && <p role="status">Loading the audit log…</p>
      ) : events.length === 0 ? (
        <p>Nothing recorded yet.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <tr key={event.id}>
                  <td className="small nowrap">{formatDateTime(event.at)}</td>
                  <td>{event.actor ? event.actor.name : <span className="muted">System</span>}</td>
                  <td>{describeAction(event.action)}</td>
                  <td className="small">
                    {visibleDetails(event.details).map(([key, value]) => (
                      <span key={key} className="detail">
                        {detailNames[key] ?? key}: {describeValue(value)}
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextCursor ? (
        <div>
          <button type="button" className="button-secondary" onClick={() => void load(nextCursor)}>
            Show older events
          </button>
        </div>
      ) : null}
    </section>
  );
}
