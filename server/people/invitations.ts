// Invitations: an admin adds a user by name, email and role; the user is `invited` (no usable
// password) and gets a one-time link, valid 7 days, to choose their own password. Nobody else
// ever sets or sees it. Resending replaces the link; revoking removes it.
import type { Kysely, Transaction } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.js';
import { newId, newTimeOrderedId } from '../crypto/tokens.js';
import { DomainError } from '../errors.js';
import { mailLanguage, type Language } from '../mail/languages.js';
import type { MailMessage } from '../mail/mailer.js';
import type { Database, UsersTable } from '../store/schema.js';
import { issueLinks, linkUrl, peekLink, revokeLinks, takeLink } from './links.js';
import { hashPassword, NO_PASSWORD, type PasswordPolicy, type WarnLog } from './passwords.js';
import { normalizeEmail } from './accounts.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface Invitee {
  name: string;
  email: string;
  role: UsersTable['role'];
  /** The invitee's language, when the admin chose one; else null (their device's, once they sign in). */
  language?: Language | null | undefined;
}

export interface Inviter {
  accountId: string;
  accountName: string;
  actor: { id: string; name: string; email: string };
  publicOrigin: string;
  request?: RequestContext | undefined;
}

export interface SentInvitation {
  user: { id: string; name: string; email: string; role: UsersTable['role']; status: 'invited'; language: Language | null };
  expiresAt: number;
  link: string;
}

export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint/i.test(e?.message ?? '');
}

/** The invitation in the invitee's language; without one, in the inviter's (their request's), else English. */
export function invitationMail(inviter: Inviter, sent: SentInvitation): MailMessage {
  return {
    to: sent.user.email,
    language: mailLanguage(sent.user.language, inviter.request?.language),
    template: 'invitation',
    data: { accountName: inviter.accountName, userName: sent.user.name, invitedBy: inviter.actor.name, link: sent.link, expiresAt: new Date(sent.expiresAt) },
  };
}

/**
 * Creates invited users and their links inside the caller's transaction (one for a single
 * invitation, one for a whole bulk import: all rows or none). No password is hashed.
 */
export async function createInvitations(trx: Db, inviter: Inviter, invitees: Invitee[], options: { imported?: boolean } = {}): Promise<SentInvitation[]> {
  const now = Date.now();
  const users = invitees.map((i) => ({
    id: newId(),
    account_id: inviter.accountId,
    name: i.name.trim(),
    email: normalizeEmail(i.email),
    password_hash: NO_PASSWORD,
    role: i.role,
    has_two_factor: 0,
    created_at: now,
    status: 'invited' as const,
    language: i.language ?? null,
  }));
  for (let i = 0; i < users.length; i += 500) await trx.insertInto('users').values(users.slice(i, i + 500)).execute();
  const links = await issueLinks(trx, { accountId: inviter.accountId, userIds: users.map((u) => u.id), purpose: 'invitation', createdBy: inviter.actor.id, now });
  // One entry per user, written in batches: a bulk import of 10,000 rows is 20 inserts, not 10,000.
  const entries = users.map((u) => ({
    id: newTimeOrderedId(now),
    account_id: inviter.accountId,
    actor_id: inviter.actor.id,
    actor_name: inviter.actor.name,
    actor_email: inviter.actor.email,
    action: 'user.invited' as const,
    details: JSON.stringify({ userId: u.id, name: u.name, email: u.email, role: u.role, ...(u.language ? { language: u.language } : {}), ...(options.imported ? { imported: true } : {}) }),
    at: now,
    subject_user_id: u.id,
    subject_name: u.name,
    subject_email: u.email,
    address: inviter.request?.address ?? null,
    user_agent: inviter.request?.userAgent ?? null,
    device_id: inviter.request?.deviceId ?? null,
  }));
  for (let i = 0; i < entries.length; i += 400) await trx.insertInto('audit_events').values(entries.slice(i, i + 400)).execute();
  return users.map((u) => {
    const link = links.get(u.id)!;
    return {
      user: { id: u.id, name: u.name, email: u.email, role: u.role, status: 'invited' as const, language: u.language },
      expiresAt: link.expiresAt,
      link: linkUrl(inviter.publicOrigin, 'invitation', link.token),
    };
  });
}

export async function inviteUser(db: Kysely<Database>, inviter: Inviter, invitee: Invitee): Promise<SentInvitation> {
  try {
    return await db.transaction().execute(async (trx) => (await createInvitations(trx, inviter, [invitee]))[0]!);
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError('email_taken');
    throw error;
  }
}

