import './rollout.css';
import { useCallback, useEffect, useState } from 'react';
import type { SecurityActivity } from '../../../contract/answers';
import { agentdesk } from '../api/bridge';
import { describeError } from '../api/error-messages';
import { Notice } from '../shared/Notice';
import { activityText } from './activity-text';
import { fullTime } from './when';
import { useT } from '../i18n/I18nProvider';


/** My security → Security activity: newest first, unread marked, "This wasn't me". */
export function SecurityActivityCard({ onSignedOut }: { onSignedOut?: () => void }) {
  const t = useT();
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
      await agentdesk.reportNotMe({ params: { id: id } });
      setMessage({ tone: 'success', text: t('activity.notMeDone') });
      onSignedOut?.();
    } catch (e) {
      setMessage({ tone: 'error', text: describeError(e) });
    }
  }

  return (
    <section className="card" aria-labelledby="activity-title" data-testid="security-activity">
      <div className="card-header">
        <h2 id="activity-title">{t('activity.title')}</h2>
        {unread ? <span className="badge badge-off">{t('activity.unread', { count: unread })}</span> : null}
      </div>
      {message ? <Notice tone={message.tone}>{message.text}</Notice> : null}
      {items === null ? <p>{t('activity.loading')}</p> : null}
      {items?.length === 0 ? <p>{t('activity.empty')}</p> : null}
      {items?.length ? (
        <>
          <ul className="activity-list">
            {items.map((a) => (
              <li key={a.id} className={a.read ? 'activity' : 'activity activity-unread'}>
                <p className="activity-what">
                  {a.read ? null : <span className="visually-hidden">{t('activity.new')}</span>}
                  {activityText(a)}
                </p>
                <p className="activity-meta">
                  {fullTime(a.at)}
                  {a.address ? t('activity.from', { address: a.address }) : ''}
                </p>
                {a.notMeAt ? (
                  <p className="activity-meta">{t('activity.reported')}</p>
                ) : confirming === a.id ? (
                  <div className="button-row">
                    <span>{t('activity.confirmNotMe')}</span>
                    <button type="button" className="button-danger button-small" onClick={() => void notMe(a.id)}>
                      {t('activity.yesNotMe')}
                    </button>
                    <button type="button" className="button-secondary button-small" onClick={() => setConfirming(null)}>
                      {t('common.cancel')}
                    </button>
                  </div>
                ) : (
                  <button type="button" className="button-link" onClick={() => setConfirming(a.id)}>
                    {t('activity.notMe')}
                  </button>
                )}
              </li>
            ))}
          </ul>
          {unread ? (
            <button type="button" className="button-secondary button-small" onClick={() => void agentdesk.markAllSecurityActivityRead().then(load)}>
              {t('activity.markRead')}
            </button>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
