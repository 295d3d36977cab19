import { useCallback, useEffect, useState } from 'react';
import type { SecuritySettings } from '../../../contract/answers';
import { agentdesk } from '../api/bridge';
import { useConnectionGeneration } from '../api/connection';
import { describeError } from '../api/error-messages';

/**
 * The account's security settings as the server has them now: fetched again after every change
 * (`reload`), when the server pushes `account.updated` (another admin saved, or the deployment
 * day arrived), when a scheduled deployment day's time passes, and when the connection returns.
 * No screen keeps its own copy, so none shows yesterday's state.
 */
export function useSecuritySettings() {
  const [settings, setSettings] = useState<SecuritySettings | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(
    () =>
      agentdesk.getSecuritySettings().then(
        (s) => {
          setSettings(s);
          setError(null);
        },
        (e: unknown) => setError(describeError(e)),
      ),
    [],
  );

  const connectionGeneration = useConnectionGeneration();
  useEffect(() => {
    void reload();
  }, [reload, connectionGeneration]);
  useEffect(() => agentdesk.onAccountUpdated(() => void reload()), [reload]);

  // The push could be missed (a dropped stream): the page looks again a moment after the day's time.
  const scheduledAt = settings?.scheduledAt ?? null;
  useEffect(() => {
    if (!scheduledAt) return;
    const wait = new Date(scheduledAt).getTime() - Date.now() + 2_000;
    if (!(wait > 0 && wait < 2 ** 31 - 1)) return;
    const timer = setTimeout(() => void reload(), wait);
    return () => clearTimeout(timer);
  }, [scheduledAt, reload]);

  return { settings, error, reload };
}
