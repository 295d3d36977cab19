import { useCallback, useId, useState, type FormEvent } from 'react';
import type { Method, Session } from '../../../contract/answers';
import { ApiError } from '../../../contract/api-error';
import { useApiMutation } from '../data/operations';
import { passWithSecurityKey } from '../data/client-calls';
import { describeError } from '../api/error-messages';
import { CodeField } from './CodeField';
import { LockedNotice } from './LockedNotice';
import { Notice } from './Notice';
import { SecurityKeyStatus } from './SecurityKeyStatus';
import { useT } from '../i18n/I18nProvider';
import type { MessageId } from '../i18n';

type Way = 'totp' | 'security_key' | 'recovery_code';

const switchLabels: Record<Way, MessageId> = {
  totp: 'secondFactor.switch.totp',
  security_key: 'secondFactor.switch.security_key',
  recovery_code: 'secondFactor.switch.recovery_code',
};

/**
 * Pass a second factor with any of the user's methods, last used first: the sign-in's second
 * step and the re-authentication before a sensitive change.
 */
export function SecondFactorForm({ methods, onPassed }: { methods: Method[]; onPassed: (session: Session) => void }) {
  const t = useT();
  const passFactor = useApiMutation('passSecondFactor');
  const ways: Way[] = [];
  for (const method of methods) if (!ways.includes(method.type)) ways.push(method.type);
  ways.push('recovery_code');
  const [way, setWay] = useState<Way>(ways[0] ?? 'recovery_code');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  // A lock-out blocks every way in, recovery codes too: nothing to offer but the wait, counted
  // down; the form comes back by itself when it ends.
  const [locked, setLocked] = useState<ApiError | null>(null);
  const unlock = useCallback(() => {
    setLocked(null);
    setError(null);
  }, []);

  async function pass(action: () => Promise<Session>) {
    setBusy(true);
    setError(null);
    try {
      onPassed(await action());
    } catch (failure) {
      setError(describeError(failure));
      const refusal = ApiError.from(failure);
      setLocked(refusal.locked ? refusal : null);
      setAttempt((n) => n + 1);
      setBusy(false);
    }
  }

  if (locked) {
    return (
      <div className="second-factor" data-testid="locked-out">
        <LockedNotice error={locked} onEnded={unlock} />
      </div>
    );
  }

  function choose(next: Way) {
    setWay(next);
    setError(null);
  }

  return (
    <div className="second-factor">
      {way === 'totp' ? (
        <form onSubmit={(e) => e.preventDefault()}>
          <CodeField
            label={t('secondFactor.totp.label')}
            hint={t('secondFactor.totp.hint')}
            disabled={busy}
            autoFocus
            resetKey={attempt}
            onComplete={(code) => void pass(() => passFactor.mutateAsync({ body: { method: 'totp', code } }).then((passed) => passed.session))}
          />
        </form>
      ) : null}

      {way === 'security_key' ? (
        <div className="stack">
          <p>{t('secondFactor.key.text')}</p>
          <div>
            <button type="button" disabled={busy} autoFocus onClick={() => void pass(() => passWithSecurityKey())}>
              {t('secondFactor.key.button')}
            </button>
          </div>
          <SecurityKeyStatus />
        </div>
      ) : null}

      {way === 'recovery_code' ? (
        <RecoveryCodeForm busy={busy} resetKey={attempt} onSubmit={(code) => void pass(() => passFactor.mutateAsync({ body: { method: 'recovery_code', code } }).then((passed) => passed.session))} />
      ) : null}

      {error ? <Notice tone="error">{error}</Notice> : null}

      {ways.length > 1 ? (
        <div className="other-ways">
          <p className="muted">{t('secondFactor.otherWays')}</p>
          <ul className="link-list">
            {ways
              .filter((w) => w !== way)
              .map((w) => (
                <li key={w}>
                  <button type="button" className="button-link" onClick={() => choose(w)}>
                    {t(switchLabels[w])}
                  </button>
                </li>
              ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}

function RecoveryCodeForm({ busy, onSubmit, resetKey }: { busy: boolean; onSubmit: (code: string) => void; resetKey: number }) {
  const t = useT();
  const id = useId();
  const [code, setCode] = useState('');
  const [lastReset, setLastReset] = useState(resetKey);
  if (lastReset !== resetKey) {
    setLastReset(resetKey);
    setCode('');
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (code.trim()) onSubmit(code.trim());
  }

  return (
    <form className="stack" onSubmit={submit}>
      <div className="field">
        <label htmlFor={id}>{t('secondFactor.recovery.label')}</label>
        <p className="field-hint" id={`${id}-hint`}>
          {t('secondFactor.recovery.hint')}
        </p>
        <input id={id} autoComplete="off" spellCheck={false} aria-describedby={`${id}-hint`} value={code} autoFocus onChange={(e) => setCode(e.target.value)} />
      </div>
      <div>
        <button type="submit" disabled={busy || !code.trim()}>
          {t('secondFactor.recovery.submit')}
        </button>
      </div>
    </form>
  );
}
