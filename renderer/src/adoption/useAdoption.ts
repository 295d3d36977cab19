// The adoption figures (GET /account/adoption) through the bridge: the only file of this screen
// that calls the API, so a move to the shared data layer (renderer/src/data/) touches only it.
import { useCallback, useEffect, useState } from 'react';
import type { Adoption } from '../../../preload/agentdesk-api';
import { agentdesk } from '../api/bridge';
import { useReconnected } from '../api/connection';
import { describeError } from '../api/error-messages';

export const ADOPTION_PERIODS = [7, 30, 90, 365] as const;
export const MISSING_PAGE = 50;

export function useAdoption(days: number) {
  const [adoption, setAdoption] = useState<Adoption | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setError(null);
      setAdoption(await agentdesk.getAdoption({ query: { days: String(days), missingLimit: String(MISSING_PAGE) } }));
    } catch (failure) {
      setError(describeError(failure));
    }
  }, [days]);

  useEffect(() => {
    void load();
  }, [load]);
  useReconnected(() => void load());

  /** The next page of who is still missing, appended to the list shown. */
  async function moreMissing() {
    const shown = adoption?.deploymentDay?.missing;
    if (!shown) return;
    try {
      const next = await agentdesk.getAdoption({ query: { days: String(days), missingLimit: String(MISSING_PAGE), missingOffset: String(shown.offset + shown.users.length) } });
      setAdoption((old) =>
        old?.deploymentDay && next.deploymentDay
          ? { ...old, deploymentDay: { ...next.deploymentDay, missing: { ...next.deploymentDay.missing, offset: 0, users: [...old.deploymentDay.missing.users, ...next.deploymentDay.missing.users] } } }
          : next,
      );
    } catch (failure) {
      setError(describeError(failure));
    }
  }

  async function exportCsv(part: 'days' | 'missing'): Promise<string | null> {
    try {
      return await agentdesk.exportAdoption({ query: { days: String(days), part } });
    } catch (failure) {
      setError(describeError(failure));
      return null;
    }
  }

  return { adoption, error, reload: load, moreMissing, exportCsv };
}
