import { useEffect, useId, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Cell, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { Adoption } from '../../../contract/answers';
import { getIntl, type MessageId } from '../i18n';
import { useT } from '../i18n/I18nProvider';
import { Notice } from '../shared/Notice';
import { downloadCsv } from '../shared/download';
import { countdownText, deploymentDayText } from '../rollout/when';
import { ADOPTION_PERIODS, useAdoption } from './useAdoption';
import { useGroups } from '../data/queries';
import './adoption.css';

/** A UTC day (yyyy-mm-dd) as the admin's language writes it. */
function dayLabel(date: string, long = false): string {
  return getIntl().formatDate(new Date(`${date}T00:00:00Z`), { timeZone: 'UTC', day: 'numeric', month: long ? 'long' : 'short', ...(long ? { year: 'numeric' } : {}) });
}

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : 0);

const LINES = [
  { key: 'withAnyMethod', label: 'adoption.series.any', colour: '#1d4ed8' },
  { key: 'withAuthenticatorApp', label: 'adoption.series.app', colour: '#047857' },
  { key: 'withSecurityKey', label: 'adoption.series.key', colour: '#b45309' },
] as const satisfies readonly { key: keyof Adoption['days'][number]; label: MessageId; colour: string }[];

const SPLIT = [
  { key: 'authenticatorAppOnly', label: 'adoption.split.appOnly', colour: '#047857' },
  { key: 'securityKeyOnly', label: 'adoption.split.keyOnly', colour: '#b45309' },
  { key: 'both', label: 'adoption.split.both', colour: '#1d4ed8' },
  { key: 'none', label: 'adoption.split.none', colour: '#9ca3af' },
] as const satisfies readonly { key: keyof Adoption['split']; label: MessageId; colour: string }[];

/** "In a minute" stays true: the countdown is redrawn every 30 seconds. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/**
 * Adoption: users with a second factor per day as a chart and, for screen readers and for
 * reading exact figures, the same as a table; the split by method now; the deployment day's
 * countdown and who is still missing; both as CSV.
 */
