import './rollout.css';
import { useCallback, useEffect, useState } from 'react';
import type { SecurityActivity } from '../../../preload/agentdesk-api';
import { agentdesk } from '../api/bridge';
import { describeError } from '../api/error-messages';
import { Notice } from '../components/Notice';
import { activityText } from './activity-text';
import { fullTime } from './when';


/** My security → Security activity: newest first, unread marked, "This wasn't me". */
export function SecurityActivityCard({ onSignedOut }: { onSignedOut?: () => void }) {
  const [items, setItems] = useState<SecurityActivity[] | null>(null);
  const [unread, setUnread] = useState(0);
  const [message, setMessage] = useState<{ tone: 'error' | 'success'; text: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const load = useCallback(
    () =>
      agentdesk.listSecurityActivity().then(
        (page) => {
          setItems(page.activity);
          setUnread(page.unread);
        },
        (e: unknown) => setMessage({ tone: 'error', text: describeError(e) }),
      ),
    [],
  );
  useEffect(() => {
    void load();
  }, [load]);

  async function notMe(id: string) {
    try {
      await agentdesk.reportNotMe(id);
      setMessage({ tone: 'success', text: 'Every session of your account was ended and your administrators were alerted.' });
      onSignedOut?.();
    } catch (e) {
      setMessage({ tone: 'error', text: describeError(e) });
    }
  }

  return (
    <section className="card" aria-labelledby="activity-title" data-testid="security-activity">
      <div className="card-header">
        <h2 id="activity-title">Security activity</h2>
        {unread ? <span className="badge badge-off">{unread} new</span> : null}
      </div>
      {message ? <Notice tone={message.tone}>{message.text}</Notice> : null}
      {items === null ? <p>Loading…</p> : null}
      {items?.length === 0 ? <p>Nothing has changed on your account yet.</p> : null}
      {items?.length ? (
        <>
          <ul className="activity-list">
            {items.map((a) => (
              <li key={a.id} className={a.read ? 'activity' : 'activity activity-unread'}>
                <p className="activity-what">
                  {a.read ? null : <span className="visually-hidden">New: </span>}
                  {activityText(a)}
                </p>
                <p className="activity-meta">
                  {fullTime(a.at)}
                  {a.address ? ` · from ${a.address}` : ''}
                </p>
                {a.notMeAt ? (
                  <p className="activity-meta">You reported this as not you; your administrators were alerted.</p>
                ) : confirming === a.id ? (
                  <div className="button-row">
                    <span>End every session of your account, this one too, and alert your administrators?</span>
                    <button type="button" className="button-danger button-small" onClick={() => void notMe(a.id)}>
                      Yes, this wasn’t me
                    </button>
                    <button type="button" className="button-secondary button-small" onClick={() => setConfirming(null)}>
                      Cancel
                    </button>
                  </div>
                ) : (
                  <button type="button" className="button-link" onClick={() => setConfirming(a.id)}>
                    This wasn’t me
                  </button>
                )}
              </li>
            ))}
          </ul>
          {unread ? (
            <button type="button" className="button-secondary button-small" onClick={() => void agentdesk.markSecurityActivityRead().then(load)}>
              Mark all as read
            </button>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
