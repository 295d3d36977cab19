import { t } from '../i18n';
import { useT } from '../i18n/I18nProvider';
import { useId, useState } from 'react';
import type { AuditEvent, AuditFilter } from '../../../contract/answers';
import { fetchAuditCsv } from '../data/client-calls';
import { useAuditPages, useUsersPage } from '../data/queries';
import { describeError } from '../api/error-messages';
import { Notice } from '../shared/Notice';
import { fullTime } from '../rollout/when';
import { actionChoices, describeAction, describeDetailName, describeValue, visibleDetails } from './audit-words';

/** The day (yyyy-mm-dd, the admin's time zone) as the start of that day, ISO. */
function dayStart(day: string, plusDays = 0): string | undefined {
  if (!day) return undefined;
  const d = new Date(`${day}T00:00`);
  if (Number.isNaN(d.getTime())) return undefined;
  d.setDate(d.getDate() + plusDays);
  return d.toISOString();
}

/**
 * Who changed what and when, from where, and how many users and sessions it signed out;
 * newest first, filtered by user, action and date, exported as CSV.
 */
export function AuditLogPanel() {
  const t = useT();
  const [exportError, setExportError] = useState<string | null>(null);
  const [userId, setUserId] = useState('');
  const [action, setAction] = useState('');
  const [fromDay, setFromDay] = useState('');
  const [toDay, setToDay] = useState('');
  const ids = { user: useId(), action: useId(), from: useId(), to: useId() };

  const filter = (): AuditFilter => ({
    ...(userId ? { userId } : {}),
    ...(action ? { action } : {}),
    ...(dayStart(fromDay) ? { from: dayStart(fromDay)! } : {}),
    // "To" a day includes that whole day.
    ...(dayStart(toDay, 1) ? { to: dayStart(toDay, 1)! } : {}),
  });

  // Newest first, 25 a page, cached by filter: fetched again after every change the log records,
  // and when the connection returns (data/).
  const pages = useAuditPages(filter());
  const events: AuditEvent[] | null = pages.data ? pages.data.pages.flatMap((page) => page.events) : null;
  const error = exportError ?? (pages.error ? describeError(pages.error) : null);
  const users = useUsersPage({ limit: 1000 }).data?.users ?? [];

  async function exportCsv() {
    try {
      setExportError(null);
      const csv = await fetchAuditCsv(filter());
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `audit-log-${new Date().toISOString().slice(0, 10)}.csv`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (failure) {
      setExportError(describeError(failure));
    }
  }


  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return (
    <section className="card" aria-labelledby="audit-title">
      <h2 id="audit-title">{t('audit.title')}</h2>
      <div className="filter-row" role="group" aria-label={t('audit.filterLabel')}>
        <div>
          <label htmlFor={ids.user}>{t('audit.user')}</label>
          <select id={ids.user} value={userId} onChange={(e) => setUserId(e.target.value)}>
            <option value="">{t('audit.everyone')}</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {t('audit.userOption', { name: u.name, email: u.email })}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={ids.action}>{t('audit.what')}</label>
          <select id={ids.action} value={action} onChange={(e) => setAction(e.target.value)}>
            <option value="">{t('audit.everything')}</option>
            {actionChoices().map((a) => (
              <option key={a} value={a}>
                {describeAction(a)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={ids.from}>{t('audit.from')}</label>
          <input id={ids.from} type="date" value={fromDay} onChange={(e) => setFromDay(e.target.value)} />
        </div>
        <div>
          <label htmlFor={ids.to}>{t('audit.to')}</label>
          <input id={ids.to} type="date" value={toDay} onChange={(e) => setToDay(e.target.value)} />
        </div>
        <div className="filter-actions">
          <button type="button" className="button-secondary" onClick={() => void exportCsv()}>
            {t('audit.export')}
          </button>
        </div>
      </div>
      <p className="muted small">{t('audit.zone', { zone })}</p>
      {error ? <Notice tone="error">{error}</Notice> : null}
      {events === null ? (
        !error && <p role="status">{t('audit.loading')}</p>
      ) : events.length === 0 ? (
        <p>{t('audit.nothing', { filtered: userId || action || fromDay || toDay ? 'yes' : 'no' })}</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="audit-table">
            <thead>
              <tr>
                <th scope="col">{t('audit.col.when')}</th>
                <th scope="col">{t('audit.col.who')}</th>
                <th scope="col">{t('audit.col.what')}</th>
                <th scope="col">{t('audit.col.from')}</th>
                <th scope="col">{t('audit.col.details')}</th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <tr key={event.id}>
                  <td className="small nowrap">{fullTime(event.at)}</td>
                  <td>
                    {event.actor ? event.actor.name : <span className="muted">{t('audit.system')}</span>}
                    {event.subject && event.subject.id !== event.actor?.id ? <span className="muted small">{t('audit.about', { name: event.subject.name })}</span> : null}
                  </td>
                  <td>{describeAction(event.action)}</td>
                  <td className="small">
                    {event.address ?? <span className="muted">—</span>}
                    {event.userAgent ? <span className="detail muted">{describeAgent(event.userAgent)}</span> : null}
                  </td>
                  <td className="small">
                    {visibleDetails(event.details).map(([key, value]) => (
                      <span key={key} className="detail">
                        {t('audit.detailLine', { name: describeDetailName(key), value: describeValue(value, key) })}
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {pages.hasNextPage ? (
        <div>
          <button type="button" className="button-secondary" disabled={pages.isFetchingNextPage} onClick={() => void pages.fetchNextPage()}>
            {t('audit.older')}
          </button>
        </div>
      ) : null}
    </section>
  );
}

/** "Chrome on Linux", "AgentDesk desktop on Windows": what an admin recognises. */
function describeAgent(ua: string): string {
  const app = /AgentDesk/i.test(ua) ? t('audit.desktopApp') : /Edg\//.test(ua) ? 'Edge' : /Chrome\//.test(ua) ? 'Chrome' : /Firefox\//.test(ua) ? 'Firefox' : /Safari\//.test(ua) ? 'Safari' : ua.split(/[ /]/)[0] ?? ua;
  const os = /Windows/.test(ua) ? 'Windows' : /Mac OS X|Macintosh/.test(ua) ? 'macOS' : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? t('audit.agentOn', { app, os }) : app;
}
