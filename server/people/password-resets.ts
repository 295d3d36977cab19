// Changing and resetting passwords. A user changes theirs with the current password (and a
// recent second factor when they have a method: routes/people.ts), which ends their other
// sessions. A forgotten password is reset by a one-time link, valid 30 minutes, that the user
// asks for (the answer is the same whether or not the email exists) or an admin sends. Using
// it ends every session and never skips the second step: the user then signs in as usual.
import { endRemembrances } from '../sessions/remembered-devices.js';
import type { Kysely } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.js';
import { DomainError } from '../errors.js';
import { mailLanguage } from '../mail/languages.js';
import type { MailMessage } from '../mail/mailer.js';
import type { SessionEvents } from '../sessions/events.js';
import { Sessions } from '../sessions/sessions.js';
import { countOtherSessions } from '../sessions/other-sessions.js';
import type { Database } from '../store/schema.js';
import { normalizeEmail } from './accounts.js';
import { issueLinks, linkUrl, peekLink, takeLink } from './links.js';
import { hashPassword, verifyPassword, type PasswordPolicy, type WarnLog } from './passwords.js';
import { notify } from '../notifications/security-activity.js';

interface ResetTarget {
  id: string;
  name: string;
  email: string;
  account_id: string;
  account_name: string;
  language?: string | null;
}

/** In the user's language; without one, in the language of the request that asked for it, else English. */
function resetMail(target: ResetTarget, link: string, expiresAt: number, sentByAdmin: boolean, request: RequestContext | undefined): MailMessage {
  return { to: target.email, language: mailLanguage(target.language, request?.language), template: 'password_reset', data: { accountName: target.account_name, userName: target.name, link, expiresAt: new Date(expiresAt), sentByAdmin } };
}

/**
 * A user asks for a reset link. Answers the message to send, or undefined when there is no such
 * active user; the caller answers 202 either way. The token is drawn and hashed on both paths,
 * so the two differ only by one insert.
 */
export async function requestPasswordReset(db: Kysely<Database>, input: { account: string; email: string; publicOrigin: string; request?: RequestContext | undefined }): Promise<MailMessage | undefined> {
  const target = await db
    .selectFrom('users as u')
    .innerJoin('accounts as a', 'a.id', 'u.account_id')
    .select(['u.id', 'u.name', 'u.email', 'u.account_id', 'u.status', 'u.language', 'a.name as account_name'])
    .where('a.slug', '=', input.account.toLowerCase())
    .where('u.email', '=', normalizeEmail(input.email))
    .executeTakeFirst();
  if (!target || target.status !== 'active') return undefined;
  const link = await db.transaction().execute(async (trx) => {
    const issued = (await issueLinks(trx, { accountId: target.account_id, userIds: [target.id], purpose: 'password_reset', createdBy: null })).get(target.id)!;
    await recordAudit(trx, { accountId: target.account_id, actorId: target.id, action: 'user.password_reset_sent', details: { userId: target.id, email: target.email, by: 'user' }, request: input.request });
    return issued;
  });
  return resetMail(target, linkUrl(input.publicOrigin, 'password_reset', link.token), link.expiresAt, false, input.request);
}

/** An admin sends a user a reset link (by mail, or the admin hands it over without mail). */
export async function sendPasswordReset(db: Kysely<Database>, input: { accountId: string; actorId: string; userId: string; publicOrigin: string; request?: RequestContext | undefined }) {
  return db.transaction().execute(async (trx) => {
    const target = await trx
      .selectFrom('users as u')
      .innerJoin('accounts as a', 'a.id', 'u.account_id')
      .select(['u.id', 'u.name', 'u.email', 'u.account_id', 'u.status', 'u.language', 'a.name as account_name'])
      .where('u.id', '=', input.userId)
      .where('u.account_id', '=', input.accountId)
      .executeTakeFirst();
    if (!target) throw new DomainError('not_found', 'No such user in this account.');
    if (target.status === 'deactivated') throw new DomainError('user_deactivated');
    if (target.status === 'invited') throw new DomainError('invalid_request', 'This user has not accepted their invitation yet: resend the invitation instead.');
    const issued = (await issueLinks(trx, { accountId: target.account_id, userIds: [target.id], purpose: 'password_reset', createdBy: input.actorId })).get(target.id)!;
    await recordAudit(trx, { accountId: target.account_id, actorId: input.actorId, subjectUserId: target.id, action: 'user.password_reset_sent', details: { userId: target.id, name: target.name, email: target.email, by: 'admin' }, request: input.request });
    const link = linkUrl(input.publicOrigin, 'password_reset', issued.token);
    return { link, expiresAt: issued.expiresAt, mail: resetMail(target, link, issued.expiresAt, true, input.request) };
  });
}

