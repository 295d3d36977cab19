import { queryValues } from '../../../contract/operation';
import { useEffect, useState } from 'react';
import type { AccountUser, EnforcementImpact, SecondFactorPolicy, UserListQuery } from '../../../contract/answers';
import { agentdesk } from '../api/bridge';
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
export function ImpactPreview({ impact, policy }: { impact: EnforcementImpact; policy: SecondFactorPolicy }) {
  const t = useT();
  const twoFactor: UserListQuery['twoFactor'] = policy === 'security_keys' ? 'no_security_key' : 'none';
  const [signedIn, setSignedIn] = useState<number | null>(null);
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  const [users, setUsers] = useState<AccountUser[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    agentdesk.listUsers({ query: queryValues({ twoFactor, signedIn: true, limit: 1 }) }).then((page) => setSignedIn(page.total), (e: unknown) => setError(describeError(e)));
  }, [twoFactor, impact]);

  useEffect(() => {
    const timer = setTimeout(() => setQ(search.trim()), 250);
    return () => clearTimeout(timer);
  }, [search]);

  useEffect(() => {
    let live = true;
    agentdesk.listUsers({ query: queryValues({ twoFactor, q: q || undefined, limit: PAGE, offset: 0 }) }).then(
      (page) => {
        if (!live) return;
        setUsers(page.users);
        setTotal(page.total);
      },
      (e: unknown) => live && setError(describeError(e)),
    );
    return () => {
      live = false;
    };
  }, [twoFactor, q, impact]);

  function more() {
    agentdesk.listUsers({ query: queryValues({ twoFactor, q: q || undefined, limit: PAGE, offset: users.length }) }).then(
      (page) => setUsers((u) => [...u, ...page.users]),
      (e: unknown) => setError(describeError(e)),
    );
  }

  if (impact.usersWithoutTwoFactor === 0) return <p data-testid="enforcement-impact">{impactSentence(0, 0, false)}</p>;
  return (
    <>
      <p data-testid="enforcement-impact">
        <strong>{signedIn === null ? t('impact.mustSetUp', { users: impact.usersWithoutTwoFactor }) : impactSentence(impact.usersWithoutTwoFactor, signedIn, false)}</strong>
      </p>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <div className="inline-form">
        <div className="field">
          <label htmlFor="impact-search">{t('impact.find')}</label>
          <input id="impact-search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        <button
          type="button"
          className="button-secondary"
          onClick={() => {
            agentdesk.exportUsers({ query: { twoFactor } }).then((csv) => downloadCsv(csv, 'users-without-two-factor.csv'), (e: unknown) => setError(describeError(e)));
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
          </li>
        ))}
      </ul>
      {users.length < total ? (
        <button type="button" className="button-secondary" onClick={more}>
          {t('impact.more', { count: Math.min(PAGE, total - users.length) })}
        </button>
      ) : null}
    </>
  );
}
