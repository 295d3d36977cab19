// What every route handler shares: the store, the relying party, the secret box and the
// services built on them. Built once at start-up.
import type { Kysely } from 'kysely';
import type { Config } from './config.js';
import type { SecretBox } from './crypto/secret-box.js';
import type { SessionEvents } from './sessions/events.js';
import type { RecoveryCodes } from './second-factors/recovery-codes.js';
import type { RelyingParty } from './second-factors/security-keys.js';
import type { Sessions } from './sessions/sessions.js';
import type { Store } from './store/database.js';
import type { PostgresRelay } from './store/postgres-relay.js';
import type { Database } from './store/schema.js';
import type { Throttle } from './sessions/throttling.js';
import type { Mailer } from './mail/mailer.js';
import type { PasswordPolicy } from './people/passwords.js';
import type { ProviderConfigs } from './sso/identity-providers.js';
import type { Metrics } from './metrics/metrics.js';

export interface ServerContext {
  config: Config;
  store: Store;
  db: Kysely<Database>;
  rp: RelyingParty;
  box: SecretBox;
  events: SessionEvents;
  /** PostgreSQL only: carries revocations to the other instances on the same database. */
  relay?: PostgresRelay | undefined;
  sessions: Sessions;
  throttle: Throttle;
  recoveryCodes: RecoveryCodes;
  /** The check every new password goes through (lists, names, optional Pwned Passwords lookup). */
  passwords: PasswordPolicy;
  /** Outgoing mail (server/mail/): invitations, password resets, security notifications. */
  mail: Mailer;
  /** Counters and histograms for /metrics (served only when AGENTDESK_METRICS_TOKEN is set). */
  metrics: Metrics;
  /** A sensitive change needs a second factor passed within this long. */
  recentSecondFactorMs: number;
  /** Set when a graceful shutdown begins (SIGTERM): /api/v1/health answers 503 from then on. */
  lifecycle: { draining: boolean };
  /** Each identity provider's OpenID configuration, read from its discovery document and kept a while. */
  oidcProviders: ProviderConfigs;
}
