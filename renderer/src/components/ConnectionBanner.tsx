// The one banner that says the server cannot be reached, on every screen, with a Retry. What the
// screens show stays as it was; they refresh themselves when the connection returns.
import { useConnection } from '../api/connection';

export function ConnectionBanner() {
  const { online, retryNow } = useConnection();
  if (online) return null;
  return (
    <div className="connection-banner" role="status" data-testid="connection-banner">
      <span>
        <strong>Connection lost — retrying.</strong> <span className="connection-banner-detail">AgentDesk cannot reach its server. What you see may be out of date.</span>
      </span>
      <button type="button" className="button-small" onClick={retryNow}>
        Retry
      </button>
    </div>
  );
}