/** The new password from a reset link: every session of the user ends. */
export async function completePasswordReset(
  db: Kysely<Database>,
  events: SessionEvents,
  passwords: PasswordPolicy,
  input: { token: string; newPassword: string; request?: RequestContext | undefined; log?: WarnLog | undefined },
) {
  const preview = await peekLink(db, 'password_reset', input.token);
  if (!preview) throw new DomainError('invalid_link');
  const owner = await db
    .selectFrom('users as u')
    .innerJoin('accounts as a', 'a.id', 'u.account_id')
    .select(['u.name', 'u.email', 'u.status', 'a.name as account_name', 'a.slug'])
    .where('u.id', '=', preview.userId)
    .executeTakeFirst();
  if (!owner || owner.status !== 'active') throw new DomainError('invalid_link');
  await passwords.check(input.newPassword, { email: owner.email, names: [owner.name, owner.account_name, owner.slug], log: input.log });
  const passwordHash = await hashPassword(input.newPassword);
  const result = await db.transaction().execute(async (trx) => {
    const link = await takeLink(trx, 'password_reset', input.token);
    if (!link) throw new DomainError('invalid_link');
    const user = await trx
      .updateTable('users')
      .set({ password_hash: passwordHash })
      .where('id', '=', link.userId)
      .where('status', '=', 'active')
      .returning(['id', 'email', 'account_id'])
      .executeTakeFirst();
    if (!user) throw new DomainError('invalid_link');
    const sessionIds = await Sessions.revokeUsersSessions(trx, [user.id], 'password_changed');
    await endRemembrances(trx, { userId: user.id, accountId: user.account_id, actorId: user.id, reason: 'password_reset', request: input.request });
    await recordAudit(trx, { accountId: user.account_id, actorId: user.id, action: 'user.password_reset', details: { userId: user.id, email: user.email, revokedSessions: sessionIds.length }, request: input.request });
    await notify(trx, { accountId: user.account_id, userId: user.id, kind: 'password_changed', details: { byResetLink: true }, request: input.request });
    const account = await trx.selectFrom('accounts').select('slug').where('id', '=', user.account_id).executeTakeFirstOrThrow();
    return { sessionIds, account: account.slug, email: user.email };
  });
  await events.publishRevoked(result.sessionIds, 'password_changed');
  return { account: result.account, email: result.email, revokedSessions: result.sessionIds.length };
}

/** The signed-in user changes their password; their other sessions end. */
export async function changePassword(
  db: Kysely<Database>,
  events: SessionEvents,
  passwords: PasswordPolicy,
  input: { userId: string; accountId: string; sessionId: string; currentPassword: string; newPassword: string; request?: RequestContext | undefined; log?: WarnLog | undefined },
) {
  const user = await db
    .selectFrom('users as u')
    .innerJoin('accounts as a', 'a.id', 'u.account_id')
    .select(['u.id', 'u.name', 'u.email', 'u.password_hash', 'a.name as account_name', 'a.slug'])
    .where('u.id', '=', input.userId)
    .executeTakeFirstOrThrow();
  if (!(await verifyPassword(user.password_hash, input.currentPassword))) throw new DomainError('current_password_incorrect');
  await passwords.check(input.newPassword, { email: user.email, names: [user.name, user.account_name, user.slug], log: input.log });
  if (input.newPassword === input.currentPassword) throw new DomainError('invalid_request', 'Choose a password different from your current one.');
  const passwordHash = await hashPassword(input.newPassword);
  const now = Date.now();
  const sessionIds = await db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', user.id).execute();
    // Every other session of the user ends; this one goes on.
    const ids = await Sessions.revokeOtherSessions(trx, { userId: user.id, exceptId: input.sessionId }, 'password_changed', now);
    await endRemembrances(trx, { userId: user.id, accountId: input.accountId, actorId: user.id, reason: 'password_changed', request: input.request });
    await trx.deleteFrom('user_links').where('user_id', '=', user.id).where('purpose', '=', 'password_reset').execute();
    await recordAudit(trx, { accountId: input.accountId, actorId: user.id, action: 'user.password_changed', details: { userId: user.id, email: user.email, revokedSessions: ids.length }, request: input.request });
    await notify(trx, { accountId: input.accountId, userId: user.id, kind: 'password_changed', request: input.request });
    return ids;
  });
  await events.publishRevoked(sessionIds, 'password_changed');
  // Every other session already ended above; the count says so (and catches one opened since).
  return { revokedSessions: sessionIds.length, otherSessions: await countOtherSessions(db, { userId: user.id, exceptSessionId: input.sessionId }) };
}
