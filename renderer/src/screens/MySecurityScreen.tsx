import { useEffect, useId, useState, type FormEvent } from 'react';
import { SecurityActivityCard } from '../rollout/SecurityActivityCard';
import type { Method, MethodAdded } from '../../../preload/agentdesk-api';
import { agentdesk } from '../api/bridge';
import { useReconnected } from '../api/connection';
import { describeError } from '../api/error-messages';
import { AuthenticatorAppSetup } from '../components/AuthenticatorAppSetup';
import { FocusHeading } from '../components/FocusHeading';
import { Notice } from '../components/Notice';
import { RecoveryCodesPanel } from '../components/RecoveryCodesPanel';
import { SecurityKeySetup } from '../components/SecurityKeySetup';
import { SecurityKeysOnlyNotice, useSecurityPolicy } from '../components/SecurityKeysOnlyNotice';
import { formatDateTime } from '../dates';
import { describeMethod, methodTypeLabel } from '../method-names';
import { MySessionsCard } from './MySessionsCard';
import { ChangePasswordPanel } from './ChangePasswordPanel';
import { useSession } from '../session-context';

type Adding = 'totp' | 'security_key' | null;

/** The user's own methods, recovery codes and the way to add, rename or remove them. */
export function MySecurityScreen() {
  const { current, refresh, sensitive } = useSession();
  const [recoveryCodesLeft, setRecoveryCodesLeft] = useState<number | null>(null);
  const [recoveryCodesOutdated, setRecoveryCodesOutdated] = useState(false);
  const [adding, setAdding] = useState<Adding>(null);
  const [newCodes, setNewCodes] = useState<string[] | null>(null);
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);
  /** After a method is removed: how many other sessions are live, offered to be ended. */
  const [otherSessions, setOtherSessions] = useState(0);
  /** Read the sessions list again once the others were ended from here. */
  const [sessionsVersion, setSessionsVersion] = useState(0);
  const methods = current.methods;
  const enforced = current.account.requireTwoFactor;
  const policy = useSecurityPolicy();

  async function reload() {
    const me = await agentdesk.getMe();
    setRecoveryCodesLeft(me.recoveryCodesLeft);
    setRecoveryCodesOutdated(me.recoveryCodesOutdated ?? false);
    await refresh();
  }

  useEffect(() => {
    agentdesk.getMe().then((me) => {
      setRecoveryCodesLeft(me.recoveryCodesLeft);
      setRecoveryCodesOutdated(me.recoveryCodesOutdated ?? false);
    }, () => undefined);
    // Codes shown before a reload and not yet confirmed as saved are shown again.
    agentdesk.getPendingRecoveryCodes().then((codes) => codes && setNewCodes(codes), () => undefined);
  }, []);

  // Back from a lost connection, or an admin changed the account's settings: read it all again.
  useReconnected(() => void reload().catch(() => undefined));
  useEffect(() => agentdesk.onAccountUpdated(() => void reload().catch(() => undefined)), []);

  function added(result: MethodAdded) {
    setAdding(null);
    setMessage({ tone: 'success', text: `${describeMethod(result.method)} added.` });
    setOtherSessions(result.otherSessions ?? 0);
    if (result.recoveryCodes?.length) setNewCodes(result.recoveryCodes);
    void reload();
  }

  function codesSaved() {
    setNewCodes(null);
    void agentdesk.confirmRecoveryCodesSaved().catch(() => undefined);
  }

  async function regenerate() {
    setMessage(null);
    try {
      const codes = await sensitive(() => agentdesk.regenerateRecoveryCodes());
      if (codes) {
        setNewCodes(codes);
        void reload();
      }
    } catch (failure) {
      setMessage({ tone: 'error', text: describeError(failure) });
    }
  }

  async function endOthers() {
    try {
      const done = await agentdesk.endOtherSessions();
      setOtherSessions(0);
      setMessage({ tone: 'success', text: `${done.revokedSessions} other session(s) signed out.` });
      setSessionsVersion((v) => v + 1);
    } catch (failure) {
      setMessage({ tone: 'error', text: describeError(failure) });
    }
  }

  return (
    <div className="page page-columns">
      <FocusHeading>My security</FocusHeading>
      {message ? <Notice tone={message.tone}>{message.text}</Notice> : null}
      {otherSessions > 0 ? (
        <div className="button-row">
          <p>
            You are still signed in {otherSessions === 1 ? 'in 1 other place' : `in ${otherSessions} other places`}. If a method or your password
            was lost or taken, end those sessions too.
          </p>
          <button type="button" className="button-secondary" onClick={() => void endOthers()}>
            {otherSessions === 1 ? 'End your other session' : `End your other ${otherSessions} sessions`}
          </button>
        </div>
      ) : null}

      {newCodes ? (
        <RecoveryCodesPanel codes={newCodes} doneLabel="Done" onDone={codesSaved} />
      ) : (
        <>
          <section className="card" aria-labelledby="methods-title">
            <div className="card-header">
              <h2 id="methods-title">Two-factor methods</h2>
              <span className={methods.length ? 'badge badge-on' : 'badge badge-off'}>{methods.length ? 'On' : 'Off'}</span>
            </div>
            <SecurityKeysOnlyNotice policy={policy} methods={methods} onAddKey={() => setAdding('security_key')} />
            {methods.length === 0 ? (
              <p>
                You have no second factor yet.{' '}
                {enforced ? 'Your administrator requires one.' : 'Add one so a stolen password alone cannot open your account.'}
              </p>
            ) : (
              <ul className="method-list">
                {methods.map((method) => (
                  <MethodRow
                    key={method.id}
                    method={method}
                    isLast={methods.length === 1}
                    enforced={enforced}
                    onChanged={(text, others) => {
                      setMessage({ tone: 'success', text });
                      setOtherSessions(others ?? 0);
                      void reload();
                    }}
                  />
                ))}
              </ul>
            )}
            {adding === null ? (
              <div className="button-row">
                {policy?.secondFactorPolicy !== 'security_keys' ? (
                  <button type="button" className="button-secondary" onClick={() => setAdding('totp')}>
                    Add authenticator app
                  </button>
                ) : null}
                <button type="button" className="button-secondary" onClick={() => setAdding('security_key')}>
                  Add security key
                </button>
              </div>
            ) : null}
          </section>

          {adding === 'totp' ? <AuthenticatorAppSetup onAdded={added} onCancel={() => setAdding(null)} /> : null}
          {adding === 'security_key' ? <SecurityKeySetup onAdded={added} onCancel={() => setAdding(null)} /> : null}

          {methods.length ? (
            <section className="card" aria-labelledby="recovery-title">
              <h2 id="recovery-title">Recovery codes</h2>
              <p>
                {recoveryCodesLeft === null ? 'Checking…' : `${recoveryCodesLeft} of 10 recovery codes left.`} Use one to sign in if you lose
                your phone or security key. New codes replace all the old ones.
              </p>
              {recoveryCodesOutdated ? (
                <Notice tone="warning">Your recovery codes are of an older, shorter kind that is easier to guess. Generate new ones and keep those instead.</Notice>
              ) : null}
              <div>
                <button type="button" className="button-secondary" onClick={() => void regenerate()}>
                  Generate new recovery codes
                </button>
              </div>
            </section>
          ) : null}

          <SecurityActivityCard />

          <ChangePasswordPanel />

          <MySessionsCard key={sessionsVersion} />
        </>
      )}
    </div>
  );
}

