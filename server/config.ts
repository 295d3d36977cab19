// Server configuration, read once from the environment (or given directly by tests and the
// desktop app's embedded server). Every variable is documented in the README.
import { join } from 'node:path';
import { homedir } from 'node:os';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** PostgreSQL connection string; SQLite in `dataDir` when absent. */
  databaseUrl: string | undefined;
  /** The address users reach the server at; defaults to http://localhost:<port>. */
  publicUrl: string | undefined;
  /** WebAuthn relying party ID; defaults to the host name of publicUrl. */
  rpId: string | undefined;
  rpName: string;
  /** Origins accepted in clientDataJSON and in Origin headers; defaults to publicUrl's origin. */
  origins: string[] | undefined;
  /** 32-byte key (hex or base64) that encrypts second-factor secrets at rest. */
  secretKey: string | undefined;
  openSignup: boolean;
  /** Built renderer to serve as the web console; none when absent. */
  webRoot: string | undefined;
  logLevel: string;
  sessionIdleMinutes: number;
  sessionAbsoluteHours: number;
  /**
   * Which X-Forwarded-For hops to believe: false (none), a hop count (the proxies in front, the
   * right-most hops), or the proxies' addresses/CIDRs. Never the client's own left-most hop.
   */
  trustProxy: false | number | string[];
  /** smtp(s)://user:pass@host:port: where mail goes; none sent when absent (server/mail/). */
  smtpUrl: string | undefined;
  /** The From address of every message. */
  mailFrom: string | undefined;
  /** A file holding the secret key (kept outside the data directory); must be mode 0600. */
  secretKeyFile: string | undefined;
  /** A request's headers must arrive within this long. */
  headersTimeoutMs: number;
  /** A whole request (headers and body) must arrive within this long. */
  requestTimeoutMs: number;
  /** A kept-alive connection with no request in flight is closed after this long. */
  keepAliveTimeoutMs: number;
  /** A graceful shutdown (SIGTERM) waits this long for requests in flight, then closes what is left. */
  shutdownGraceMs: number;
  /** Open connections allowed from one client address (0: no limit; default 512, 0 behind a proxy). */
  maxConnectionsPerAddress: number;
  /**
   * Base URL of a Pwned Passwords range API (https://api.pwnedpasswords.com, or a mirror): a new
   * password's SHA-1 prefix is looked up there; none when absent (the local lists still apply).
   */
  pwnedPasswordsUrl: string | undefined;
  /** The bearer token Prometheus scrapes /metrics with; /metrics answers 404 when absent. */
  metricsToken: string | undefined;
  /**
   * Audit streams may target private, loopback and link-local addresses (a SIEM inside the
   * network; the tests). Off: such targets are refused (server-side request forgery).
   */
  auditStreamsAllowPrivateTargets: boolean;
  /** The longest wait between two attempts to deliver to a failing audit stream. */
  auditStreamsRetryMaxMs: number;
  /** One delivery attempt to an audit stream may take this long; a claim on a stream lasts 3 times as long. */
  auditStreamsTimeoutMs: number;
  /**
   * The roots an uploaded FIDO Metadata Service BLOB must chain to. Not read from the environment:
   * absent, the FIDO Alliance's (second-factors/fido-mds-roots.ts); tests give a root they made.
   */
  metadataServiceRoots?: readonly string[] | undefined;
}

const seconds = (v: string | undefined, fallback: number) => Math.round(Number(v ?? fallback) * 1000);

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const list = (v: string | undefined) => v?.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    host: env.HOST ?? '127.0.0.1',
    port: Number(env.PORT ?? 4800),
    dataDir: env.AGENTDESK_DATA_DIR ?? join(homedir(), '.agentdesk'),
    databaseUrl: env.DATABASE_URL || undefined,
    publicUrl: env.AGENTDESK_PUBLIC_URL || undefined,
    rpId: env.AGENTDESK_RP_ID || undefined,
    rpName: env.AGENTDESK_RP_NAME ?? 'AgentDesk',
    origins: list(env.AGENTDESK_ORIGINS),
    secretKey: env.AGENTDESK_SECRET_KEY || undefined,
    openSignup: env.AGENTDESK_OPEN_SIGNUP === '1',
    webRoot: env.AGENTDESK_WEB_ROOT || undefined,
    logLevel: env.LOG_LEVEL ?? 'info',
    sessionIdleMinutes: Number(env.AGENTDESK_SESSION_IDLE_MINUTES ?? 480),
    sessionAbsoluteHours: Number(env.AGENTDESK_SESSION_ABSOLUTE_HOURS ?? 24),
    trustProxy: parseTrustProxy(env.AGENTDESK_TRUST_PROXY),
    smtpUrl: env.AGENTDESK_SMTP_URL || undefined,
    mailFrom: env.AGENTDESK_MAIL_FROM || undefined,
    secretKeyFile: env.AGENTDESK_SECRET_KEY_FILE || undefined,
    headersTimeoutMs: seconds(env.AGENTDESK_HEADERS_TIMEOUT_SECONDS, 20),
    requestTimeoutMs: seconds(env.AGENTDESK_REQUEST_TIMEOUT_SECONDS, 30),
    keepAliveTimeoutMs: seconds(env.AGENTDESK_KEEP_ALIVE_TIMEOUT_SECONDS, 10),
    shutdownGraceMs: Number(env.AGENTDESK_SHUTDOWN_GRACE_MS ?? 10_000),
    // Behind a load balancer every connection comes from the balancer: no cap unless one is set
    // (the balancer limits each client instead).
    maxConnectionsPerAddress: Number(env.AGENTDESK_MAX_CONNECTIONS_PER_ADDRESS ?? (parseTrustProxy(env.AGENTDESK_TRUST_PROXY) === false ? 512 : 0)),
    pwnedPasswordsUrl: env.AGENTDESK_PWNED_PASSWORDS_URL || undefined,
    metricsToken: env.AGENTDESK_METRICS_TOKEN || undefined,
    auditStreamsAllowPrivateTargets: env.AGENTDESK_AUDIT_STREAMS_ALLOW_PRIVATE_TARGETS === '1',
    auditStreamsRetryMaxMs: seconds(env.AGENTDESK_AUDIT_STREAMS_RETRY_MAX_SECONDS, 300),
    auditStreamsTimeoutMs: seconds(env.AGENTDESK_AUDIT_STREAMS_TIMEOUT_SECONDS, 10),
  };
}

/** `AGENTDESK_TRUST_PROXY`: empty or 0 (none), a hop count (`1`: one load balancer), or addresses/CIDRs. */
export function parseTrustProxy(value: string | undefined): false | number | string[] {
  const v = value?.trim();
  if (!v || v === '0' || v === 'false') return false;
  if (/^\d+$/.test(v)) return Number(v);
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

export function defaultConfig(overrides: Partial<Config> = {}): Config {
  return { ...configFromEnv({}), ...overrides };
}
