import { useState } from 'react';
import type { Session } from '../../../contract/answers';
import { describeError } from '../api/error-messages';
import { useApiMutation } from '../data/operations';
import { useMe } from '../data/queries';
import { useT } from '../i18n/I18nProvider';
import { Notice } from '../shared/Notice';
import { graceIsOpen, graceText } from './grace';

/**
 * "Not now (2 sign-ins left)": at a forced enrolment, while the user's grace lasts, spends one
 * sign-in of it (POST /sessions/current/postpone-enrolment) and goes on without a method.
 * Nothing shows when there is no grace left: the user must enrol.
 */
export function PostponeEnrolment({ onPostponed }: { onPostponed: (session: Session) => void }) {
  const t = useT();
  const me = useMe();
  const postpone = useApiMutation('postponeEnrolment');
  const [error, setError] = useState<string | null>(null);
  const grace = me.data?.grace;
  if (!graceIsOpen(grace)) return null;

  async function notNow() {
    setError(null);
    try {
      const done = await postpone.mutateAsync();
      onPostponed(done.session);
    } catch (e) {
      setError(describeError(e));
      void me.refetch();
    }
  }

  return (
    <div className="stack" data-testid="postpone-enrolment">
      {error ? <Notice tone="error">{error}</Notice> : null}
      <p className="muted small">{t('enrol.notNowHint')}</p>
      <button type="button" className="button-secondary" disabled={postpone.isPending} onClick={() => void notNow()}>
        {t('enrol.notNow', { grace: graceText(grace) })}
      </button>
    </div>
  );
}
