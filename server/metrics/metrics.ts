// What the service tells its operators' Prometheus at /metrics (http/routes/metrics.ts): sign-ins
// and second steps by method and outcome, lock-outs, pushed sign-outs and how long after the
// revocation they left, open event streams, request latency, the audit outbox's depth and the
// PostgreSQL pool. One registry per server (prom-client's default registry is global: test
// servers in one process would count into each other). Counting is a few map lookups on paths
// that cost milliseconds; the outbox depth is one COUNT per scrape.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LimitName, Lockout } from '../sessions/throttling.js';
import type { RevocationReason } from '../sessions/events.js';

/** Which count a sign-in flow attempt belongs to (sessions/sign-in-flow.ts `Attempt.counted`). */
export type CountedAttempt = { step: 'sign_in'; method: 'password' | 'passkey' } | { step: 'second_step'; method: 'totp' | 'recovery_code' | 'security_key' };

/**
 * How an attempt ended: `failed` a wrong secret (counted against the limits), `locked` refused
 * before the secret was read because a limit is locked, `throttled` refused because too many were
 * in flight at once, `error` anything else (nothing counted against the user).
 */
export type AttemptOutcome = 'succeeded' | 'failed' | 'locked' | 'throttled' | 'error';

export interface PoolState {
  total: number;
  idle: number;
  waiting: number;
}

export interface MetricsSources {
  /** Event streams open on this instance. */
  openStreams(): number;
  /** PostgreSQL only: the connection pool's state. */
  pool?: (() => PoolState) | undefined;
  /** Audit entries waiting in the outbox for their stream's receiver (one COUNT, read at each scrape). */
  outboxDepth?: (() => Promise<number>) | undefined;
}

const OUTCOMES: readonly AttemptOutcome[] = ['succeeded', 'failed', 'locked', 'throttled', 'error'];
const METHODS = { sign_in: ['password', 'passkey'], second_step: ['totp', 'recovery_code', 'security_key'] } as const;

export class Metrics {
  readonly registry = new Registry();
  private readonly attempts: Record<CountedAttempt['step'], Counter<'method' | 'outcome'>>;
  private readonly lockouts: Counter<'kind'>;
  private readonly pushedSignOuts: Counter<'reason'>;
  private readonly pushDelay: Histogram;
  private readonly requests: Histogram<'route' | 'method' | 'status_class'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    this.attempts = {
      sign_in: new Counter({ name: 'agentdesk_sign_ins_total', help: 'First-step sign-in attempts (password, passkey) by method and outcome.', labelNames: ['method', 'outcome'], registers }),
      second_step: new Counter({ name: 'agentdesk_second_steps_total', help: 'Second-step attempts (and re-authentications) by method and outcome.', labelNames: ['method', 'outcome'], registers }),
    };
    // Every series from 0, so that rate() and alerts see the first failure.
    for (const step of ['sign_in', 'second_step'] as const) {
      for (const method of METHODS[step]) for (const outcome of OUTCOMES) this.attempts[step].labels(method, outcome).inc(0);
    }
    this.lockouts = new Counter({ name: 'agentdesk_lockouts_total', help: 'Lock-outs set, by the limit that locked (sessions/throttling.ts limitRules).', labelNames: ['kind'], registers });
    this.pushedSignOuts = new Counter({ name: 'agentdesk_pushed_sign_outs_total', help: 'session.revoked events written on an event stream, by reason.', labelNames: ['reason'], registers });
    this.pushDelay = new Histogram({
      name: 'agentdesk_pushed_sign_out_delay_seconds',
      help: 'From a revocation (committed, then published) to its session.revoked written on a stream, across instances too.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    new Gauge({
      name: 'agentdesk_event_streams_open',
      help: 'Event streams (GET /events) open on this instance.',
      registers,
      collect() {
        this.set(sources.openStreams());
      },
    });
    this.requests = new Histogram({
      name: 'agentdesk_http_request_duration_seconds',
      help: 'HTTP request latency by route pattern, method and status class (event streams excluded).',
      labelNames: ['route', 'method', 'status_class'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    const outboxDepth = sources.outboxDepth;
    if (outboxDepth) {
      new Gauge({
        name: 'agentdesk_audit_outbox_depth',
        help: 'Audit entries not yet delivered to their stream (rows of audit_outbox, all streams of all accounts).',
        registers,
        async collect() {
          this.set(await outboxDepth());
        },
      });
    }
    const pool = sources.pool;
    if (pool) {
      const gauge = (name: string, help: string, read: (s: PoolState) => number) =>
        new Gauge({
          name,
          help,
          registers,
          collect() {
            this.set(read(pool()));
          },
        });
      gauge('agentdesk_db_pool_connections', 'PostgreSQL connections open in the pool.', (s) => s.total);
      gauge('agentdesk_db_pool_idle_connections', 'PostgreSQL connections idle in the pool.', (s) => s.idle);
      gauge('agentdesk_db_pool_waiting_queries', 'Queries waiting for a pooled connection.', (s) => s.waiting);
    }
  }

  /** One attempt of the sign-in flow ended. */
  attempted(counted: CountedAttempt, outcome: AttemptOutcome): void {
    this.attempts[counted.step].labels(counted.method, outcome).inc();
  }

  lockedOut(lockouts: readonly Lockout[]): void {
    for (const lockout of lockouts) this.lockouts.labels(lockout.name satisfies LimitName).inc();
  }

  /** A `session.revoked` was written on a stream; `revokedAt` (ms) when the revocation was published. */
  signOutPushed(reason: RevocationReason, revokedAt: number | undefined): void {
    this.pushedSignOuts.labels(reason).inc();
    if (revokedAt !== undefined) this.pushDelay.observe(Math.max(0, Date.now() - revokedAt) / 1000);
  }

  /** `route` is the matched pattern (`/api/v1/users/:id`), never the raw URL: bounded label values. */
  requestAnswered(route: string | undefined, method: string, status: number, seconds: number): void {
    this.requests.labels(route ?? 'unmatched', method, `${Math.floor(status / 100)}xx`).observe(seconds);
  }

  /** The Prometheus text exposition. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
