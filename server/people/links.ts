// One-time links sent to a user (an invitation, a password reset): a random 256-bit token that
// only the link holds, stored as its SHA-256, single use (taken by deleting its row), expiring.
// A user has at most one live link of each purpose: sending a new one replaces the old.
import type { Kysely, Transaction } from 'kysely';
import { hashToken, newId, newToken } from '../crypto/tokens.js';
import type { Database, UserLinksTable } from '../store/schema.js';

type Db = Kysely<Database> | Transaction<Database>;
export type LinkPurpose = UserLinksTable['purpose'];

export const linkLifetimeMs: Record<LinkPurpose, number> = {
  invitation: 7 * 24 * 3_600_000,
  password_reset: 30 * 60_000,
};

/** The web console's screen for each purpose (renderer/src/routes.ts). */
const linkRoutes: Record<LinkPurpose, string> = { invitation: 'invitation', password_reset: 'reset-password' };

export function linkUrl(publicOrigin: string, purpose: LinkPurpose, token: string): string {
  return `${publicOrigin}/#/${linkRoutes[purpose]}?token=${token}`;
}

export interface IssuedLink {
  token: string;
  expiresAt: number;
}

/** Issues a new link for each user (replacing their previous one of that purpose). */
export async function issueLinks(
  db: Db,
  input: { accountId: string; userIds: string[]; purpose: LinkPurpose; createdBy: string | null; now?: number },
): Promise<Map<string, IssuedLink>> {
  const now = input.now ?? Date.now();
  const expiresAt = now + linkLifetimeMs[input.purpose];
  const issued = new Map<string, IssuedLink>();
  for (let i = 0; i < input.userIds.length; i += 500) {
    const batch = input.userIds.slice(i, i + 500);
    await db.deleteFrom('user_links').where('user_id', 'in', batch).where('purpose', '=', input.purpose).execute();
    const rows = batch.map((userId) => {
      const token = newToken();
      issued.set(userId, { token, expiresAt });
      return { id: newId(), account_id: input.accountId, user_id: userId, purpose: input.purpose, token_hash: hashToken(token), created_at: now, created_by: input.createdBy, expires_at: expiresAt };
    });
    // 9 columns a row: 500 rows stay under every driver's bound-parameter limit.
    await db.insertInto('user_links').values(rows).execute();
  }
  return issued;
}

/**
 * Takes a link: deletes its row and answers whom it was for, or undefined when the token is
 * unknown, used or expired. Inside the caller's transaction, so a failed change keeps the link;
 * two requests with the same token cannot both take it (the delete is the claim).
 */
export async function takeLink(db: Db, purpose: LinkPurpose, token: string, now = Date.now()) {
  const row = await db
    .deleteFrom('user_links')
    .where('token_hash', '=', hashToken(token))
    .where('purpose', '=', purpose)
    .returning(['user_id', 'account_id', 'expires_at'])
    .executeTakeFirst();
  if (!row || Number(row.expires_at) <= now) return undefined;
  return { userId: row.user_id, accountId: row.account_id };
}

/** Whom a live link is for, without taking it (to show the invitee whose invitation it is). */
export async function peekLink(db: Db, purpose: LinkPurpose, token: string, now = Date.now()) {
  const row = await db
    .selectFrom('user_links')
    .select(['user_id', 'account_id', 'expires_at'])
    .where('token_hash', '=', hashToken(token))
    .where('purpose', '=', purpose)
    .executeTakeFirst();
  if (!row || Number(row.expires_at) <= now) return undefined;
  return { userId: row.user_id, accountId: row.account_id, expiresAt: Number(row.expires_at) };
}

export async function revokeLinks(db: Db, userIds: string[], purpose?: LinkPurpose): Promise<number> {
  let q = db.deleteFrom('user_links').where('user_id', 'in', userIds);
  if (purpose) q = q.where('purpose', '=', purpose);
  const r = await q.executeTakeFirst();
  return Number(r.numDeletedRows);
}
