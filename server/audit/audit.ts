// The audit log: who changed what, when, from where (address, device, user agent), and whom it
// signed out. Written inside the same transaction as the change it records.
import { languageOfAcceptLanguage, type Language } from '../mail/languages.js';
import type { FastifyRequest } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import { newTimeOrderedId } from '../crypto/tokens.js';
import { addToOutbox } from '../audit-streams/outbox.js';
import { preparedStatement } from '../store/prepared.js';
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
  | 'security_key.counter_regression'
  | 'sign_in.succeeded'
  | 'sign_in.enrollment_required'
  | 'sign_in.failed'
  | 'sign_in.locked_out'
  | 'user.lockout_lifted'
  | 'session.ended'
  | 'user.signed_out_everywhere'
  | 'users.signed_out_everywhere'
  | 'enrollment_code.issued'
  | 'enrollment_code.redeemed'
  | 'enrollment_code.refused'
  | 'security_activity.not_me'
  | 'security_alert.resolved'
  | 'user.invited'
  | 'user.invitation_resent'
  | 'user.invitation_revoked'
  | 'user.invitation_accepted'
  | 'user.role_changed'
  | 'user.deactivated'
  | 'user.reactivated'
  | 'user.deleted'
  | 'user.password_changed'
  | 'session.password_confirmed'
  | 'user.password_reset_sent'
  | 'user.language_changed'
  | 'user.password_reset'
  | 'users.imported'
  | 'sign_in.sso'
  | 'sign_in.sso_refused'
  | 'identity_provider.added'
  | 'identity_provider.updated'
  | 'identity_provider.removed'
  | 'identity_provider.tested'
  | 'audit_stream.added'
  | 'audit_stream.removed'
  | 'account.network_policy_changed'
  | 'account.sign_in_settings_changed'
  | 'account.session_policy_changed'
  | 'account.security_key_policy_changed'
  | 'device.declared'
  | 'device.remembered'
  | 'device.forgotten'
  | 'scim_token.created'
  | 'scim_token.revoked'
  | 'user.updated'
  | 'group.created'
  | 'group.renamed'
  | 'group.deleted'
  | 'group.members_changed'
  | 'enrollment.postponed'
  | 'user.grace_extended'
  | 'user.grace_ended';

export const AUDIT_ACTIONS: readonly AuditAction[] = [
  'account.created',
  'security_settings.updated',
  'user.created',
  'user.two_factor_reset',
  'method.added',
  'method.renamed',
  'method.removed',
  'recovery_codes.regenerated',
  'recovery_code.used',
  'security_key.counter_regression',
  'sign_in.succeeded',
  'sign_in.enrollment_required',
  'sign_in.failed',
  'sign_in.locked_out',
  'user.lockout_lifted',
  'session.ended',
  'user.signed_out_everywhere',
  'users.signed_out_everywhere',
  'enrollment_code.issued',
  'enrollment_code.redeemed',
  'enrollment_code.refused',
  'security_activity.not_me',
  'security_alert.resolved',
  'user.invited',
  'user.invitation_resent',
  'user.invitation_revoked',
  'user.invitation_accepted',
  'user.role_changed',
  'user.deactivated',
  'user.reactivated',
  'user.deleted',
  'user.password_changed',
  'session.password_confirmed',
  'user.password_reset_sent',
  'user.language_changed',
  'user.password_reset',
  'users.imported',
  'sign_in.sso',
  'sign_in.sso_refused',
  'identity_provider.added',
  'identity_provider.updated',
  'identity_provider.removed',
  'identity_provider.tested',
  'audit_stream.added',
  'audit_stream.removed',
  'account.network_policy_changed',
  'account.sign_in_settings_changed',
  'account.session_policy_changed',
  'account.security_key_policy_changed',
  'device.declared',
  'device.remembered',
  'device.forgotten',
  'scim_token.created',
  'scim_token.revoked',
  'user.updated',
  'group.created',
  'group.renamed',
  'group.deleted',
  'group.members_changed',
  'enrollment.postponed',
  'user.grace_extended',
  'user.grace_ended',
];

