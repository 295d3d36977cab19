import { useT } from '../i18n/I18nProvider';
import './rollout.css';
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { useApiMutation } from '../data/operations';
import { useMe } from '../data/queries';
import { describeError } from '../api/error-messages';
import { Notice } from '../shared/Notice';

/**
 * At a forced enrolment from a device this user had not used before the requirement: the
 * account accepts a first method only with an enrolment code from an administrator. Until one
 * is redeemed, this asks for it instead of showing the methods.
 */
export function EnrollmentCodeGate({ children }: { children: ReactNode }) {
  const t = useT();
  const me = useMe();
  const redeem = useApiMutation('redeemEnrollmentCode');
  // Unknown (the answer failed): offer the methods, the server still decides.
  const mayEnrol = me.data ? me.data.mayEnrol !== false : me.isError ? true : null;
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  if (mayEnrol === null) return <p>{t('enrolCode.loading')}</p>;
  if (mayEnrol) return <>{children}</>;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // GET /me is fetched again (operations.ts), and says the device may enrol now.
      await redeem.mutateAsync({ body: { code: code.trim() } });
    } catch (e) {
      const code = (e as { code?: string }).code;
      setError(code === 'invalid_code' ? t('enrolCode.wrong') : describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stack" onSubmit={(e) => void submit(e)} data-testid="enrollment-code-form">
      <Notice tone="info" title={t('enrolCode.askTitle')}>
        <p>{t('enrolCode.askText')}</p>
      </Notice>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <label htmlFor={id}>{t('enrolCode.label')}</label>
      <input
        id={id}
        name="enrollment-code"
        autoComplete="one-time-code"
        autoCapitalize="characters"
        spellCheck={false}
        placeholder={t('enrolCode.placeholder')}
        maxLength={32}
        value={code}
        onChange={(e) => setCode(e.target.value)}
        required
      />
      <div className="button-row">
        <button type="submit" className="button-primary" disabled={busy || code.trim().length < 10}>
          {t('common.continue')}
        </button>
      </div>
    </form>
  );
}
