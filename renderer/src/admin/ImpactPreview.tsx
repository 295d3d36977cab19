import { useEffect, useState } from 'react';
import type { AccountUser, EnforcementImpact, SecondFactorPolicy, UserListQuery } from '../../../preload/agentdesk-api';
import { agentdesk } from '../api/bridge';
import { describeError } from '../api/error-messages';
import { Notice } from '../components/Notice';
import { downloadCsv } from './download';
import { count } from '../plurals';

const PAGE = 100;

function plural(n: number, one: string, many: string): string {
  return count(n, { one, other: many });
}

/** The warning's sentence, the same before saving and after: who must set up 2FA, and how many of them get signed out. */
export function impactSentence(mustSetUp: number, signedIn: number, done: boolean, revokedSessions = 0): string {
  if (mustSetUp === 0) return done ? 'Everyone already had a method: nobody was signed out.' : 'Everyone already has a method: nobody will be signed out.';
  const who = `${plural(mustSetUp, 'user', 'users')} must set up two-factor authentication`;
  if (done) {
    if (signedIn === 0) return `${who}; none of them was signed in, so nobody was signed out.`;
    return `${who}; ${signedIn.toLocaleString('en')} of them ${signedIn === 1 ? 'was' : 'were'} signed in and ${signedIn === 1 ? 'was' : 'were'} signed out (${plural(revokedSessions, 'session', 'sessions')} ended).`;
  }
  return `${who}; ${signedIn === 0 ? 'none of them is signed in now' : `${signedIn.toLocaleString('en')} of them ${signedIn === 1 ? 'is' : 'are'} signed in now and will be signed out`}.`;
}

/** Who is affected, paged from the server: a count, a search, a keyboard-scrollable list, the CSV. */
export function ImpactPreview({ impact, policy }: { impact: EnforcementImpact; policy: SecondFactorPolicy }) {
  const twoFactor: UserListQuery['twoFactor'] = policy === 'security_keys' ? 'no_security_key' : 'none';
  const [signedIn, setSignedIn] = useState<number | null>(null);
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  const [users, setUsers] = useState<AccountUser[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    agentdesk.listUsers({ twoFactor, signedIn: true, limit: 1 }).then((page) => setSignedIn(page.total), (e: unknown) => setError(describeError(e)));
  }, [twoFactor, impact]);

  useEffect(() => {
    const timer = setTimeout(() => setQ(search.trim()), 250);
    return () => clearTimeout(timer);
  }, [search]);

  useEffect(() => {
    let live = true;
    agentdesk.listUsers({ twoFactor, q: q || undefined, limit: PAGE, offset: 0 }).then(
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
    agentdesk.listUsers({ twoFactor, q: q || undefined, limit: PAGE, offset: users.length }).then(
      (page) => setUsers((u) => [...u, ...page.users]),
      (e: unknown) => setError(describeError(e)),
    );
  }

  if (impact.usersWithoutTwoFactor === 0) return <p data-testid="enforcement-impact">{impactSentence(0, 0, false)}</p>;
  return (
    <>
      <p data-testid="enforcement-impact">
        <strong>{signedIn === null ? `${plural(impact.usersWithoutTwoFactor, 'user', 'users')} must set up two-factor authentication.` : impactSentence(impact.usersWithoutTwoFactor, signedIn, false)}</strong>
      </p>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <div className="inline-form">
        <div className="field">
          <label htmlFor="impact-search">Find someone in this list</label>
          <input id="impact-search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        <button
          type="button"
          className="button-secondary"
          onClick={() => {
            agentdesk.exportUsers({ twoFactor }).then((csv) => downloadCsv(csv, 'users-without-two-factor.csv'), (e: unknown) => setError(describeError(e)));
          }}
        >
          Download the list (CSV)
        </button>
      </div>
      <p className="small muted" role="status">
        {q ? `${plural(total, 'match', 'matches')}` : null}
        {users.length < total ? `${q ? ' · ' : ''}showing ${users.length.toLocaleString('en')} of ${total.toLocaleString('en')}` : null}
      </p>
      {/* Focusable so the keyboard can scroll it (arrow keys, Page Up/Down). */}
      <ul className="impact-list" aria-label="Users who must set up two-factor authentication" tabIndex={0}>
        {users.map((user) => (
          <li key={user.id}>
            {user.name} <span className="muted">({user.email})</span>
            {policy === 'security_keys' && user.methodTypes.includes('totp') ? <span className="muted"> — authenticator app only</span> : null}
            {user.signedIn ? <span className="muted"> — signed in now</span> : null}
          </li>
        ))}
      </ul>
      {users.length < total ? (
        <button type="button" className="button-secondary" onClick={more}>
          Show {Math.min(PAGE, total - users.length).toLocaleString('en')} more
        </button>
      ) : null}
    </>
  );
}