/** Where a change came from. */
export interface RequestContext {
  address: string | null;
  userAgent: string | null;
  deviceId: string | null;
  /** The language the request is in: its signed-in user's, else its Accept-Language's (one of ours).
   * A mail it causes to a user who has no language of their own is in it. */
  language?: Language | null;
}

/** The request context of a Fastify request: its client address, user agent, session's device and language. */
export function requestContext(request: FastifyRequest): RequestContext {
  const session = request.auth?.session as { device_id?: string | null } | undefined;
  const user = request.auth?.user as { language?: Language | null } | undefined;
  return {
    address: request.ip ?? null,
    userAgent: request.headers['user-agent']?.slice(0, 300) ?? null,
    deviceId: session?.device_id ?? null,
    language: user?.language ?? languageOfAcceptLanguage(request.headers['accept-language']),
  };
}

/** A person as an audit entry names them: as they were when it was written. */
export interface AuditPerson {
  name: string;
  email: string;
}

type EntryRow = {
  id: string;
  accountId: string;
  actorId: string | null;
  actorName: string | null;
  actorEmail: string | null;
  action: string;
  details: string;
  at: number;
  subjectUserId: string | null;
  subjectName: string | null;
  subjectEmail: string | null;
  address: string | null;
  userAgent: string | null;
  deviceId: string | null;
};

/**
 * One entry, compiled once (every sign-in writes one: store/prepared.ts). Who, as given, or else
 * as they are now: read in the same statement, so an entry costs no extra round trip.
 */
const insertEntry = preparedStatement(
  ['id', 'accountId', 'actorId', 'actorName', 'actorEmail', 'action', 'details', 'at', 'subjectUserId', 'subjectName', 'subjectEmail', 'address', 'userAgent', 'deviceId'],
  (db: Kysely<Database>, a: EntryRow) =>
    db
      .insertInto('audit_events')
      .values((eb) => {
        const person = (given: string | null, id: string | null, column: 'name' | 'email') =>
          eb.fn.coalesce(eb.val(given), eb.selectFrom('users').select(column).where('id', '=', id));
        return {
          id: a.id,
          account_id: a.accountId,
          actor_id: a.actorId,
          actor_name: person(a.actorName, a.actorId, 'name'),
          actor_email: person(a.actorEmail, a.actorId, 'email'),
          action: a.action,
          details: a.details,
          at: a.at,
          subject_user_id: a.subjectUserId,
          subject_name: person(a.subjectName, a.subjectUserId, 'name'),
          subject_email: person(a.subjectEmail, a.subjectUserId, 'email'),
          address: a.address,
          user_agent: a.userAgent,
          device_id: a.deviceId,
        };
      })
      .compile(),
);

export async function recordAudit(
  db: Kysely<Database> | Transaction<Database>,
  entry: {
    accountId: string;
    actorId: string | null;
    action: AuditAction;
    details: Record<string, unknown>;
    at?: number;
    /** The user the entry is about, when not the actor. */
    subjectUserId?: string | null;
    /** Name and email to keep for the actor or subject when their users row is gone or about to
     * change (a deleted user, a deployment day's admin); otherwise read from users by id here. */
    actor?: AuditPerson | undefined;
    subject?: AuditPerson | undefined;
    request?: RequestContext | undefined;
  },
): Promise<void> {
  // The entry and its outbox rows are written together or not at all (audit-streams/).
  if (!db.isTransaction) return db.transaction().execute((trx) => recordAudit(trx, entry));
  const at = entry.at ?? Date.now();
  const subjectUserId = entry.subjectUserId ?? null;
  const id = newTimeOrderedId(at);
  await insertEntry(db, {
    id,
    accountId: entry.accountId,
    actorId: entry.actorId,
    actorName: entry.actor?.name ?? null,
    actorEmail: entry.actor?.email ?? null,
    action: entry.action,
    details: JSON.stringify(entry.details),
    at,
    subjectUserId,
    subjectName: entry.subject?.name ?? null,
    subjectEmail: entry.subject?.email ?? null,
    address: entry.request?.address ?? null,
    userAgent: entry.request?.userAgent ?? null,
    deviceId: entry.request?.deviceId ?? null,
  });
  await addToOutbox(db, entry.accountId, id, at);
}

