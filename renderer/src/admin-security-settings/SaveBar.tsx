// Security Settings: the page's one way to commit. What is not saved yet, listed in words beside
// the one Save (and Discard); then what the save did, or why it was refused.
import { useT } from '../i18n/I18nProvider';
import { Notice } from '../shared/Notice';

export function SaveBar({
  unsaved,
  canSave,
  busy,
  error,
  result,
  onSave,
  onDiscard,
}: {
  unsaved: string[];
  canSave: boolean;
  busy: boolean;
  error: string | null;
  result: string | null;
  onSave: () => void;
  onDiscard: () => void;
}) {
  const t = useT();
  return (
    <>
      {error ? <Notice tone="error">{error}</Notice> : null}
      {result ? (
        <Notice tone="success" title={t('settings.saved')}>
          <span data-testid="save-result">{result}</span>
        </Notice>
      ) : null}

      {unsaved.length ? (
        <div className="unsaved-changes" role="status" data-testid="unsaved-changes">
          <p className="unsaved-title">{t('settings.notSavedYet')}</p>
          <ul>
            {unsaved.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <div className="button-row">
        <button type="button" disabled={!canSave || busy} onClick={onSave}>
          {busy ? t('common.saving') : t('settings.save')}
        </button>
        {unsaved.length ? (
          <button type="button" className="button-secondary" disabled={busy} onClick={onDiscard}>
            {t('settings.discard')}
          </button>
        ) : null}
      </div>
    </>
  );
}
