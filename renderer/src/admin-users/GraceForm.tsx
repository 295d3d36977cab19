import { useId, useState, type FormEvent } from 'react';
import type { Grace } from '../../../contract/answers';
import { endOfDay } from '../enrolment/grace';
import { useT } from '../i18n/I18nProvider';

/** "Extend grace…": how many sign-ins this user may still postpone, and until when (optional). */
export function GraceForm({ grace, onSave, onCancel }: { grace: Grace | null; onSave: (body: { signInsLeft: number; until: string | null }) => void; onCancel: () => void }) {
  const t = useT();
  const id = useId();
  const [signIns, setSignIns] = useState(String(Math.max(grace?.signInsLeft ?? 0, 3)));
  const [until, setUntil] = useState(grace?.until ? grace.until.slice(0, 10) : '');

  function submit(event: FormEvent) {
    event.preventDefault();
    onSave({ signInsLeft: Number(signIns), until: endOfDay(until) });
  }

  return (
    <form className="inline-form" onSubmit={submit} data-testid="grace-form">
      <label htmlFor={`${id}-signins`}>{t('graceForm.signIns')}</label>
      <input id={`${id}-signins`} type="number" min={0} max={10} step={1} required value={signIns} onChange={(e) => setSignIns(e.target.value)} />
      <label htmlFor={`${id}-until`}>{t('graceForm.until')}</label>
      <input id={`${id}-until`} type="date" value={until} onChange={(e) => setUntil(e.target.value)} />
      <button type="submit">{t('graceForm.save')}</button>
      <button type="button" className="button-secondary" onClick={onCancel}>
        {t('graceForm.cancel')}
      </button>
    </form>
  );
}
