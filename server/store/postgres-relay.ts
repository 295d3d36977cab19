// Carries `session.revoked` between server instances on one PostgreSQL database with
// LISTEN/NOTIFY: no extra service. The instance that revokes sends the notification first, then
// delivers to its own streams while the others deliver to theirs (SessionEvents.publishRevoked);
// every other instance delivers to the streams it holds. Each notification names its sender, so
// an instance skips its own.
//
// A NOTIFY payload must stay under 8000 bytes, so a large revocation (an enforcement save over
// 100,000 agents) is split into chunks of session ids, all sent by one statement in one
// transaction (PostgreSQL delivers them in order, together, on commit).
//
// The listening connection is a dedicated client (LISTEN does not survive a pooled connection).
// When it drops, the relay reconnects with back-off, and on reconnecting it looks up which of
// the streams held here belong to sessions revoked meanwhile, so a missed notification is not a
// missed sign-out.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { sql, type Kysely } from 'kysely';
import { REVOCATION_REASONS, type AccountUpdate, type RevocationReason, type RevocationRelay, type SessionEvents } from '../sessions/events.js';
import type { Database } from './schema.js';

export const REVOCATION_CHANNEL = 'agentdesk_session_revoked';
/** `account.updated` (an admin saved the security settings): `{i, a: accountId, d: update}`. */
export const ACCOUNT_CHANNEL = 'agentdesk_account_updated';
/** PostgreSQL refuses payloads of 8000 bytes or more; ids are ASCII, so length = bytes. */
const MAX_PAYLOAD = 7900;
const REASONS: ReadonlySet<string> = new Set<RevocationReason>(REVOCATION_REASONS);

interface Payload {
  /** Sending instance. */
  i: string;
  r: RevocationReason;
  /** Session ids, space-separated. */
  s: string;
  /** When the sender published the revocation (ms), for the push delay in /metrics; absent from older senders. */
  t?: number;
}

/** Splits ids into notification payloads below the size limit. */
export function revocationPayloads(instanceId: string, sessionIds: string[], reason: RevocationReason, maxPayload = MAX_PAYLOAD, revokedAt?: number): string[] {
  const envelope = JSON.stringify({ i: instanceId, r: reason, s: '', t: revokedAt } satisfies Payload).length;
  const room = maxPayload - envelope;
  const out: string[] = [];
  let chunk: string[] = [];
  let size = 0;
  for (const id of sessionIds) {
    const cost = id.length + (chunk.length ? 1 : 0);
    if (chunk.length && size + cost > room) {
      out.push(JSON.stringify({ i: instanceId, r: reason, s: chunk.join(' '), t: revokedAt } satisfies Payload));
      chunk = [];
      size = 0;
    }
    size += id.length + (chunk.length ? 1 : 0);
    chunk.push(id);
  }
  if (chunk.length) out.push(JSON.stringify({ i: instanceId, r: reason, s: chunk.join(' '), t: revokedAt } satisfies Payload));
  return out;
}

export interface RelayLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class PostgresRelay implements RevocationRelay {
  readonly instanceId = randomUUID();
  private client: pg.Client | undefined;
  private closed = false;
  private retryMs = 100;
  private retryTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  /** Counts for tests and health: notifications received from other instances. */
  received = 0;

  constructor(
    private readonly options: {
      databaseUrl: string;
      db: Kysely<Database>;
      events: SessionEvents;
      log?: RelayLog | undefined;
    },
  ) {}

  /** Connects and listens; resolves once LISTEN is in place (so no revocation is missed after). */
  async start(log?: RelayLog): Promise<void> {
    if (log) this.options.log = log;
    await this.connect(false);
  }

  /** Backend process id of the listening connection (for tests and diagnostics). */
  get listenerPid(): number | undefined {
    return (this.client as (pg.Client & { processID?: number }) | undefined)?.processID;
  }

  async publish(sessionIds: string[], reason: RevocationReason, revokedAt?: number): Promise<void> {
    if (sessionIds.length === 0) return;
    const payloads = revocationPayloads(this.instanceId, sessionIds, reason, MAX_PAYLOAD, revokedAt);
    // One round trip however many chunks: pg_notify once per element of the array.
    await sql`select pg_notify(${REVOCATION_CHANNEL}, p) from unnest(${payloads}::text[]) as p`.execute(this.options.db);
  }

