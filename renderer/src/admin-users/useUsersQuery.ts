import { useCallback, useEffect, useState } from 'react';
import type { UserListQuery, UserPage } from '../../../contract/answers';
import { useUsersPage } from '../data/queries';
import { describeError } from '../api/error-messages';

export const PAGE_SIZE = 50;

/**
 * The users list as the server pages it: the query (search typed a moment ago, filters, sort,
 * offset), the page it answered, and `reload`.
 */
export function useUsersQuery() {
  const [query, setQuery] = useState<UserListQuery>({ sort: 'name', offset: 0 });
  const [search, setSearch] = useState('');
  // Cached by query (data/queries.ts): fetched again after every change to a user, on the
  // server's pushes and when the connection returns; the page shown stays while the next loads.
  const answer = useUsersPage({ ...query, limit: PAGE_SIZE });
  const page: UserPage | null = answer.data ?? null;
  const error = answer.error ? describeError(answer.error) : null;
  const { refetch } = answer;
  const reload = useCallback(() => void refetch(), [refetch]);

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