export function AdoptionPanel() {
  const t = useT();
  const [days, setDays] = useState<number>(30);
  const [groupId, setGroupId] = useState<string | null>(null);
  const groups = useGroups().data?.groups ?? [];
  const { adoption, error, moreMissing, exportCsv } = useAdoption(days, groupId);
  const now = useNow();
  const periodId = useId();
  const groupFieldId = useId();
  const chartSummaryId = useId();

  async function save(part: 'days' | 'missing') {
    const csv = await exportCsv(part);
    if (csv !== null) downloadCsv(csv, part === 'missing' ? 'adoption-missing.csv' : `adoption-${days}-days.csv`);
  }

  const last = adoption?.days.at(-1);
  const points = adoption?.days.map((d) => ({ ...d, label: dayLabel(d.date) })) ?? [];
  const splitTotal = adoption ? SPLIT.reduce((sum, s) => sum + adoption.split[s.key], 0) : 0;
  const day = adoption?.deploymentDay ?? null;

  return (
    <section className="card adoption" aria-labelledby="adoption-title" data-testid="adoption">
      <div className="card-header">
        <h2 id="adoption-title">{t('adoption.title')}</h2>
      </div>
      <div className="filter-row">
        <div>
          <label htmlFor={periodId}>{t('adoption.period')}</label>
          <select id={periodId} value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {ADOPTION_PERIODS.map((n) => (
              <option key={n} value={n}>
                {t('adoption.lastDays', { count: n })}
              </option>
            ))}
          </select>
        </div>
        {groups.length > 0 ? (
          <div>
            <label htmlFor={groupFieldId}>{t('adoption.group')}</label>
            <select id={groupFieldId} value={groupId ?? ''} onChange={(e) => setGroupId(e.target.value || null)}>
              <option value="">{t('adoption.everyone')}</option>
              {groups.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <div className="filter-actions">
          <button type="button" className="button-secondary" onClick={() => void save('days')}>
            {t('adoption.export')}
          </button>
        </div>
      </div>
      {error ? <Notice tone="error">{error}</Notice> : null}
      {adoption === null || !last ? (
        !error && <p role="status">{t('adoption.loading')}</p>
      ) : (
        <>
          <figure className="adoption-figure">
            <figcaption>{t('adoption.chartTitle')}</figcaption>
            <p id={chartSummaryId} className="muted small">
              {t('adoption.chartSummary', { date: dayLabel(last.date, true), count: last.withAnyMethod, users: last.users, ratio: ratio(last.withAnyMethod, last.users) })}
            </p>
            {/* The chart repeats the table below; the summary above is its short description. */}
            <div className="adoption-chart" role="img" aria-describedby={chartSummaryId} aria-label={t('adoption.chartTitle')}>
              <ResponsiveContainer width="100%" height={260}>
                <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="label" minTickGap={24} />
                  <YAxis allowDecimals={false} />
                  <Tooltip contentStyle={{ background: 'var(--surface)', color: 'var(--text)', borderColor: 'var(--border)' }} labelStyle={{ color: 'var(--text)' }} itemStyle={{ color: 'var(--text)' }} />
                  <Legend />
                  {LINES.map((l) => (
                    <Line key={l.key} type="monotone" dataKey={l.key} name={t(l.label)} stroke={l.colour} dot={false} isAnimationActive={false} />
                  ))}
                  <Line type="monotone" dataKey="users" name={t('adoption.series.users')} stroke="#6b7280" strokeDasharray="4 4" dot={false} isAnimationActive={false} />
                </LineChart>
              </ResponsiveContainer>
            </div>
            <p className="muted small">{t('adoption.bothNote')}</p>
          </figure>

          <details className="adoption-table">
            <summary>{t('adoption.tableToggle')}</summary>
            <div className="table-wrap">
              <table data-testid="adoption-table">
                <caption>{t('adoption.tableCaption')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('adoption.col.date')}</th>
                    <th scope="col">{t('adoption.series.users')}</th>
                    {LINES.map((l) => (
                      <th key={l.key} scope="col">
                        {t(l.label)}
                      </th>
                    ))}
                    <th scope="col">{t('adoption.series.both')}</th>
                  </tr>
                </thead>
                <tbody>
                  {adoption.days.map((d) => (
                    <tr key={d.date}>
                      <th scope="row">{dayLabel(d.date, true)}</th>
                      <td>{getIntl().formatNumber(d.users)}</td>
                      {LINES.map((l) => (
                        <td key={l.key}>{t('adoption.cell', { count: d[l.key], ratio: ratio(d[l.key], d.users) })}</td>
                      ))}
                      <td>{getIntl().formatNumber(d.withBoth)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>

          <h3>{t('adoption.splitTitle')}</h3>
          <div className="adoption-split">
            <div className="adoption-chart" aria-hidden="true">
              <ResponsiveContainer width="100%" height={140}>
                <BarChart accessibilityLayer={false} data={SPLIT.map((s) => ({ name: t(s.label), value: adoption.split[s.key], colour: s.colour }))} layout="vertical" margin={{ top: 0, right: 16, bottom: 0, left: 8 }}>
                  <XAxis type="number" allowDecimals={false} />
                  <YAxis type="category" dataKey="name" width={170} />
                  <Bar dataKey="value" isAnimationActive={false}>
                    {SPLIT.map((s) => (
                      <Cell key={s.key} fill={s.colour} />
                    ))}
                  </Bar>
                </BarChart>
              </ResponsiveContainer>
            </div>
            <ul className="adoption-split-list" data-testid="adoption-split">
              {SPLIT.map((s) => (
                <li key={s.key}>
                  <span className="adoption-swatch" style={{ background: s.colour }} aria-hidden="true" />
                  {t('adoption.splitLine', { label: t(s.label), count: adoption.split[s.key], ratio: ratio(adoption.split[s.key], splitTotal) })}
                </li>
              ))}
            </ul>
          </div>

          <h3>{t('adoption.deployment.title')}</h3>
          {day === null ? (
            <p>{t(adoption.requireTwoFactor ? 'adoption.deployment.required' : 'adoption.deployment.none')}</p>
          ) : (
            <div data-testid="adoption-deployment">
              <p>
                {t('adoption.deployment.when', { when: deploymentDayText(day.scheduledAt), countdown: countdownText(day.scheduledAt, now) })}
              </p>
              <p>{t('adoption.deployment.progress', { ready: day.inScope - day.missing.total, inScope: day.inScope, missing: day.missing.total })}</p>
              {adoption.secondFactorPolicy === 'security_keys' ? <p className="muted small">{t('adoption.deployment.policyKeys')}</p> : null}
              {day.missing.total === 0 ? (
                <p>{t('adoption.missing.none')}</p>
              ) : (
                <>
                  <div className="table-wrap">
                    <table data-testid="adoption-missing">
                      <caption>{t('adoption.missing.title')}</caption>
                      <thead>
                        <tr>
                          <th scope="col">{t('adoption.missing.col.name')}</th>
                          <th scope="col">{t('adoption.missing.col.email')}</th>
                        </tr>
                      </thead>
                      <tbody>
                        {day.missing.users.map((u) => (
                          <tr key={u.id}>
                            <td>{u.name}</td>
                            <td>{u.email}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                  <p className="muted small">{t('adoption.missing.shown', { shown: day.missing.users.length, total: day.missing.total })}</p>
                  <div className="button-row">
                    {day.missing.users.length < day.missing.total ? (
                      <button type="button" className="button-secondary" onClick={() => void moreMissing()}>
                        {t('adoption.missing.more')}
                      </button>
                    ) : null}
                    <button type="button" className="button-secondary" onClick={() => void save('missing')}>
                      {t('adoption.exportMissing')}
                    </button>
                  </div>
                </>
              )}
            </div>
          )}
          <p className="muted small">{t('adoption.limits')}</p>
        </>
      )}
    </section>
  );
}
