import { useT } from '../i18n/I18nProvider';
import { useEffect, useRef, useState } from 'react';
import type { ImportResult } from '../../../contract/answers';
import { useApiMutation } from '../data/operations';
import { describeError } from '../api/error-messages';
import { Notice } from '../shared/Notice';
import { useSession } from '../session-context';
import { downloadCsv } from '../shared/download';

/** Bulk invitation: pick a CSV (name, email, role), see the preview with each row's errors, then import all rows or none. */
export function ImportUsersDialog({ onClose, onImported }: { onClose: () => void; onImported: (count: number, emailed: boolean) => void }) {
  const t = useT();
  const importUsers = useApiMutation('importUsers');
  const { sensitive } = useSession();
  const dialog = useRef<HTMLDialogElement>(null);
  const [csv, setCsv] = useState<string | null>(null);
  const [preview, setPreview] = useState<ImportResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  async function pick(file: File | undefined) {
    setPreview(null);
    setError(null);
    if (!file) return;
    const text = await file.text();
    setCsv(text);
    setBusy(true);
    try {
      setPreview((await sensitive(() => importUsers.mutateAsync({ query: { dryRun: 'true' }, body: text }))) ?? null);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  async function importAll() {
    if (!csv) return;
    setBusy(true);
    setError(null);
    try {
      const admins = /(^|,)\s*admin\s*(,|$)/im.test(csv);
      const done = await sensitive(() => importUsers.mutateAsync({ body: csv }));
      if (!done) return;
      if (!done.emailed && done.invitations?.length) {
        const lines = ['name,email,invitation link', ...done.invitations.map((i) => [i.user.name, i.user.email, i.link ?? ''].map((c) => `"${c.replace(/"/g, '""')}"`).join(','))];
        downloadCsv(lines.join('\r\n'), 'invitation-links.csv');
      }
      onImported(done.counts.valid, done.emailed === true);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog ref={dialog} className="dialog dialog-wide" aria-labelledby="import-title" onCancel={(e) => { e.preventDefault(); onClose(); }}>
      <h2 id="import-title">{t('import.title')}</h2>
      <p className="muted small">{t('import.intro')}</p>
      <div className="field">
        <label htmlFor="import-file">{t('import.file')}</label>
        <input id="import-file" type="file" accept=".csv,text/csv" onChange={(e) => void pick(e.target.files?.[0])} />
      </div>
      {busy ? <p role="status">{t('import.checking')}</p> : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      {preview ? (
        <div role="region" aria-labelledby="import-preview-title">
          <h3 id="import-preview-title">{t('import.preview')}</h3>
          <p role="status">
            {t('import.counts', { rows: preview.counts.rows, valid: preview.counts.valid, invalid: preview.counts.invalid })}
          </p>
          {preview.errors?.length ? (
            <div className="import-errors" tabIndex={0} role="group" aria-label={t('import.errorsLabel')}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('import.col.line')}</th>
                    <th scope="col">{t('import.col.email')}</th>
                    <th scope="col">{t('import.col.problem')}</th>
                  </tr>
                </thead>
                <tbody>
                  {preview.errors.map((e) => (
                    <tr key={`${e.line}-${e.code}`}>
                      <td>{e.line}</td>
                      <td>{e.email}</td>
                      <td>{e.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          {preview.counts.invalid ? <Notice tone="warning">{t('import.fix')}</Notice> : null}
        </div>
      ) : null}
      <div className="dialog-actions inline-form">
        <button type="button" className="button-secondary" onClick={onClose}>
          {t('common.cancel')}
        </button>
        <button type="button" disabled={busy || !preview || preview.counts.invalid > 0 || preview.counts.valid === 0} onClick={() => void importAll()}>
          {preview && !preview.counts.invalid ? t('import.inviteN', { count: preview.counts.valid }) : t('import.invite')}
        </button>
      </div>
    </dialog>
  );
}