export interface AuditFilter {
  /** Entries by this user or about them. */
  userId?: string | undefined;
  action?: string | undefined;
  /** Milliseconds, inclusive. */
  from?: number | undefined;
  /** Milliseconds, exclusive. */
  to?: number | undefined;
}

function filtered(db: Kysely<Database>, accountId: string, filter: AuditFilter) {
  // Names and emails come from the entry itself, never from users: a deleted or renamed user's
  // entries still say who it was at the time.
  let query = db
    .selectFrom('audit_events as e')
    .select([
      'e.id',
      'e.at',
      'e.action',
      'e.details',
      'e.actor_id',
      'e.subject_user_id',
      'e.address',
      'e.user_agent',
      'e.device_id',
      'e.actor_name',
      'e.actor_email',
      'e.subject_name',
      'e.subject_email',
    ])
    .where('e.account_id', '=', accountId);
  if (filter.userId) {
    const userId = filter.userId;
    query = query.where((eb) => eb.or([eb('e.actor_id', '=', userId), eb('e.subject_user_id', '=', userId)]));
  }
  if (filter.action) query = query.where('e.action', '=', filter.action);
  if (filter.from !== undefined) query = query.where('e.at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('e.at', '<', filter.to);
  return query;
}

type Row = Awaited<ReturnType<ReturnType<typeof filtered>['execute']>>[number];

export type AuditEventView = ReturnType<typeof eventView>;

function eventView(r: Row) {
  return {
    id: r.id,
    at: new Date(Number(r.at)).toISOString(),
    actor: r.actor_id ? { id: r.actor_id, name: r.actor_name ?? '', email: r.actor_email ?? '' } : null,
    subject: r.subject_user_id ? { id: r.subject_user_id, name: r.subject_name ?? '', email: r.subject_email ?? '' } : null,
    action: r.action,
    details: JSON.parse(r.details) as Record<string, unknown>,
    address: r.address,
    userAgent: r.user_agent,
    deviceId: r.device_id,
  };
}

/** These entries of the account, oldest first, as the log shows them (what audit streams send). */
export async function auditEntries(db: Kysely<Database>, accountId: string, ids: string[]): Promise<AuditEventView[]> {
  if (ids.length === 0) return [];
  const rows = await filtered(db, accountId, {}).where('e.id', 'in', ids).orderBy('e.id').execute();
  return rows.map(eventView);
}

export async function listAudit(
  db: Kysely<Database>,
  accountId: string,
  options: AuditFilter & { limit: number; before?: string | undefined },
) {
  let query = filtered(db, accountId, options).orderBy('e.id', 'desc').limit(options.limit + 1);
  if (options.before) query = query.where('e.id', '<', options.before);
  const rows = await query.execute();
  const page = rows.slice(0, options.limit);
  return {
    events: page.map(eventView),
    nextCursor: rows.length > options.limit ? page[page.length - 1]!.id : null,
  };
}

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  // A leading =, +, - or @ would be a formula in a spreadsheet (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const CSV_COLUMNS = ['time', 'action', 'actor', 'actor_email', 'user', 'user_email', 'address', 'device', 'user_agent', 'details'];

/** The filtered log as CSV, newest first, written in pages so a long log never sits in memory whole. */
export async function* auditCsv(db: Kysely<Database>, accountId: string, filter: AuditFilter): AsyncGenerator<string> {
  yield `${CSV_COLUMNS.join(',')}\r\n`;
  let before: string | undefined;
  for (;;) {
    let query = filtered(db, accountId, filter).orderBy('e.id', 'desc').limit(1000);
    if (before) query = query.where('e.id', '<', before);
    const rows = await query.execute();
    if (rows.length === 0) return;
    let chunk = '';
    for (const r of rows) {
      const e = eventView(r);
      chunk += `${[e.at, e.action, e.actor?.name, e.actor?.email, e.subject?.name, e.subject?.email, e.address, e.deviceId, e.userAgent, JSON.stringify(e.details)]
        .map(csvCell)
        .join(',')}\r\n`;
    }
    yield chunk;
    if (rows.length < 1000) return;
    before = rows[rows.length - 1]!.id;
  }
}
