import './rollout.css';
import { useState } from 'react';
import { useApiMutation } from '../data/operations';
import { useSecurityActivity } from '../data/queries';
import { describeError } from '../api/error-messages';
import { Notice } from '../shared/Notice';
import { activityText } from './activity-text';
import { fullTime } from './when';
import { useT } from '../i18n/I18nProvider';


/** My security → Security activity: newest first, unread marked, "This wasn't me". */
export function SecurityActivityCard({ onSignedOut }: { onSignedOut?: () => void }) {
  const t = useT();
  const activity = useSecurityActivity();
  const items = activity.data?.activity ?? null;
  const unread = activity.data?.unread ?? 0;
  const report = useApiMutation('reportNotMe');
  const markAllRead = useApiMutation('markAllSecurityActivityRead');
  const [message, setMessage] = useState<{ tone: 'error' | 'success'; text: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const shown = message ?? (activity.error ? { tone: 'error' as const, text: describeError(activity.error) } : null);

  async function notMe(id: string) {
    try {
      await report.mutateAsync({ params: { id: id } });
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
      {shown ? <Notice tone={shown.tone}>{shown.text}</Notice> : null}
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
            <button type="button" className="button-secondary button-small" onClick={() => void markAllRead.mutateAsync().catch((e: unknown) => setMessage({ tone: 'error', text: describeError(e) }))}>
              {t('activity.markRead')}
            </button>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
