// Security activity: each user is told what changed on their account (a method added or
// removed, recovery codes regenerated, 2FA reset by an admin, the password changed, a sign-in
// from a new device), in the app and by email where mail is configured. A notification is
// written in the same transaction as the change it reports, so there is never a change without
// one. "This wasn't me" ends every session of the user and alerts the account's admins.
import { endRemembrances } from '../sessions/remembered-devices.js';
import type { Kysely, Transaction } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.js';
import { newTimeOrderedId } from '../crypto/tokens.js';
import { DomainError } from '../errors.js';
import type { SessionEvents } from '../sessions/events.js';
import { Sessions } from '../sessions/sessions.js';
import type { Database } from '../store/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export type SecurityActivityKind =
  | 'method_added'
  | 'method_removed'
  | 'recovery_codes_regenerated'
  | 'two_factor_reset'
  | 'password_changed'
  | 'new_device_sign_in'
  | 'enrollment_code_redeemed';

export async function notify(
  trx: Db,
  input: {
    accountId: string;
    userId: string;
    kind: SecurityActivityKind;
    details?: Record<string, unknown>;
    request?: RequestContext | undefined;
    at?: number;
  },
): Promise<string> {
  const at = input.at ?? Date.now();
  const id = newTimeOrderedId(at);
  await trx
    .insertInto('security_notifications')
    .values({
      id,
      account_id: input.accountId,
      user_id: input.userId,
      kind: input.kind,
      details: JSON.stringify(input.details ?? {}),
      address: input.request?.address ?? null,
      user_agent: input.request?.userAgent ?? null,
      language: input.request?.language ?? null,
      created_at: at,
      read_at: null,
      not_me_at: null,
      alert_resolved_at: null,
      alert_resolved_by: null,
      mailed_at: null,
    })
    .execute();
  return id;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(Number(ms)).toISOString();
}

type Row = Database['security_notifications'];

export function activityView(r: Row) {
  return {
    id: r.id,
    kind: r.kind as SecurityActivityKind,
    at: iso(r.created_at)!,
    details: JSON.parse(r.details) as Record<string, unknown>,
    address: r.address,
    userAgent: r.user_agent,
    read: r.read_at !== null,
    notMeAt: iso(r.not_me_at),
  };
}

export async function listActivity(db: Kysely<Database>, userId: string, options: { limit: number; before?: string | undefined }) {
  let query = db.selectFrom('security_notifications').selectAll().where('user_id', '=', userId).orderBy('id', 'desc').limit(options.limit + 1);
  if (options.before) query = query.where('id', '<', options.before);
  const rows = await query.execute();
  const page = rows.slice(0, options.limit);
  const unread = await db
    .selectFrom('security_notifications')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .executeTakeFirstOrThrow();
  return {
    activity: page.map(activityView),
    unread: Number(unread.n),
    nextCursor: rows.length > options.limit ? page[page.length - 1]!.id : null,
  };
}

/** Marks one notification (or, without an id, all of them) read; another user's id is not found. */
export async function markRead(db: Kysely<Database>, userId: string, id?: string): Promise<number> {
  let query = db.updateTable('security_notifications').set({ read_at: Date.now() }).where('user_id', '=', userId).where('read_at', 'is', null);
  if (id) {
    const exists = await db.selectFrom('security_notifications').select('id').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    if (!exists) throw new DomainError('not_found', 'No such security activity.');
    query = query.where('id', '=', id);
  }
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * "This wasn't me": in one transaction the notification is marked, every session of the user
 * is revoked (reason `not_me`), and the admins' alert and an audit entry are recorded; the
 * revoked sessions' streams are told after the commit. Answering twice changes nothing more.
 */
export async function reportNotMe(
  db: Kysely<Database>,
  events: SessionEvents,
  input: { accountId: string; userId: string; notificationId: string; request?: RequestContext | undefined },
) {
  const result = await db.transaction().execute(async (trx) => {
    const now = Date.now();
    const marked = await trx
      .updateTable('security_notifications')
      .set({ not_me_at: now, read_at: now })
      .where('id', '=', input.notificationId)
      .where('user_id', '=', input.userId)
      .where('not_me_at', 'is', null)
      .returning(['kind', 'details'])
      .executeTakeFirst();
    if (!marked) {
      const exists = await trx.selectFrom('security_notifications').select('id').where('id', '=', input.notificationId).where('user_id', '=', input.userId).executeTakeFirst();
      if (!exists) throw new DomainError('not_found', 'No such security activity.');
      return { sessionIds: [] as string[], already: true };
    }
    const sessionIds = await Sessions.revokeUsersSessions(trx, [input.userId], 'not_me', now);
    await endRemembrances(trx, { userId: input.userId, accountId: input.accountId, actorId: input.userId, reason: 'not_me', request: input.request });
    await recordAudit(trx, {
      accountId: input.accountId,
      actorId: input.userId,
      subjectUserId: input.userId,
      action: 'security_activity.not_me',
      details: { notificationId: input.notificationId, kind: marked.kind, revokedSessions: sessionIds.length },
      at: now,
      request: input.request,
    });
    return { sessionIds, already: false };
  });
  await events.publishRevoked(result.sessionIds, 'not_me');
  return { revokedSessions: result.sessionIds.length, alreadyReported: result.already };
}

/** "This wasn't me" answers the admins have not resolved yet, newest first. */
export async function openAlerts(db: Kysely<Database>, accountId: string) {
  const rows = await db
    .selectFrom('security_notifications as n')
    .innerJoin('users as u', 'u.id', 'n.user_id')
    .selectAll('n')
    .select(['u.name as user_name', 'u.email as user_email'])
    .where('n.account_id', '=', accountId)
    .where('n.not_me_at', 'is not', null)
    .where('n.alert_resolved_at', 'is', null)
    .orderBy('n.not_me_at', 'desc')
    .limit(200)
    .execute();
  return rows.map((r) => ({ ...activityView(r), user: { id: r.user_id, name: r.user_name, email: r.user_email } }));
}

export async function resolveAlert(db: Kysely<Database>, input: { accountId: string; actorId: string; notificationId: string; request?: RequestContext | undefined }) {
  await db.transaction().execute(async (trx) => {
    const now = Date.now();
    const resolved = await trx
      .updateTable('security_notifications')
      .set({ alert_resolved_at: now, alert_resolved_by: input.actorId })
      .where('id', '=', input.notificationId)
      .where('account_id', '=', input.accountId)
      .where('not_me_at', 'is not', null)
      .where('alert_resolved_at', 'is', null)
      .returning(['user_id', 'kind'])
      .executeTakeFirst();
    if (!resolved) throw new DomainError('not_found', 'No such open alert.');
    await recordAudit(trx, {
      accountId: input.accountId,
      actorId: input.actorId,
      subjectUserId: resolved.user_id,
      action: 'security_alert.resolved',
      details: { notificationId: input.notificationId, kind: resolved.kind },
      at: now,
      request: input.request,
    });
  });
}
