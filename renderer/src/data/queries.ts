// The server state screens show, one hook each, over the cache of operations.ts. Each is fetched
// when a screen shows it, again after a change that touches it (operations.ts `invalidates`),
// on the server's pushed events, and when the connection comes back (client.tsx).
import { keepPreviousData, useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { queryValues } from '../../../contract/operation';
import type { Adoption, AuditFilter, Role, SecondFactorPolicy, UserListQuery } from '../../../contract/answers';
import { keyOf, run, useApiQuery } from './operations';

/** The signed-in user, their methods, their account and its settings as they apply to them. */
export const useMe = (refetchInterval?: number) => useApiQuery('getMe', undefined, refetchInterval ? { refetchInterval } : {});

/** Which second factors the account accepts, and whether a key may sign in alone. */
export const useSecurityPolicy = () => useApiQuery('getSecurityPolicy');

/**
 * Admin: the account's security settings. Also fetched again a moment after a scheduled
 * deployment day's time, in case the server's push was missed (a dropped stream).
 */
export function useSecuritySettings() {
  const query = useApiQuery('getSecuritySettings');
  const client = useQueryClient();
  const scheduledAt = query.data?.scheduledAt ?? null;
  useEffect(() => {
    if (!scheduledAt) return;
    const wait = new Date(scheduledAt).getTime() - Date.now() + 2_000;
    if (!(wait > 0 && wait < 2 ** 31 - 1)) return;
    const timer = setTimeout(() => {
      for (const read of ['getSecuritySettings', 'getMe', 'getEnforcementImpact'] as const) void client.invalidateQueries({ queryKey: [read] });
    }, wait);
    return () => clearTimeout(timer);
  }, [scheduledAt, client]);
  return query;
}

/** Whom the requirement would apply to, as the settings page drafts it. */
export interface ScopeChoice {
  everyone: boolean;
  roles: Role[];
  groupIds: string[];
}

/** A chosen scope as the users list's filters (the impact preview's list), or nothing for everyone. */
export function scopeFilters(scope?: ScopeChoice): Pick<UserListQuery, 'scopeRoles' | 'scopeGroupIds'> {
  if (!scope || scope.everyone) return {};
  return { scopeRoles: scope.roles.join(',') || undefined, scopeGroupIds: scope.groupIds.join(',') || undefined };
}

/**
 * Admin: who has no second factor (or, under keys only, no key) and would be signed out, among
 * the users of `scope` (the one being drafted; absent: the stored one).
 */
export function useEnforcementImpact(secondFactorPolicy?: SecondFactorPolicy, enabled = true, scope?: ScopeChoice) {
  const scopeQuery = scope ? (scope.everyone ? { everyone: 'true' as const } : { everyone: 'false' as const, ...(scope.roles.length ? { roles: scope.roles.join(',') } : {}), ...(scope.groupIds.length ? { groupIds: scope.groupIds.join(',') } : {}) }) : {};
  const query = { ...(secondFactorPolicy ? { secondFactorPolicy } : {}), ...scopeQuery };
  // An empty choice (no role, no group) is not a scope: nothing to ask the server.
  const empty = scope !== undefined && !scope.everyone && scope.roles.length === 0 && scope.groupIds.length === 0;
  return useApiQuery('getEnforcementImpact', Object.keys(query).length ? { query } : undefined, { enabled: enabled && !empty });
}

/** Admin: the account's groups, by name. */
export const useGroups = (enabled = true) => useApiQuery('listGroups', undefined, { enabled });

/** Admin: the ids of a group's members. */
export const useGroupMembers = (groupId: string | null) => useApiQuery('getGroupMembers', { params: { id: groupId ?? '' } }, { enabled: groupId !== null });

/** Admin: one page of the users list; the page shown stays while the next loads. */
export const useUsersPage = (query: UserListQuery, enabled = true) =>
  useApiQuery('listUsers', { query: queryValues({ ...query, limit: query.limit }) }, { placeholderData: keepPreviousData, enabled });

/** Admin: how many users match (a page of one, its total). */
export function useUserCount(query: Omit<UserListQuery, 'limit' | 'offset'>, enabled = true) {
  const page = useApiQuery('listUsers', { query: queryValues({ ...query, limit: 1 }) }, { enabled });
  return page.data?.total ?? null;
}

/** Admin: the audit log, newest first, a page of 25 at a time ("Show older"). */
export function useAuditPages(filter: AuditFilter) {
  const query = queryValues({ ...filter, limit: 25 });
  return useInfiniteQuery({
    queryKey: [...keyOf('listAuditEvents', { query }), 'pages'],
    queryFn: ({ pageParam }) => run('listAuditEvents', { query: { ...query, ...(pageParam ? { before: pageParam } : {}) } }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
}

/** The signed-in user's sessions on every device. */
export const useMySessions = () => useApiQuery('listMySessions');

/** The devices I signed in on, and until when each skips the second step (My security → Remembered devices). */
export const useMyDevices = () => useApiQuery('listMyDevices');

/** The signed-in user's security activity (sign-ins, methods added, …), unread first counted. */
export const useSecurityActivity = () => useApiQuery('listSecurityActivity');

/** Admin: alerts raised by users ("this wasn't me") not yet dealt with. */
export const useSecurityAlerts = (enabled = true) => useApiQuery('listSecurityAlerts', undefined, { enabled });

/** An invitation's account, name and email, before its password is chosen. */
export const useInvitationPreview = (token: string | null) =>
  useApiQuery('previewInvitation', { body: { token: token ?? '' } }, { enabled: token !== null });

/** Admin: the users matching a query, `pageSize` more at a time ("Show more"). */
export function useUserPages(query: Omit<UserListQuery, 'limit' | 'offset'>, pageSize: number, enabled = true) {
  const values = queryValues({ ...query, limit: pageSize });
  return useInfiniteQuery({
    queryKey: [...keyOf('listUsers', { query: values }), 'pages'],
    queryFn: ({ pageParam }) => run('listUsers', { query: { ...values, offset: String(pageParam) } }),
    initialPageParam: 0,
    getNextPageParam: (page, pages) => {
      const shown = pages.reduce((n, p) => n + p.users.length, 0);
      return shown < page.total && page.users.length > 0 ? shown : undefined;
    },
    enabled,
  });
}

/**
 * Admin: 2FA adoption over the last `days`, with who is still missing for a deployment day,
 * `missingLimit` more at a time ("Show more"); every page is fetched again on a refetch.
 */
export function useAdoptionPages(days: number, missingLimit: number, groupId: string | null = null) {
  const query = { days: String(days), missingLimit: String(missingLimit), ...(groupId ? { groupId } : {}) };
  return useInfiniteQuery({
    queryKey: [...keyOf('getAdoption', { query }), 'pages'],
    queryFn: ({ pageParam }) => run('getAdoption', { query: { ...query, ...(pageParam ? { missingOffset: String(pageParam) } : {}) } }),
    initialPageParam: 0,
    getNextPageParam: (page: Adoption, pages: Adoption[]) => {
      const missing = page.deploymentDay?.missing;
      if (!missing) return undefined;
      const shown = pages.reduce((n, p) => n + (p.deploymentDay?.missing.users.length ?? 0), 0);
      return shown < missing.total && missing.users.length > 0 ? shown : undefined;
    },
  });
}
