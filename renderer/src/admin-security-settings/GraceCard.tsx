// Admin → Security Settings → Grace (server/enforcement/grace.ts): how many sign-ins, and/or
// until when, a user who must set up two-factor authentication may postpone it. Saved with the
// security settings (PUT /account/security-settings), its own Save like the policy cards.
import { useEffect, useState } from 'react';
import type { SecuritySettings } from '../../../contract/answers';
import { useApiMutation } from '../data/operations';
import { endOfDay, graceIsOpen, graceText } from '../enrolment/grace';
import { useT } from '../i18n/I18nProvider';
import { useSensitiveSave } from '../shared/useSensitiveSave';
import { SaveBar } from './SaveBar';

export function GraceCard({ saved }: { saved: SecuritySettings }) {
  const t = useT();
  const save = useApiMutation('saveSecuritySettings');
  const savedSignIns = saved.graceSignIns ?? 0;
  const savedUntil = saved.graceUntil ? saved.graceUntil.slice(0, 10) : '';
  const [signIns, setSignIns] = useState(String(savedSignIns));
  const [until, setUntil] = useState(savedUntil);
  const { busy, result, error, run, clear } = useSensitiveSave();
  useEffect(() => {
    setSignIns(String(savedSignIns));
    setUntil(savedUntil);
  }, [savedSignIns, savedUntil]);

  const count = Number(signIns);
  const countValid = signIns.trim() !== '' && Number.isInteger(count) && count >= 0 && count <= 10;
  const unsaved = [
    count !== savedSignIns ? `${t('settings.grace.signIns')}: ${signIns}` : '',
    until !== savedUntil ? `${t('settings.grace.until')}: ${until || '—'}` : '',
  ].filter(Boolean);

  function commit() {
    // Only the grace changes: the requirement is sent as it is, so nothing is turned on or off.
    const body = { requireTwoFactor: saved.requireTwoFactor, acknowledged: false, graceSignIns: count, ...(until !== savedUntil ? { graceUntil: endOfDay(until) } : {}) };
    const grace = { signInsLeft: count > 0 ? count : null, until: endOfDay(until) };
    return run(
      () => save.mutateAsync({ body }),
      () => (graceIsOpen(grace) ? t('settings.grace.saved', { grace: graceText(grace) }) : t('settings.grace.none')),
    );
  }

  return (
    <section className="card" aria-labelledby="grace-title" data-testid="grace-card">
      <div className="card-header">
        <h2 id="grace-title">{t('settings.grace.title')}</h2>
      </div>
      <p className="muted small">{t('settings.grace.hint')}</p>
      <div className="field">
        <label htmlFor="grace-sign-ins">{t('settings.grace.signIns')}</label>
        <input id="grace-sign-ins" type="number" inputMode="numeric" min={0} max={10} step={1} value={signIns} aria-invalid={!countValid} onChange={(e) => setSignIns(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="grace-until">{t('settings.grace.until')}</label>
        <input id="grace-until" type="date" value={until} onChange={(e) => setUntil(e.target.value)} />
      </div>
      <SaveBar
        unsaved={unsaved}
        canSave={unsaved.length > 0 && countValid}
        busy={busy}
        error={error}
        result={result}
        onSave={() => void commit()}
        onDiscard={() => {
          setSignIns(String(savedSignIns));
          setUntil(savedUntil);
          clear();
        }}
      />
    </section>
  );
}
