// The audit log: who changed what, when, and whom it signed out. Written inside the same
// transaction as the change it records.
import type { Kysely, Transaction } from 'kysely';
import { newTimeOrderedId } from '../crypto/tokens.js';
import type { Database } from '../store/schema.js';

export type AuditAction =
  | 'account.created'
  | 'security_settings.updated'
  | 'user.created'
  | 'user.two_factor_reset'
  | 'method.added'
  | 'method.renamed'
  | 'method.removed'
  | 'recovery_codes.regenerated'
  | 'recovery_code.used'
  | 'security_key.counter_regression';

export async function recordAudit(
  db: Kysely<Database> | Transaction<Database>,
  entry: { accountId: string; actorId: string | null; action: AuditAction; details: Record<string, unknown>; at?: number },
): Promise<void> {
  const at = entry.at ?? Date.now();
  await db
    .insertInto('audit_events')
    .values({
      id: newTimeOrderedId(at),
      account_id: entry.accountId,
      actor_id: entry.actorId,
      action: entry.action,
      details: JSON.stringify(entry.details),
      at,
    })
    .execute();
}

export async function listAudit(
  db: Kysely<Database>,
  accountId: string,
  options: { limit: number; before?: string | undefined },
) {
  let query = db
    .selectFrom('audit_events as e')
    .leftJoin('users as u', 'u.id', 'e.actor_id')
    .select(['e.id', 'e.at', 'e.action', 'e.details', 'e.actor_id', 'u.name as actor_name', 'u.email as actor_email'])
    .where('e.account_id', '=', accountId)
    .orderBy('e.id', 'desc')
    .limit(options.limit + 1);
  if (options.before) query = query.where('e.id', '<', options.before);
  const rows = await query.execute();
  const page = rows.slice(0, options.limit);
  return {
    events: page.map((r) => ({
      id: r.id,
      at: new Date(Number(r.at)).toISOString(),
      actor: r.actor_id ? { id: r.actor_id, name: r.actor_name ?? '', email: r.actor_email ?? '' } : null,
      action: r.action,
      details: JSON.parse(r.details) as Record<string, unknown>,
    })),
    nextCursor: rows.length > options.limit ? page[page.length - 1]!.id : null,
  };
}
