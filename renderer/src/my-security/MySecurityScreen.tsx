import { useEffect, useId, useState, type FormEvent } from 'react';
import { SecurityActivityCard } from '../rollout/SecurityActivityCard';
import type { Method, MethodAdded } from '../../../contract/answers';
import { confirmRecoveryCodesSaved, getPendingRecoveryCodes } from '../data/client-calls';
import { useApiMutation } from '../data/operations';
import { useMe } from '../data/queries';
import { describeError } from '../api/error-messages';
import { AuthenticatorAppSetup } from '../enrolment/AuthenticatorAppSetup';
import { FocusHeading } from '../shared/FocusHeading';
import { Notice } from '../shared/Notice';
import { RecoveryCodesPanel } from '../enrolment/RecoveryCodesPanel';
import { SecurityKeySetup } from '../enrolment/SecurityKeySetup';
import { SecurityKeysOnlyNotice, useSecurityPolicy } from '../enrolment/SecurityKeysOnlyNotice';
import { formatDateTime } from '../dates';
import { describeMethod, methodName, methodTypeLabel } from '../method-names';
import { MySessionsCard } from './MySessionsCard';
import { RememberedDevicesCard } from './RememberedDevicesCard';
import { ChangePasswordPanel } from './ChangePasswordPanel';
import { useSession } from '../session-context';
import { Msg, useT } from '../i18n/I18nProvider';
import { LanguageCard } from './LanguageCard';
import { WhatAppliesCard } from './WhatAppliesCard';

type Adding = 'totp' | 'security_key' | null;

/** The user's own methods, recovery codes and the way to add, rename or remove them. */
export function MySecurityScreen() {
  const t = useT();
  const { current, sensitive } = useSession();
  // GET /me, cached: fetched again after each change of one's methods or codes, on the server's
  // account.updated and when the connection returns (data/).
  const me = useMe().data;
  const recoveryCodesLeft = me?.recoveryCodesLeft ?? null;
  const recoveryCodesOutdated = me?.recoveryCodesOutdated ?? false;
  const regenerateCodes = useApiMutation('regenerateRecoveryCodes');
  const endOtherSessions = useApiMutation('endOtherSessions');
  const [adding, setAdding] = useState<Adding>(null);
  const [newCodes, setNewCodes] = useState<string[] | null>(null);
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);
  /** After a method is removed: how many other sessions are live, offered to be ended. */
  const [otherSessions, setOtherSessions] = useState(0);
  const methods = current.methods;
  const enforced = current.account.requireTwoFactor;
  const policy = useSecurityPolicy();

  useEffect(() => {
    // Codes shown before a reload and not yet confirmed as saved are shown again.
    getPendingRecoveryCodes().then((codes) => codes && setNewCodes(codes), () => undefined);
  }, []);

  function added(result: MethodAdded) {
    setAdding(null);
    setMessage({ tone: 'success', text: t('mySecurity.methodAdded', { method: describeMethod(result.method) }) });
    setOtherSessions(result.otherSessions ?? 0);
    if (result.recoveryCodes?.length) setNewCodes(result.recoveryCodes);
  }

  function codesSaved() {
    setNewCodes(null);
    void confirmRecoveryCodesSaved().catch(() => undefined);
  }

  async function regenerate() {
    setMessage(null);
    try {
      const codes = (await sensitive(() => regenerateCodes.mutateAsync()))?.recoveryCodes;
      if (codes) setNewCodes(codes);
    } catch (failure) {
      setMessage({ tone: 'error', text: describeError(failure) });
    }
  }

  async function endOthers() {
    try {
      const done = await sensitive(() => endOtherSessions.mutateAsync());
      if (!done) return;
      setOtherSessions(0);
      setMessage({ tone: 'success', text: t('mySecurity.othersSignedOut', { count: done.revokedSessions }) });
    } catch (failure) {
      setMessage({ tone: 'error', text: describeError(failure) });
    }
  }

  return (
    <div className="page page-columns">
      <FocusHeading>{t('mySecurity.title')}</FocusHeading>
      {message ? <Notice tone={message.tone}>{message.text}</Notice> : null}
      {otherSessions > 0 ? (
        <div className="button-row">
          <p>{t('mySecurity.stillSignedIn', { count: otherSessions })}</p>
          <button type="button" className="button-secondary" onClick={() => void endOthers()}>
            {t('mySecurity.endOthers', { count: otherSessions })}
          </button>
        </div>
      ) : null}

      {newCodes ? (
        <RecoveryCodesPanel codes={newCodes} doneLabel={t('mySecurity.done')} onDone={codesSaved} />
      ) : (
        <>
          <section className="card" aria-labelledby="methods-title">
            <div className="card-header">
              <h2 id="methods-title">{t('mySecurity.methods')}</h2>
              <span className={methods.length ? 'badge badge-on' : 'badge badge-off'}>{methods.length ? t('mySecurity.on') : t('mySecurity.off')}</span>
            </div>
            <SecurityKeysOnlyNotice policy={policy} methods={methods} onAddKey={() => setAdding('security_key')} />
            {methods.length === 0 ? (
              <p>
                {t('mySecurity.noMethod')}{' '}
                {enforced ? t('mySecurity.required') : t('mySecurity.addOne')}
              </p>
            ) : (
              <ul className="method-list">
                {methods.map((method) => (
                  <MethodRow
                    key={method.id}
                    method={method}
                    // A key outside the account's rule counts for nothing: removing it never removes the last method.
                    isLast={!method.outsideRule && methods.filter((m) => !m.outsideRule).length === 1}
                    enforced={enforced}
                    onChanged={(text, others) => {
                      setMessage({ tone: 'success', text });
                      setOtherSessions(others ?? 0);
                    }}
                  />
                ))}
              </ul>
            )}
            {adding === null ? (
              <div className="button-row">
                {policy?.secondFactorPolicy !== 'security_keys' ? (
                  <button type="button" className="button-secondary" onClick={() => setAdding('totp')}>
                    {t('mySecurity.addApp')}
                  </button>
                ) : null}
                <button type="button" className="button-secondary" onClick={() => setAdding('security_key')}>
                  {t('mySecurity.addKey')}
                </button>
              </div>
            ) : null}
          </section>

          {adding === 'totp' ? <AuthenticatorAppSetup onAdded={added} onCancel={() => setAdding(null)} /> : null}
          {adding === 'security_key' ? <SecurityKeySetup onAdded={added} onCancel={() => setAdding(null)} /> : null}

          {methods.length ? (
            <section className="card" aria-labelledby="recovery-title">
              <h2 id="recovery-title">{t('mySecurity.recovery')}</h2>
              <p>
                {recoveryCodesLeft === null ? t('mySecurity.checking') : t('mySecurity.codesLeft', { left: recoveryCodesLeft, total: 10 })}{' '}
                {t('mySecurity.codesUse')}
              </p>
              {recoveryCodesOutdated ? (
                <Notice tone="warning">{t('mySecurity.codesOutdated')}</Notice>
              ) : null}
              <div>
                <button type="button" className="button-secondary" onClick={() => void regenerate()}>
                  {t('mySecurity.regenerate')}
                </button>
              </div>
            </section>
          ) : null}

          {/* After the methods and recovery codes, which stay first (side by side on a wide screen). */}
          {me ? <WhatAppliesCard me={me} /> : null}

          <SecurityActivityCard />

          <ChangePasswordPanel />

          <LanguageCard />

          <MySessionsCard />

          {methods.length > 0 ? <RememberedDevicesCard /> : null}
        </>
      )}
    </div>
  );
}