/** A new link for a user who has not accepted yet; the previous link stops working. */
export async function resendInvitation(db: Kysely<Database>, inviter: Inviter, userId: string): Promise<SentInvitation> {
  return db.transaction().execute(async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select(['id', 'name', 'email', 'role', 'status', 'language'])
      .where('id', '=', userId)
      .where('account_id', '=', inviter.accountId)
      .executeTakeFirst();
    if (!user) throw new DomainError('not_found', 'No such user in this account.');
    if (user.status === 'deactivated') throw new DomainError('user_deactivated');
    if (user.status !== 'invited') throw new DomainError('not_invited');
    const link = (await issueLinks(trx, { accountId: inviter.accountId, userIds: [user.id], purpose: 'invitation', createdBy: inviter.actor.id })).get(user.id)!;
    await recordAudit(trx, {
      accountId: inviter.accountId,
      actorId: inviter.actor.id,
      action: 'user.invitation_resent',
      details: { userId: user.id, name: user.name, email: user.email },
      subjectUserId: user.id,
      request: inviter.request,
    });
    return {
      user: { id: user.id, name: user.name, email: user.email, role: user.role, status: 'invited' as const, language: user.language ?? null },
      expiresAt: link.expiresAt,
      link: linkUrl(inviter.publicOrigin, 'invitation', link.token),
    };
  });
}

export async function revokeInvitation(db: Kysely<Database>, inviter: Inviter, userId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select(['id', 'name', 'email', 'status'])
      .where('id', '=', userId)
      .where('account_id', '=', inviter.accountId)
      .executeTakeFirst();
    if (!user) throw new DomainError('not_found', 'No such user in this account.');
    if (user.status !== 'invited') throw new DomainError('not_invited');
    await revokeLinks(trx, [user.id], 'invitation');
    await recordAudit(trx, {
      accountId: inviter.accountId,
      actorId: inviter.actor.id,
      action: 'user.invitation_revoked',
      details: { userId: user.id, name: user.name, email: user.email },
      subjectUserId: user.id,
      request: inviter.request,
    });
  });
}

/** Whose invitation a token is (the accept screen shows it), or invalid_link. */
export async function describeInvitation(db: Kysely<Database>, token: string) {
  const link = await peekLink(db, 'invitation', token);
  if (!link) throw new DomainError('invalid_link');
  const row = await db
    .selectFrom('users as u')
    .innerJoin('accounts as a', 'a.id', 'u.account_id')
    .select(['u.name', 'u.email', 'u.status', 'a.name as account_name', 'a.slug'])
    .where('u.id', '=', link.userId)
    .executeTakeFirst();
  if (!row || row.status !== 'invited') throw new DomainError('invalid_link');
  return { user: { name: row.name, email: row.email }, account: { name: row.account_name, slug: row.slug }, expiresAt: new Date(link.expiresAt).toISOString() };
}

/**
 * The invitee chooses their password: the link is taken and the user becomes active in one
 * transaction. They then sign in as usual (and set up 2FA if the account requires it).
 */
export async function acceptInvitation(
  db: Kysely<Database>,
  passwords: PasswordPolicy,
  input: { token: string; password: string; request?: RequestContext | undefined; log?: WarnLog | undefined },
) {
  // Checked before the link is taken: a refused password leaves the invitation usable.
  const preview = await describeInvitation(db, input.token);
  await passwords.check(input.password, { email: preview.user.email, names: [preview.user.name, preview.account.name, preview.account.slug], log: input.log });
  const passwordHash = await hashPassword(input.password);
  return db.transaction().execute(async (trx) => {
    const link = await takeLink(trx, 'invitation', input.token);
    if (!link) throw new DomainError('invalid_link');
    const updated = await trx
      .updateTable('users')
      .set({ password_hash: passwordHash, status: 'active' })
      .where('id', '=', link.userId)
      .where('status', '=', 'invited')
      .returning(['id', 'name', 'email', 'role', 'language', 'account_id'])
      .executeTakeFirst();
    if (!updated) throw new DomainError('invalid_link');
    await recordAudit(trx, {
      accountId: updated.account_id,
      actorId: updated.id,
      action: 'user.invitation_accepted',
      details: { userId: updated.id, name: updated.name, email: updated.email },
      request: input.request,
    });
    return { user: { id: updated.id, name: updated.name, email: updated.email, role: updated.role, language: updated.language ?? null }, account: preview.account };
  });
}
