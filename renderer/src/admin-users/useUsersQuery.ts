import { queryValues } from '../../../contract/operation';
import { useCallback, useEffect, useState } from 'react';
import type { UserListQuery, UserPage } from '../../../contract/answers';
import { agentdesk } from '../api/bridge';
import { useConnectionGeneration } from '../api/connection';
import { describeError } from '../api/error-messages';

export const PAGE_SIZE = 50;

/**
 * The users list as the server pages it: the query (search typed a moment ago, filters, sort,
 * offset), the page it answered, and `reload` for after a change. Loaded again each time the
 * connection to the server comes back.
 */
export function useUsersQuery() {
  const [query, setQuery] = useState<UserListQuery>({ sort: 'name', offset: 0 });
  const [search, setSearch] = useState('');
  const [page, setPage] = useState<UserPage | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(() => {
    agentdesk.listUsers({ query: queryValues({ ...query, limit: PAGE_SIZE }) }).then(
      (answer) => {
        setPage(answer);
        setError(null);
      },
      (e: unknown) => setError(describeError(e)),
    );
  }, [query]);
  const connectionGeneration = useConnectionGeneration();
  useEffect(reload, [reload, connectionGeneration]);

  // The search is sent a moment after typing stops, from the first page.
  useEffect(() => {
    const timer = setTimeout(() => setQuery((q) => ((q.q ?? '') === search.trim() ? q : { ...q, q: search.trim() || undefined, offset: 0 })), 250);
    return () => clearTimeout(timer);
  }, [search]);

  const filter = useCallback(<K extends keyof UserListQuery>(key: K, value: UserListQuery[K] | '') => {
    setQuery((q) => ({ ...q, [key]: value === '' ? undefined : value, offset: 0 }));
  }, []);

  const goTo = useCallback((offset: number) => setQuery((q) => ({ ...q, offset: Math.max(0, offset) })), []);

  return { query, search, setSearch, filter, goTo, page, error, reload };
}