function MethodRow({ method, isLast, enforced, onChanged }: { method: Method; isLast: boolean; enforced: boolean; onChanged: (text: string, otherSessions?: number) => void }) {
  const t = useT();
  const { sensitive } = useSession();
  const renameMethod = useApiMutation('renameMethod');
  const removeMethod = useApiMutation('removeMethod');
  const id = useId();
  const [mode, setMode] = useState<'view' | 'rename' | 'remove'>('view');
  const shownName = methodName(method);
  const [name, setName] = useState(shownName);
  const [error, setError] = useState<string | null>(null);
  const removalBlocked = enforced && isLast;

  async function rename(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      await renameMethod.mutateAsync({ params: { id: method.id }, body: { name: name.trim() } });
      setMode('view');
      onChanged(t('mySecurity.renamed', { name: name.trim() }));
    } catch (failure) {
      setError(describeError(failure));
    }
  }

  async function remove() {
    setError(null);
    try {
      const done = await sensitive(() => removeMethod.mutateAsync({ params: { id: method.id } }));
      if (done) onChanged(t('mySecurity.removed', { method: describeMethod(method) }), done.otherSessions);
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
          {shownName}
        </p>
        <p className="muted small">
          {methodTypeLabel(method.type)}
          {method.passwordless ? t('mySecurity.passwordless') : ''}
          {t('mySecurity.addedUsed', { added: formatDateTime(method.createdAt), used: formatDateTime(method.lastUsedAt) })}
        </p>
        {method.outsideRule ? (
          <div data-testid="key-outside-rule">
            <Notice tone="warning">{t('mySecurity.keyOutsideRule')}</Notice>
          </div>
        ) : null}
        {removalBlocked && mode === 'view' ? (
          <p className="small muted" id={`${id}-blocked`}>
            {t('mySecurity.onlyMethod')}
          </p>
        ) : null}
      </div>
      {mode === 'view' ? (
        <div className="button-row">
          <button type="button" className="button-secondary" aria-label={t('mySecurity.renameLabel', { name: shownName })} onClick={() => setMode('rename')}>
            {t('mySecurity.rename')}
          </button>
          <button
            type="button"
            className="button-danger-outline"
            aria-label={t('mySecurity.removeLabel', { name: shownName })}
            aria-describedby={removalBlocked ? `${id}-blocked` : undefined}
            disabled={removalBlocked}
            onClick={() => setMode('remove')}
          >
            {t('mySecurity.remove')}
          </button>
        </div>
      ) : null}
      {mode === 'rename' ? (
        <form className="inline-form" onSubmit={(e) => void rename(e)}>
          <label htmlFor={`${id}-rename`} className="visually-hidden">
            {t('mySecurity.newName', { name: shownName })}
          </label>
          <input id={`${id}-rename`} maxLength={64} required value={name} autoFocus onChange={(e) => setName(e.target.value)} />
          <button type="submit">{t('mySecurity.save')}</button>
          <button type="button" className="button-secondary" onClick={() => setMode('view')}>
            {t('common.cancel')}
          </button>
        </form>
      ) : null}
      {mode === 'remove' ? (
        <div className="inline-form" role="group" aria-label={t('mySecurity.confirmRemove', { name: shownName })}>
          <span>
            <Msg id="mySecurity.removeQuestion" values={{ name: shownName, strong: (chunks) => <strong>{chunks}</strong> }} />
            {isLast ? t('mySecurity.turnsOff') : ''}
          </span>
          <button type="button" className="button-danger" autoFocus onClick={() => void remove()}>
            {t('mySecurity.remove')}
          </button>
          <button type="button" className="button-secondary" onClick={() => setMode('view')}>
            {t('mySecurity.keep')}
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
