// Delivers each stream's outbox, on every instance. A stream is delivered by one instance at a
// time: it is claimed with a conditional UPDATE (a lease that runs out if the instance dies), so
// of several instances on one database exactly one sends a given batch. Within the lease the
// oldest entries go first, a batch at a time; a batch's rows are deleted only after the receiver
// took it, so a crash or a lost lease means the batch is sent again (at least once), never lost.
// A failed batch is retried after an exponential back-off with jitter; the stream keeps its
// queue however long it fails, and admins see it failing (streams.ts).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { auditEntries } from '../audit/audit.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { AuditStreamsTable, Database } from '../store/schema.js';
import { sendBatch } from './syslog.js';
import type { TargetPolicy } from './targets.js';
import { postBatch } from './webhook.js';

export interface DeliveryOptions {
  pollMs: number;
  batchSize: number;
  /** Longer than a batch can take (timeoutMs): a live claimant never loses its lease mid-batch. */
  leaseMs: number;
  timeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Batches one stream sends per claim before letting the next poll (and other instances) in. */
  batchesPerClaim: number;
}

export const defaultDeliveryOptions: DeliveryOptions = {
  pollMs: 250,
  batchSize: 100,
  leaseMs: 60_000,
  timeoutMs: 10_000,
  retryBaseMs: 1_000,
  retryMaxMs: 300_000,
  batchesPerClaim: 50,
};

const SWEEP_EVERY_MS = 60_000;

/** Equal jitter: half the exponential delay, plus up to as much again at random. */
export function retryDelay(attempts: number, options: Pick<DeliveryOptions, 'retryBaseMs' | 'retryMaxMs'>, random = Math.random): number {
  const delay = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.min(attempts - 1, 30));
  return Math.round(delay / 2 + (random() * delay) / 2);
}

export class AuditStreamDelivery {
  /** This instance, as the owner of the leases it takes (its host and process id, for operators). */
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID()}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private sweptAt = 0;
  private readonly options: DeliveryOptions;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly box: SecretBox,
    private readonly policy: TargetPolicy,
    private readonly log: FastifyBaseLogger,
    options: Partial<DeliveryOptions> = {},
  ) {
    this.options = { ...defaultDeliveryOptions, ...options };
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over the streams that are due; a pass still running is joined, not doubled. */
  flush(): Promise<void> {
    this.running ??= this.deliverDue()
      .catch((error: unknown) => this.log.warn({ err: error }, 'audit streams: delivery pass failed'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async deliverDue(): Promise<void> {
    const now = Date.now();
    if (now - this.sweptAt > SWEEP_EVERY_MS) {
      this.sweptAt = now;
      // Rows of a stream removed (or an account deleted) while an entry was being written.
      await this.db
        .deleteFrom('audit_outbox')
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('audit_streams as s').select('s.id').whereRef('s.id', '=', 'audit_outbox.stream_id'))))
        .execute();
    }
    const due = await this.db
      .selectFrom('audit_streams as s')
      .select('s.id')
      .where((eb) => eb.or([eb('s.next_attempt_at', 'is', null), eb('s.next_attempt_at', '<=', now)]))
      .where((eb) => eb.or([eb('s.lease_until', 'is', null), eb('s.lease_until', '<', now)]))
      .where((eb) => eb.exists(eb.selectFrom('audit_outbox as o').select('o.event_id').whereRef('o.stream_id', '=', 's.id')))
      .limit(50)
      .execute();
    await Promise.all(due.map((s) => this.deliverStream(s.id)));
  }

  /** Takes the stream's lease if it is free and the stream is due: true when this instance has it. */
  private async claim(streamId: string): Promise<boolean> {
    const now = Date.now();
    const claimed = await this.db
      .updateTable('audit_streams')
      .set({ lease_owner: this.owner, lease_until: now + this.options.leaseMs })
      .where('id', '=', streamId)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
      .executeTakeFirst();
    return Number(claimed.numUpdatedRows) === 1;
  }

  private async deliverStream(streamId: string): Promise<void> {
    if (!(await this.claim(streamId))) return;
    try {
      for (let n = 0; n < this.options.batchesPerClaim && !this.stopped; n++) {
        const stream = await this.db.selectFrom('audit_streams').selectAll().where('id', '=', streamId).where('lease_owner', '=', this.owner).executeTakeFirst();
        if (!stream) return;
        const queued = await this.db
          .selectFrom('audit_outbox')
          .select('event_id')
          .where('stream_id', '=', streamId)
          .orderBy('event_id')
          .limit(this.options.batchSize)
          .execute();
        if (queued.length === 0) return;
        const ids = queued.map((q) => q.event_id);
        // An entry no longer in the log (its account deleted) is dropped from the queue unsent.
        const events = (await auditEntries(this.db, stream.account_id, ids)).map((e) => ({ ...e, accountId: stream.account_id }));
        try {
          if (events.length > 0) await this.send(stream, events);
        } catch (error) {
          await this.failed(stream, error as Error);
          return;
        }
        if (!(await this.delivered(stream, ids))) return;
        if (queued.length < this.options.batchSize) return;
      }
    } finally {
      await this.db.updateTable('audit_streams').set({ lease_owner: null, lease_until: null }).where('id', '=', streamId).where('lease_owner', '=', this.owner).execute();
    }
  }

  private send(stream: AuditStreamsTable, events: Parameters<typeof sendBatch>[1]): Promise<void> {
    const url = new URL(stream.url);
    if (stream.type === 'syslog') return sendBatch(url, events, this.policy, this.options.timeoutMs);
    return postBatch(url, this.box.open(stream.secret!), events, this.policy, this.options.timeoutMs);
  }

  /** Deletes the delivered rows, if this instance still holds the lease: false when it lost it. */
  private async delivered(stream: AuditStreamsTable, ids: string[]): Promise<boolean> {
    const now = Date.now();
    return this.db.transaction().execute(async (trx) => {
      const kept = await trx
        .updateTable('audit_streams')
        .set({ last_delivered_at: now, attempts: 0, failing_since: null, next_attempt_at: null, lease_until: now + this.options.leaseMs })
        .where('id', '=', stream.id)
        .where('lease_owner', '=', this.owner)
        .executeTakeFirst();
      if (Number(kept.numUpdatedRows) !== 1) return false;
      await trx.deleteFrom('audit_outbox').where('stream_id', '=', stream.id).where('event_id', 'in', ids).execute();
      return true;
    });
  }

  private async failed(stream: AuditStreamsTable, error: Error): Promise<void> {
    const now = Date.now();
    const attempts = Number(stream.attempts) + 1;
    const message = (error.message || String(error)).replace(/\s+/g, ' ').slice(0, 300);
    await this.db
      .updateTable('audit_streams')
      .set((eb) => ({
        attempts,
        last_error: message,
        last_error_at: now,
        failing_since: eb.fn.coalesce('failing_since', eb.val(now)),
        next_attempt_at: now + retryDelay(attempts, this.options),
      }))
      .where('id', '=', stream.id)
      .where('lease_owner', '=', this.owner)
      .execute();
    this.log.warn({ streamId: stream.id, attempts, error: message }, 'audit streams: delivery failed, will retry');
  }
}
