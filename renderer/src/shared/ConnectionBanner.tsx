// The one banner that says the server cannot be reached, on every screen, with a Retry. What the
// screens show stays as it was; they refresh themselves when the connection returns.
import { useConnection } from '../api/connection';
import { useT } from '../i18n/I18nProvider';

export function ConnectionBanner() {
  const t = useT();
  const { online, retryNow } = useConnection();
  if (online) return null;
  return (
    <div className="connection-banner" role="status" data-testid="connection-banner">
      <span>
        <strong>{t('connection.lost')}</strong> <span className="connection-banner-detail">{t('connection.detail')}</span>
      </span>
      <button type="button" className="button-small" onClick={retryNow}>
        {t('connection.retry')}
      </button>
    </div>
  );
}
