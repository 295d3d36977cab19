// What every signed-in screen shares: who is signed in, their session, a way to refresh it,
// and `sensitive(action)`, which asks for a fresh second factor when the server wants one.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { CurrentSession, Session } from '../../contract/answers';
import { ApiError } from '../../contract/api-error';
import { fetchMe } from './data/client-calls';
import { useMe } from './data/queries';
import { needsPassword, PasswordReauthDialog, ReauthDialog } from './shared/ReauthDialog';

/** The server asks for a second factor from the last 10 minutes; ask a little before that. */
const recentSecondFactorMs = 9 * 60 * 1000;

export function hasRecentSecondFactor(session: Session): boolean {
  if (!session.secondFactorAt) return false;
  return Date.now() - new Date(session.secondFactorAt).getTime() < recentSecondFactorMs;
}

interface SessionContextValue {
  current: CurrentSession;
  /** Reload user, methods and account from the server. */
  refresh: () => Promise<void>;
  updateSession: (session: Session) => void;
  /** Run a sensitive change, first asking for a second factor when ours is not recent. Resolves undefined if the user cancels. */
  sensitive: <T>(action: () => Promise<T>) => Promise<T | undefined>;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

export function SessionProvider({
  current,
  onChange,
  children,
}: {
  current: CurrentSession;
  onChange: (current: CurrentSession) => void;
  children: ReactNode;
}) {
  const latest = useRef(current);
  latest.current = current;
  const [askingFor, setAskingFor] = useState<((passed: boolean) => void) | null>(null);

  const updateSession = useCallback((session: Session) => {
    latest.current = { ...latest.current, session };
    onChange(latest.current);
  }, [onChange]);

  // Who is signed in follows the cached GET /me: refetched after a change of one's methods, on
  // the server's account.updated push and when the connection returns (data/), so the account's
  // requirement and one's own methods are never yesterday's on any screen.
  const me = useMe().data;
  useEffect(() => {
    if (!me) return;
    latest.current = { session: me.session ?? latest.current.session, user: me.user, methods: me.methods, account: me.account };
    onChange(latest.current);
  }, [me, onChange]);

  const refresh = useCallback(async () => {
    await fetchMe();
  }, []);

  const askForSecondFactor = useCallback(() => new Promise<boolean>((resolve) => setAskingFor(() => resolve)), []);
  const [askingPassword, setAskingPassword] = useState<((passed: boolean) => void) | null>(null);
  const askForPassword = useCallback(() => new Promise<boolean>((resolve) => setAskingPassword(() => resolve)), []);

  const sensitive = useCallback(
    async <T,>(action: () => Promise<T>): Promise<T | undefined> => {
      // The server decides (its declared access): a refused sensitive change changed nothing,
      // so it is asked again once the user has passed their second factor.
      try {
        return await action();
      } catch (error) {
        if (ApiError.from(error).code !== 'reauthentication_required') throw error;
        // A user with no method proves it is them with their password (entered in the last 10 minutes).
        if (!(await (needsPassword(error) ? askForPassword() : askForSecondFactor()))) return undefined;
        return await action();
      }
    },
    [askForSecondFactor, askForPassword],
  );

  const value = useMemo(() => ({ current, refresh, updateSession, sensitive }), [current, refresh, updateSession, sensitive]);

  return (
    <SessionContext.Provider value={value}>
      {children}
      {askingFor ? (
        <ReauthDialog
          methods={current.methods}
          onPassed={(session) => {
            updateSession(session);
            setAskingFor(null);
            askingFor(true);
          }}
          onCancel={() => {
            setAskingFor(null);
            askingFor(false);
          }}
        />
      ) : null}
      {askingPassword ? (
        <PasswordReauthDialog
          onPassed={() => {
            setAskingPassword(null);
            askingPassword(true);
          }}
          onCancel={() => {
            setAskingPassword(null);
            askingPassword(false);
          }}
        />
      ) : null}
    </SessionContext.Provider>
  );
}
