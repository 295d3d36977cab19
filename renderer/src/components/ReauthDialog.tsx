import { useEffect, useRef } from 'react';
import type { Method, Session } from '../../../preload/agentdesk-api';
import { SecondFactorForm } from './SecondFactorForm';

/** A modal asking for a fresh second factor before a sensitive change (as GitHub's sudo mode). */
export function ReauthDialog({ methods, onPassed, onCancel }: { methods: Method[]; onPassed: (session: Session) => void; onCancel: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="reauth-title" onCancel={(e) => { e.preventDefault(); onCancel(); }}>
      <h2 id="reauth-title">Confirm it’s you</h2>
      <p>This is a sensitive change. Confirm your second factor to continue.</p>
      {methods.length ? (
        <SecondFactorForm methods={methods} onPassed={onPassed} />
      ) : (
        <p>You have no two-factor method yet. Set one up under My security first.</p>
      )}
      <div className="dialog-actions">
        <button type="button" className="button-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