function MethodRow({ method, isLast, enforced, onChanged }: { method: Method; isLast: boolean; enforced: boolean; onChanged: (text: string, otherSessions?: number) => void }) {
  const { sensitive } = useSession();
  const id = useId();
  const [mode, setMode] = useState<'view' | 'rename' | 'remove'>('view');
  const [name, setName] = useState(method.name);
  const [error, setError] = useState<string | null>(null);
  const removalBlocked = enforced && isLast;

  async function rename(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      await agentdesk.renameMethod(method.id, name.trim());
      setMode('view');
      onChanged(`Renamed to “${name.trim()}”.`);
    } catch (failure) {
      setError(describeError(failure));
    }
  }

  async function remove() {
    setError(null);
    try {
      const done = await sensitive(() => agentdesk.removeMethod(method.id));
      if (done) onChanged(`${describeMethod(method)} removed.`, done.otherSessions);
      else setMode('view');
    } catch (failure) {
      setError(describeError(failure));
      setMode('view');
    }
  }

  return (
    <li className="method" aria-labelledby={`${id}-name`}>
      <div className="method-main">
        <p className="method-name" id={`${id}-name`}>
          {method.name}
        </p>
        <p className="muted small">
          {methodTypeLabel[method.type]}
          {method.passwordless ? ' · Signs you in without a password' : ''} · Added {formatDateTime(method.createdAt)} · Last used {formatDateTime(method.lastUsedAt)}
        </p>
        {removalBlocked && mode === 'view' ? (
          <p className="small muted" id={`${id}-blocked`}>
            This is your only method and your administrator requires two-factor authentication, so it cannot be removed. Add another method
            first.
          </p>
        ) : null}
      </div>
      {mode === 'view' ? (
        <div className="button-row">
          <button type="button" className="button-secondary" aria-label={`Rename ${method.name}`} onClick={() => setMode('rename')}>
            Rename
          </button>
          <button
            type="button"
            className="button-danger-outline"
            aria-label={`Remove ${method.name}`}
            aria-describedby={removalBlocked ? `${id}-blocked` : undefined}
            disabled={removalBlocked}
            onClick={() => setMode('remove')}
          >
            Remove
          </button>
        </div>
      ) : null}
      {mode === 'rename' ? (
        <form className="inline-form" onSubmit={(e) => void rename(e)}>
          <label htmlFor={`${id}-rename`} className="visually-hidden">
            New name for {method.name}
          </label>
          <input id={`${id}-rename`} maxLength={64} required value={name} autoFocus onChange={(e) => setName(e.target.value)} />
          <button type="submit">Save</button>
          <button type="button" className="button-secondary" onClick={() => setMode('view')}>
            Cancel
          </button>
        </form>
      ) : null}
      {mode === 'remove' ? (
        <div className="inline-form" role="group" aria-label={`Confirm removing ${method.name}`}>
          <span>
            Remove <strong>{method.name}</strong>?{isLast ? ' This turns two-factor authentication off for you.' : ''}
          </span>
          <button type="button" className="button-danger" autoFocus onClick={() => void remove()}>
            Remove
          </button>
          <button type="button" className="button-secondary" onClick={() => setMode('view')}>
            Keep
          </button>
        </div>
      ) : null}
      {error ? (
        <div className="method-error">
          <Notice tone="error">{error}</Notice>
        </div>
      ) : null}
    </li>
  );
}
