// My security → Your sessions: every place this user is signed in (device, address, last seen),
// this one marked, each with "Sign out", and "Sign out everywhere else". A list, not a table,
// so it reads the same at 400 px and at 1600 px.
import { useState } from 'react';
import type { MySession } from '../../../contract/answers';
import { ApiError } from '../../../contract/api-error';
import { useApiMutation } from '../data/operations';
import { useMySessions } from '../data/queries';
import { describeError } from '../api/error-messages';
import { Notice } from '../shared/Notice';
import { formatDateTime } from '../dates';
import { t } from '../i18n';
import { useT } from '../i18n/I18nProvider';
import { useSession } from '../session-context';

type Feedback = { tone: 'success' | 'error'; text: string };
/** A session as listed, and whether this screen just signed it out. */
type Row = MySession & { ended?: boolean };

function deviceName(session: MySession): string {
  return session.device?.trim() || session.userAgent?.trim() || t('sessions.unknownDevice');
}

function listFailure(error: unknown): string {
  const apiError = ApiError.from(error);
  if (apiError.status === 404) return t('sessions.cannotList');
  return describeError(error);
}

export function MySessionsCard() {
  const t = useT();
  const { sensitive } = useSession();
  const list = useMySessions();
  const endSession = useApiMutation('endMySession');
  const endOtherSessions = useApiMutation('endOtherSessions');
  /** Signed out from here: the row stays, marked, until the list is read again (the feedback sits where the click was). */
  const [ended, setEnded] = useState<ReadonlySet<string>>(new Set());
  const sessions: Row[] | null = list.data ? list.data.sessions.map((s) => (ended.has(s.id) ? { ...s, ended: true } : s)) : null;
  const loadError = list.error ? listFailure(list.error) : null;
  const [rowFeedback, setRowFeedback] = useState<Record<string, Feedback>>({});
  const [allFeedback, setAllFeedback] = useState<Feedback | null>(null);
  const [busy, setBusy] = useState<string | null>(null);


  async function endOne(session: MySession) {
    setBusy(session.id);
    setAllFeedback(null);
    try {
      // A sensitive change (ASVS 7.5.2): the server may ask for a fresh second factor first.
      const ended = await sensitive(async () => {
        await endSession.mutateAsync({ params: { id: session.id } });
        return true;
      });
      if (!ended) return;
      setEnded((all) => new Set(all).add(session.id));
      setRowFeedback((all) => ({ ...all, [session.id]: { tone: 'success', text: t('sessions.signedOutOne', { device: deviceName(session) }) } }));
    } catch (error) {
      setRowFeedback((all) => ({ ...all, [session.id]: { tone: 'error', text: describeError(error) } }));
    } finally {
      setBusy(null);
    }
  }

  async function endOthers() {
    setBusy('others');
    setRowFeedback({});
    try {
      const done = await sensitive(() => endOtherSessions.mutateAsync());
      if (!done) return;
      const { revokedSessions } = done;
      setAllFeedback({
        tone: 'success',
        text: revokedSessions === 0 ? t('sessions.nowhereElse') : t('sessions.signedOutOthers', { count: revokedSessions }),
      });
    } catch (error) {
      setAllFeedback({ tone: 'error', text: describeError(error) });
    } finally {
      setBusy(null);
    }
  }

  const others = (sessions ?? []).filter((s) => !s.current && !s.ended);

  return (
    <section className="card" aria-labelledby="sessions-title" data-testid="my-sessions">
      <h2 id="sessions-title">{t('sessions.title')}</h2>
      <p className="muted">{t('sessions.intro')}</p>
      {loadError ? <Notice tone="error">{loadError}</Notice> : null}
      {sessions === null ? (
        loadError ? null : <p role="status">{t('sessions.loading')}</p>
      ) : (
        <ul className="session-list">
          {sessions.map((session) => {
            const ended = session.ended === true;
            const feedback = rowFeedback[session.id];
            const name = deviceName(session);
            return (
              <li key={session.id} className="session-row" aria-label={session.current ? t('sessions.thisDeviceLabel', { name }) : name}>
                <div className="session-main">
                  <p className="method-name">
                    {name} {session.current ? <span className="badge badge-on">{t('sessions.thisDevice')}</span> : null}
                  </p>
                  <p className="muted small">
                    {session.address ? <span className="detail">{t('sessions.address', { address: session.address })}</span> : null}
                    <span className="detail">{t('sessions.lastSeen', { time: formatDateTime(session.lastSeenAt ?? session.createdAt) })}</span>
                    <span className="detail">{t('sessions.signedIn', { time: formatDateTime(session.createdAt) })}</span>
                  </p>
                </div>
                {session.current || ended ? null : (
                  <button
                    type="button"
                    className="button-secondary"
                    aria-label={t('sessions.signOutLabel', { name })}
                    disabled={busy !== null}
                    onClick={() => void endOne(session)}
                  >
                    {t('sessions.signOut')}
                  </button>
                )}
                {feedback ? (
                  <div className="session-feedback">
                    <Notice tone={feedback.tone}>{feedback.text}</Notice>
                  </div>
                ) : null}
              </li>
            );
          })}
        </ul>
      )}
      {sessions !== null ? (
        <div className="button-row">
          <button type="button" className="button-secondary" disabled={busy !== null || others.length === 0} onClick={() => void endOthers()}>
            {t('sessions.signOutOthers')}
          </button>
        </div>
      ) : null}
      {allFeedback ? <Notice tone={allFeedback.tone}>{allFeedback.text}</Notice> : null}
    </section>
  );
}