  async publishAccountUpdated(accountId: string, update: AccountUpdate): Promise<void> {
    const payload = JSON.stringify({ i: this.instanceId, a: accountId, d: { requireTwoFactor: update.requireTwoFactor } });
    await sql`select pg_notify(${ACCOUNT_CHANNEL}, ${payload})`.execute(this.options.db);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await this.connecting?.catch(() => {});
    await client?.end().catch(() => {});
  }

  private connect(catchUp: boolean): Promise<void> {
    const attempt = (async () => {
      const client = new pg.Client({ connectionString: this.options.databaseUrl, keepAlive: true });
      client.on('notification', (message) => this.onNotification(message));
      client.on('error', (error) => this.lost(client, error));
      client.on('end', () => this.lost(client, undefined));
      try {
        await client.connect();
        await client.query(`listen ${REVOCATION_CHANNEL}`);
        await client.query(`listen ${ACCOUNT_CHANNEL}`);
      } catch (error) {
        client.removeAllListeners('end');
        client.removeAllListeners('error');
        client.on('error', () => {});
        await client.end().catch(() => {});
        throw error;
      }
      if (this.closed) {
        await client.end().catch(() => {});
        return;
      }
      this.client = client;
      this.retryMs = 100;
      if (catchUp) {
        await this.catchUp().catch((error: unknown) => this.options.log?.warn({ err: error }, 'revocation relay: catch-up after reconnect failed'));
      }
    })();
    this.connecting = attempt;
    return attempt.finally(() => {
      if (this.connecting === attempt) this.connecting = undefined;
    });
  }

  private lost(client: pg.Client, error: Error | undefined): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners('notification');
    if (this.closed) return;
    this.options.log?.warn({ err: error }, 'revocation relay: lost the LISTEN connection; reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 5_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect(true).then(
        () => this.options.log?.info({}, 'revocation relay: listening again'),
        (error: unknown) => {
          this.options.log?.warn({ err: error }, 'revocation relay: reconnect failed');
          this.scheduleReconnect();
        },
      );
    }, delay);
    this.retryTimer.unref();
  }

  /** After a gap: tell the streams held here whose sessions were revoked meanwhile. */
  private async catchUp(): Promise<void> {
    const held = [...this.options.events.sessionIds()];
    for (let i = 0; i < held.length; i += 500) {
      const rows = await this.options.db
        .selectFrom('sessions')
        .select(['id', 'revoked_reason', 'revoked_at'])
        .where('id', 'in', held.slice(i, i + 500))
        .where('revoked_at', 'is not', null)
        .execute();
      for (const row of rows) {
        const reason = REASONS.has(row.revoked_reason ?? '') ? (row.revoked_reason as RevocationReason) : 'signed_out';
        this.options.events.deliver([row.id], reason, row.revoked_at ?? undefined);
      }
    }
  }

  private onNotification(message: pg.Notification): void {
    if (message.channel === ACCOUNT_CHANNEL) return this.onAccountUpdated(message.payload);
    if (message.channel !== REVOCATION_CHANNEL || !message.payload) return;
    let payload: Payload;
    try {
      payload = JSON.parse(message.payload) as Payload;
    } catch {
      return;
    }
    if (payload.i === this.instanceId || !REASONS.has(payload.r) || typeof payload.s !== 'string') return;
    this.received += 1;
    this.options.events.deliver(payload.s.split(' '), payload.r, typeof payload.t === 'number' ? payload.t : undefined);
  }

  private onAccountUpdated(raw: string | undefined): void {
    let payload: { i?: unknown; a?: unknown; d?: { requireTwoFactor?: unknown } };
    try {
      payload = JSON.parse(raw ?? '') as typeof payload;
    } catch {
      return;
    }
    if (payload.i === this.instanceId || typeof payload.a !== 'string' || typeof payload.d?.requireTwoFactor !== 'boolean') return;
    this.received += 1;
    this.options.events.deliverAccountUpdated(payload.a, { requireTwoFactor: payload.d.requireTwoFactor });
  }
}
