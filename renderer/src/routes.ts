// The signed-in screens' addresses, in the URL's hash (#/security, #/admin/users, …), so a
// reload and the back and forward buttons keep the screen. The hash never reaches a server and
// changing it is not a navigation, so it works alike in the web console and on the desktop's
// app://agentdesk/ page (where main refuses every real navigation).
import { useCallback, useEffect, useRef, useSyncExternalStore } from 'react';

export type AdminTab = 'security' | 'policies' | 'sso' | 'users' | 'audit' | 'adoption';
export type Route = { view: 'security' } | { view: 'admin'; tab: AdminTab };

const adminTabs: readonly AdminTab[] = ['security', 'policies', 'sso', 'users', 'audit', 'adoption'];

/** The route a hash names, or null for anything else (no hash, `#content`, an unknown path). */
export function parseRoute(hash: string): Route | null {
  const parts = hash.replace(/^#/, '').split('/');
  if (parts[0] !== '' || parts.length < 2) return null;
  const [, view, tab, ...rest] = parts;
  if (rest.length) return null;
  if (view === 'security' && tab === undefined) return { view: 'security' };
  if (view === 'admin') {
    if (tab === undefined || tab === '') return { view: 'admin', tab: 'security' };
    if ((adminTabs as readonly string[]).includes(tab)) return { view: 'admin', tab: tab as AdminTab };
  }
  return null;
}

export function routeHash(route: Route): string {
  return route.view === 'security' ? '#/security' : `#/admin/${route.tab}`;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

const readHash = () => window.location.hash;

/**
 * The screen the address names if this user may see it, else `fallback` (whose address then
 * replaces the unusable one, without a history entry), and a way to go to another screen
 * (with a history entry, so Back returns).
 */
export function useRoute(allowed: (route: Route) => boolean, fallback: Route): [Route, (route: Route) => void] {
  const hash = useSyncExternalStore(subscribe, readHash);
  const named = parseRoute(hash);
  const route = named && allowed(named) ? named : fallback;
  const wanted = routeHash(route);
  const latest = useRef({ allowed, fallback });
  latest.current = { allowed, fallback };
  useEffect(() => {
    // The address of what is shown, in its one spelling: no new history entry, no hashchange.
    // Decided from the address as it is now, not as it was at this render: it may have moved
    // since (the admin chose Users a moment after signing in, before this effect ran), and a
    // stale answer would put the old screen's address back over the one just chosen.
    const now = parseRoute(window.location.hash);
    const target = routeHash(now && latest.current.allowed(now) ? now : latest.current.fallback);
    if (window.location.hash !== target) window.history.replaceState(window.history.state, '', target);
  }, [hash, wanted]);
  const go = useCallback((next: Route) => {
    const target = routeHash(next);
    if (window.location.hash !== target) window.location.hash = target;
  }, []);
  return [route, go];
}
