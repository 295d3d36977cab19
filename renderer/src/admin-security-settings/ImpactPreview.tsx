import { useEffect, useState } from 'react';
import type { AccountUser, EnforcementImpact, SecondFactorPolicy, UserListQuery } from '../../../contract/answers';
import { fetchUsersCsv } from '../data/client-calls';
import { scopeFilters, useUserCount, useUserPages, type ScopeChoice } from '../data/queries';
import { describeError } from '../api/error-messages';
import { Notice } from '../shared/Notice';
import { downloadCsv } from '../shared/download';
import { t } from '../i18n';
import { useT } from '../i18n/I18nProvider';

const PAGE = 100;

/** The warning's sentence, the same before saving and after: who must set up 2FA, and how many of them get signed out. */
export function impactSentence(mustSetUp: number, signedIn: number, done: boolean, revokedSessions = 0): string {
  if (mustSetUp === 0) return done ? t('impact.everyoneHad') : t('impact.everyoneHas');
  if (done) return signedIn === 0 ? t('impact.doneNone', { users: mustSetUp }) : t('impact.done', { users: mustSetUp, signedIn, sessions: revokedSessions });
  return signedIn === 0 ? t('impact.willNone', { users: mustSetUp }) : t('impact.will', { users: mustSetUp, signedIn });
}

/** Who is affected, paged from the server: a count, a search, a keyboard-scrollable list, the CSV. */
export function ImpactPreview({ impact, policy, scope }: { impact: EnforcementImpact; policy: SecondFactorPolicy; scope?: ScopeChoice }) {
  const t = useT();
  const twoFactor: UserListQuery['twoFactor'] = policy === 'security_keys' ? 'no_security_key' : 'none';
  // Only the users the scope being drafted holds (everyone: no filter).
  const inScope = scopeFilters(scope);
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  const [exportError, setExportError] = useState<string | null>(null);
  const someone = impact.usersWithoutTwoFactor > 0;
  const signedIn = useUserCount({ twoFactor, signedIn: true, ...inScope }, someone);
  const pages = useUserPages({ twoFactor, q: q || undefined, ...inScope }, PAGE, someone);
  const users: AccountUser[] = pages.data?.pages.flatMap((page) => page.users) ?? [];
  const total = pages.data?.pages[0]?.total ?? 0;
  const failure = pages.error ?? exportError;

  useEffect(() => {
    const timer = setTimeout(() => setQ(search.trim()), 250);
    return () => clearTimeout(timer);
  }, [search]);

  if (!someone) return <p data-testid="enforcement-impact">{impactSentence(0, 0, false)}</p>;
  return (
    <>
      <p data-testid="enforcement-impact">
        <strong>{signedIn === null ? t('impact.mustSetUp', { users: impact.usersWithoutTwoFactor }) : impactSentence(impact.usersWithoutTwoFactor, signedIn, false)}</strong>
      </p>
      {impact.usersWithTrustedProviderMfa ? <p className="small muted">{t('impact.trustedProviders', { users: impact.usersWithTrustedProviderMfa })}</p> : null}
      {failure ? <Notice tone="error">{typeof failure === 'string' ? failure : describeError(failure)}</Notice> : null}
      <div className="inline-form">
        <div className="field">
          <label htmlFor="impact-search">{t('impact.find')}</label>
          <input id="impact-search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        <button
          type="button"
          className="button-secondary"
          onClick={() => {
            fetchUsersCsv({ twoFactor, ...inScope }).then((csv) => downloadCsv(csv, 'users-without-two-factor.csv'), (e: unknown) => setExportError(describeError(e)));
          }}
        >
          {t('impact.download')}
        </button>
      </div>
      <p className="small muted" role="status">
        {q ? t('impact.matches', { count: total }) : null}
        {q && users.length < total ? ' · ' : null}
        {users.length < total ? t('impact.showing', { shown: users.length, total }) : null}
      </p>
      {/* Focusable so the keyboard can scroll it (arrow keys, Page Up/Down). */}
      <ul className="impact-list" aria-label={t('impact.listLabel')} tabIndex={0}>
        {users.map((user) => (
          <li key={user.id}>
            {user.name} <span className="muted">({user.email})</span>
            {policy === 'security_keys' && user.methodTypes.includes('totp') ? <span className="muted">{t('impact.appOnly')}</span> : null}
            {user.signedIn ? <span className="muted">{t('impact.signedInNow')}</span> : null}
            {user.lastSsoProvider?.trustMfa ? <span className="muted">{t('impact.viaTrustedProvider', { name: user.lastSsoProvider.name })}</span> : null}
          </li>
        ))}
      </ul>
      {users.length < total ? (
        <button type="button" className="button-secondary" disabled={pages.isFetchingNextPage} onClick={() => void pages.fetchNextPage()}>
          {t('impact.more', { count: Math.min(PAGE, total - users.length) })}
        </button>
      ) : null}
    </>
  );
}
