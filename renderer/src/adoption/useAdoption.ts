// The adoption figures (GET /account/adoption) for the chosen period, from the data layer's cache
// (data/queries.ts useAdoptionPages): fetched again after a change that moves them (a method
// added or removed, a user invited or deleted, the security settings saved), on the pushed
// account.updated (the deployment day arriving) and when the connection comes back.
import type { Adoption } from '../../../contract/answers';
import { describeError } from '../api/error-messages';
import { fetchAdoptionCsv } from '../data/client-calls';
import { useAdoptionPages } from '../data/queries';
import { useState } from 'react';

export const ADOPTION_PERIODS = [7, 30, 90, 365] as const;
export const MISSING_PAGE = 50;

/** `groupId`: only that group's members (today's members, over every day); null: everyone. */
export function useAdoption(days: number, groupId: string | null = null) {
  const pages = useAdoptionPages(days, MISSING_PAGE, groupId);
  const [exportError, setExportError] = useState<string | null>(null);
  const adoption = joinMissing(pages.data?.pages);
  const error = exportError ?? (pages.error ? describeError(pages.error) : null);

  /** The next page of who is still missing, appended to the list shown. */
  async function moreMissing() {
    if (pages.hasNextPage) await pages.fetchNextPage();
  }

  async function exportCsv(part: 'days' | 'missing'): Promise<string | null> {
    try {
      setExportError(null);
      return await fetchAdoptionCsv(days, part, groupId);
    } catch (failure) {
      setExportError(describeError(failure));
      return null;
    }
  }

  return { adoption, error, reload: () => void pages.refetch(), moreMissing, exportCsv };
}

/** The latest figures, with every page of who is still missing fetched so far, in order. */
function joinMissing(pages: Adoption[] | undefined): Adoption | null {
  if (!pages?.length) return null;
  const last = pages[pages.length - 1]!;
  if (!last.deploymentDay) return last;
  const users = pages.flatMap((page) => page.deploymentDay?.missing.users ?? []);
  return { ...last, deploymentDay: { ...last.deploymentDay, missing: { ...last.deploymentDay.missing, offset: 0, users } } };
}
