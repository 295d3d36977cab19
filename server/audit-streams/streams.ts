// An account's audit streams, as admins manage them: add (a webhook's secret answered once and
// kept sealed with the server key, as TOTP secrets are), list with each one's delivery state,
// remove. Adding and removing are audited; every entry written after a stream is added is
// queued for it (outbox.ts), earlier ones are not (the CSV export covers the past).
import type { AuditStream } from '../../contract/answers.js';
import type { Kysely } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { newId } from '../crypto/tokens.js';
import { DomainError } from '../errors.js';
import type { AuditStreamsTable, Database } from '../store/schema.js';
import { checkResolvedName, parseTarget, type StreamType, type TargetPolicy } from './targets.js';
import { newWebhookSecret } from './webhook.js';

export const MAX_STREAMS_PER_ACCOUNT = 5;
/** A stream that has failed this long is flagged to admins (and keeps its queue: nothing dropped). */
export const FAILING_AFTER_MS = 24 * 3_600_000;

/** A stream as admins see it: the contract's answer. */
export type StreamView = AuditStream;

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

function streamView(row: AuditStreamsTable, pending: number, now: number): StreamView {
  const failingSince = row.failing_since === null ? null : Number(row.failing_since);
  return {
    id: row.id,
    type: row.type,
    url: row.url,
    createdAt: iso(row.created_at)!,
    lastDeliveredAt: iso(row.last_delivered_at),
    lastError: row.last_error,
    lastErrorAt: iso(row.last_error_at),
    failingSince: iso(failingSince),
    failing: failingSince !== null && now - failingSince >= FAILING_AFTER_MS,
    nextAttemptAt: iso(row.next_attempt_at),
    pending,
  };
}

export async function listStreams(db: Kysely<Database>, accountId: string): Promise<StreamView[]> {
  const rows = await db.selectFrom('audit_streams').selectAll().where('account_id', '=', accountId).orderBy('created_at').orderBy('id').execute();
  if (rows.length === 0) return [];
  const counts = await db
    .selectFrom('audit_outbox')
    .select(['stream_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('stream_id', 'in', rows.map((r) => r.id))
    .groupBy('stream_id')
    .execute();
  const pending = new Map(counts.map((c) => [c.stream_id, Number(c.n)]));
  const now = Date.now();
  return rows.map((r) => streamView(r, pending.get(r.id) ?? 0, now));
}

/** What the audit keeps of a target: no query string (it may hold a token). */
function shownTarget(url: URL): string {
  return `${url.protocol}//${url.host}${url.protocol.startsWith('http') ? url.pathname : ''}`;
}

export async function addStream(
  db: Kysely<Database>,
  box: SecretBox,
  policy: TargetPolicy,
  input: { accountId: string; actorId: string; type: StreamType; url: string; request: RequestContext },
): Promise<StreamView & { secret?: string }> {
  const url = parseTarget(input.type, input.url, policy);
  await checkResolvedName(url, policy);
  const secret = input.type === 'webhook' ? newWebhookSecret() : undefined;
  const id = newId();
  const now = Date.now();
  await db.transaction().execute(async (trx) => {
    const count = await trx.selectFrom('audit_streams').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', input.accountId).executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_STREAMS_PER_ACCOUNT) throw new DomainError('audit_stream_limit');
    await trx
      .insertInto('audit_streams')
      .values({
        id,
        account_id: input.accountId,
        type: input.type,
        url: url.href,
        secret: secret === undefined ? null : box.seal(secret),
        created_at: now,
        created_by: input.actorId,
        last_delivered_at: null,
        last_error: null,
        last_error_at: null,
        failing_since: null,
        attempts: 0,
        next_attempt_at: null,
        lease_owner: null,
        lease_until: null,
      })
      .execute();
    // Written after the insert: the entry that says where the log now goes is its first event.
    await recordAudit(trx, {
      accountId: input.accountId,
      actorId: input.actorId,
      action: 'audit_stream.added',
      details: { streamId: id, type: input.type, target: shownTarget(url) },
      request: input.request,
    });
  });
  const row = await db.selectFrom('audit_streams').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  // Pending: its own `audit_stream.added` entry.
  const view = streamView(row, 1, now);
  return secret === undefined ? view : { ...view, secret };
}

export async function removeStream(
  db: Kysely<Database>,
  input: { accountId: string; actorId: string; streamId: string; request: RequestContext },
): Promise<{ removed: true; pending: number }> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('audit_streams').select(['id', 'type', 'url']).where('id', '=', input.streamId).where('account_id', '=', input.accountId).executeTakeFirst();
    if (!row) throw new DomainError('not_found');
    const pending = await trx.selectFrom('audit_outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('stream_id', '=', row.id).executeTakeFirstOrThrow();
    await trx.deleteFrom('audit_outbox').where('stream_id', '=', row.id).execute();
    await trx.deleteFrom('audit_streams').where('id', '=', row.id).execute();
    // Recorded after the delete, so it goes to the account's other streams, not the removed one.
    await recordAudit(trx, {
      accountId: input.accountId,
      actorId: input.actorId,
      action: 'audit_stream.removed',
      details: { streamId: row.id, type: row.type, target: shownTarget(new URL(row.url)), undelivered: Number(pending.n) },
      request: input.request,
    });
    return { removed: true as const, pending: Number(pending.n) };
  });
}
