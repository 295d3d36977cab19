// An admin signs one user, or everyone in the account but themselves, out everywhere (ASVS 5.0
// 7.4.5): every live session of theirs ends in one transaction with its audit entry, and each
// signed-in client is told at once (session.revoked, reason signed_out_by_admin). Nothing
// outside the admin's own account is touched; a user of another account is not found.
import type { Kysely } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.js';
import { DomainError } from '../errors.js';
import type { Database } from '../store/schema.js';
import type { SessionEvents } from './events.js';
import { Sessions } from './sessions.js';

export interface AdminSignOut {
  accountId: string;
  /** The admin doing it. */
  actorId: string;
  request?: RequestContext | undefined;
}

/** Ends every live session of one user of the admin's account. */
export async function signUserOutEverywhere(db: Kysely<Database>, events: SessionEvents, input: AdminSignOut & { userId: string }): Promise<{ revokedSessions: number }> {
  const sessionIds = await db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').select('id').where('id', '=', input.userId).where('account_id', '=', input.accountId).executeTakeFirst();
    if (!user) throw new DomainError('not_found', 'No such user in this account.');
    const now = Date.now();
    const rows = await Sessions.revokeInAccount(trx, { accountId: input.accountId, userId: user.id }, 'signed_out_by_admin', now);
    await recordAudit(trx, {
      accountId: input.accountId,
      actorId: input.actorId,
      subjectUserId: user.id,
      action: 'user.signed_out_everywhere',
      details: { revokedSessions: rows.length },
      at: now,
      request: input.request,
    });
    return rows.map((r) => r.id);
  });
  await events.publishRevoked(sessionIds, 'signed_out_by_admin');
  return { revokedSessions: sessionIds.length };
}

/** Ends every live session of every user of the admin's account except the admin's own. */
export async function signEveryoneElseOut(db: Kysely<Database>, events: SessionEvents, input: AdminSignOut): Promise<{ revokedSessions: number; signedOutUsers: number }> {
  const revoked = await db.transaction().execute(async (trx) => {
    const now = Date.now();
    const rows = await Sessions.revokeInAccount(trx, { accountId: input.accountId, exceptUserId: input.actorId }, 'signed_out_by_admin', now);
    const signedOutUsers = new Set(rows.map((r) => r.user_id)).size;
    await recordAudit(trx, {
      accountId: input.accountId,
      actorId: input.actorId,
      action: 'users.signed_out_everywhere',
      details: { signedOutUsers, revokedSessions: rows.length },
      at: now,
      request: input.request,
    });
    return { ids: rows.map((r) => r.id), signedOutUsers };
  });
  await events.publishRevoked(revoked.ids, 'signed_out_by_admin');
  return { revokedSessions: revoked.ids.length, signedOutUsers: revoked.signedOutUsers };
}
