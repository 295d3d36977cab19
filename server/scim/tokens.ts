// SCIM provisioning tokens (PRODUCT.md "Enterprise sign-in"): an admin creates one per identity
// provider; the token (256 random bits) is answered once and stored only as its SHA-256, like a
// session token, so a leaked database row provisions nobody. Listed with when it was last used,
// revocable at once. Creating and revoking are audited; so is every change made with one, as
// the token's (scim/actor.ts).
import type { Kysely } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.js';
import { hashToken, newId, newToken } from '../crypto/tokens.js';
import { DomainError } from '../errors.js';
import type { ScimToken } from '../../contract/answers.js';
import type { Database, ScimTokensTable } from '../store/schema.js';

/** The prefix tells a SCIM token from a session token at a glance (and to secret scanners). */
const PREFIX = 'scim_';
/** Revoked tokens stay listed (with when); live ones are capped so a list stays readable. */
const MAX_LIVE_TOKENS = 20;
/** `last_used_at` is written at most this often per token: provisioning runs in bursts. */
const LAST_USED_RESOLUTION_MS = 60_000;

type ScimTokenView = ScimToken;

/** The caller of /scim/v2: the account the token belongs to, and the token by name (the audit's actor). */
export interface ScimCaller {
  accountId: string;
  tokenId: string;
  tokenName: string;
}

function view(row: ScimTokensTable): ScimTokenView {
  const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());
  return { id: row.id, name: row.name, createdAt: iso(row.created_at)!, lastUsedAt: iso(row.last_used_at), revokedAt: iso(row.revoked_at) };
}

export async function listScimTokens(db: Kysely<Database>, accountId: string): Promise<ScimTokenView[]> {
  const rows = await db.selectFrom('scim_tokens').selectAll().where('account_id', '=', accountId).orderBy('created_at', 'desc').orderBy('id').execute();
  return rows.map(view);
}

export async function createScimToken(
  db: Kysely<Database>,
  input: { accountId: string; actorId: string; name: string; request: RequestContext },
): Promise<ScimTokenView & { token: string }> {
  const token = PREFIX + newToken();
  const row: ScimTokensTable = { id: newId(), account_id: input.accountId, name: input.name.trim(), token_hash: hashToken(token), created_at: Date.now(), created_by: input.actorId, last_used_at: null, revoked_at: null };
  await db.transaction().execute(async (trx) => {
    const live = await trx.selectFrom('scim_tokens').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', input.accountId).where('revoked_at', 'is', null).executeTakeFirstOrThrow();
    if (Number(live.n) >= MAX_LIVE_TOKENS) throw new DomainError('scim_token_limit');
    await trx.insertInto('scim_tokens').values(row).execute();
    await recordAudit(trx, { accountId: input.accountId, actorId: input.actorId, action: 'scim_token.created', details: { tokenId: row.id, name: row.name }, request: input.request });
  });
  return { ...view(row), token };
}

export async function revokeScimToken(
  db: Kysely<Database>,
  input: { accountId: string; actorId: string; tokenId: string; request: RequestContext },
): Promise<ScimTokenView> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('scim_tokens').selectAll().where('id', '=', input.tokenId).where('account_id', '=', input.accountId).executeTakeFirst();
    if (!row) throw new DomainError('not_found');
    if (row.revoked_at !== null) return view(row);
    const revokedAt = Date.now();
    await trx.updateTable('scim_tokens').set({ revoked_at: revokedAt }).where('id', '=', row.id).execute();
    await recordAudit(trx, { accountId: input.accountId, actorId: input.actorId, action: 'scim_token.revoked', details: { tokenId: row.id, name: row.name }, request: input.request });
    return view({ ...row, revoked_at: revokedAt });
  });
}

/** The live token's caller, or undefined (unknown, revoked, or not a SCIM token at all). */
export async function authenticateScimToken(db: Kysely<Database>, token: string, now = Date.now()): Promise<ScimCaller | undefined> {
  if (!token.startsWith(PREFIX)) return undefined;
  const row = await db
    .selectFrom('scim_tokens')
    .select(['id', 'account_id', 'name', 'last_used_at'])
    .where('token_hash', '=', hashToken(token))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.last_used_at === null || Number(row.last_used_at) < now - LAST_USED_RESOLUTION_MS) {
    await db.updateTable('scim_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  return { accountId: row.account_id, tokenId: row.id, tokenName: row.name };
}
