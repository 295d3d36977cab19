// A card's save of a sensitive change: busy while it runs (asking for a fresh second factor
// first when the server wants one), then the result in words or the error, never both. The one
// way every admin card saves (session lifetimes, networks, key models, grace, SSO only, SCIM).
import { useCallback, useState } from 'react';
import { describeError } from '../api/error-messages';
import { useSession } from '../session-context';

export interface SensitiveSave {
  busy: boolean;
  /** What the last save did, in words (null before one, or while one runs). */
  result: string | null;
  error: string | null;
  /**
   * Runs `save` as a sensitive change. `describe` words what it did; a re-authentication the
   * user cancelled changes nothing and says nothing. Answers what the save answered, if it ran.
   */
  run: <T>(save: () => Promise<T>, describe: (done: T) => string | null) => Promise<T | undefined>;
  /** Forgets the last result and error (the admin discarded their edits). */
  clear: () => void;
}

export function useSensitiveSave(): SensitiveSave {
  const { sensitive } = useSession();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(
    async <T,>(save: () => Promise<T>, describe: (done: T) => string | null): Promise<T | undefined> => {
      setBusy(true);
      setError(null);
      setResult(null);
      try {
        const done = await sensitive(save);
        if (done) setResult(describe(done));
        return done;
      } catch (failure) {
        setError(describeError(failure));
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [sensitive],
  );
  const clear = useCallback(() => {
    setResult(null);
    setError(null);
  }, []);
  return { busy, result, error, run, clear };
}
