// The one QueryClient, and what keeps its cache true: the server's pushed events and the
// connection coming back. A change made elsewhere (another admin, the deployment day arriving,
// this user on another desk) reaches every open screen without a reload.
import { QueryCache, QueryClient, QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { useEffect, type ReactNode } from 'react';
import { ApiError } from '../../../contract/api-error';
import type { SessionRevokedReason } from '../../../contract/answers';
import { agentdesk } from '../api/bridge';
import { useReconnected } from '../api/connection';
import { invalidates } from './operations';

type SessionLost = (reason: SessionRevokedReason) => void;
const sessionLostListeners = new Set<SessionLost>();

/**
 * A read that finds the session gone (`unauthenticated`) means the same as a pushed revocation:
 * the app listens here, since a query's failure is kept in the cache, not thrown.
 */
export function onSessionLost(listener: SessionLost): () => void {
  sessionLostListeners.add(listener);
  return () => sessionLostListeners.delete(listener);
}

export const queryClient = new QueryClient({
  queryCache: new QueryCache({
    onError: (error) => {
      const apiError = ApiError.from(error);
      if (apiError.code === 'unauthenticated') for (const listener of [...sessionLostListeners]) listener(apiError.reason ?? 'expired');
    },
  }),
  defaultOptions: {
    queries: {
      // The connection (api/connection.ts) already holds a read until the server answers again;
      // a refusal is an answer, not worth asking twice.
      retry: false,
      // Fresh on every screen shown, and on every push; not on every click back into the window.
      refetchOnWindowFocus: false,
      staleTime: 0,
    },
    mutations: { retry: false },
  },
});

/** What the pushed `account.updated` can change (the security settings were saved, or the deployment day arrived). */
const accountReads = ['getSecuritySettings', 'getMe', 'getSecurityPolicy', 'getEnforcementImpact', 'listUsers', 'listAuditEvents', 'getAdoption'] as const;

function CacheFollowsServer() {
  const client = useQueryClient();
  useEffect(
    () =>
      agentdesk.onAccountUpdated(() => {
        for (const read of accountReads) void client.invalidateQueries({ queryKey: [read] });
      }),
    [client],
  );
  // This session ended: nothing cached for it may show to whoever signs in next on this desk.
  useEffect(() => agentdesk.onSessionRevoked(() => client.clear()), [client]);
  // Back from a lost connection: whatever is on screen is fetched again.
  useReconnected(() => void client.invalidateQueries());
  return null;
}

export function DataProvider({ children }: { children: ReactNode }) {
  return (
    <QueryClientProvider client={queryClient}>
      <CacheFollowsServer />
      {children}
    </QueryClientProvider>
  );
}

/** Drops every cached answer: at sign-in and sign-out, so one user's data never shows to the next. */
export function clearServerState(): void {
  queryClient.clear();
}

export { invalidates };
