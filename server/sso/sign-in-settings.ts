// SSO only, with named break-glass admins (PRODUCT.md "Enterprise sign-in"). With `sso_only` on,
// the local ways in (password, security key alone) refuse everyone but the account's break-glass
// admins with 403 sso_only; those admins keep password + second factor and are also exempt from
// the sign-in networks (sessions/sign-in-networks.ts). The rules that keep the account reachable:
//
//   - a break-glass admin is an active admin of the account with a second-factor method; at
//     least one is named while SSO only is on, and the account has an identity provider;
//   - saving never locks out the saving admin: SSO only is refused (409 sso_only_excludes_you)
//     unless the saver is a break-glass admin in this very save, or has signed in through one of
//     the account's identity providers (their last SSO sign-in's provider still exists);
//   - while SSO only is on, a change that would leave a break-glass admin without their way in
//     (deactivating, deleting or demoting them, removing their last method, resetting their 2FA)
//     is refused with 409 break_glass_admin: take them off the list first. The last identity
//     provider cannot be removed either (409 identity_provider_required).
import { sql, type Kysely, type Transaction } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.js';
import { DomainError } from '../errors.js';
import { hasNetworkRule } from '../sessions/sign-in-networks.js';
import type { Database } from '../store/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface SignInSettings {
  ssoOnly: boolean;
  breakGlassUserIds: string[];
}

/** At most this many break-glass admins (a handful is the point). */
export const MAX_BREAK_GLASS = 20;

export async function readSignInSettings(db: Db, accountId: string): Promise<SignInSettings> {
  const [account, admins] = await Promise.all([
    db.selectFrom('accounts').select('sso_only').where('id', '=', accountId).executeTakeFirstOrThrow(),
    db.selectFrom('users').select('id').where('account_id', '=', accountId).where('break_glass', '=', 1).orderBy('id').execute(),
  ]);
  return { ssoOnly: account.sso_only === 1, breakGlassUserIds: admins.map((a) => a.id) };
}

/**
 * Replaces the account's SSO-only switch and break-glass admins, checked and audited in one
 * transaction that holds the account row (a concurrent demotion or removal takes its turn).
 */
export async function saveSignInSettings(
  db: Kysely<Database>,
  input: { accountId: string; actorId: string; ssoOnly: boolean; breakGlassUserIds: readonly string[]; request: RequestContext },
): Promise<SignInSettings> {
  const ids = [...new Set(input.breakGlassUserIds)];
  if (ids.length > MAX_BREAK_GLASS) throw new DomainError('invalid_request', `At most ${MAX_BREAK_GLASS} break-glass admins.`);
  if (input.ssoOnly && ids.length === 0) throw new DomainError('break_glass_required');
  return db.transaction().execute(async (trx) => {
    await trx.updateTable('accounts').set({ sso_only: sql`sso_only` }).where('id', '=', input.accountId).execute();
    const before = await readSignInSettings(trx, input.accountId);
    const named = ids.length
      ? await trx.selectFrom('users').select(['id', 'role', 'status', 'has_two_factor']).where('account_id', '=', input.accountId).where('id', 'in', ids).execute()
      : [];
    // Another account's user is not found, the same as an unknown id.
    if (named.length !== ids.length || named.some((u) => u.role !== 'admin' || (u.status ?? 'active') !== 'active')) throw new DomainError('break_glass_invalid');
    if (named.some((u) => u.has_two_factor !== 1)) throw new DomainError('break_glass_method_required');
    if (input.ssoOnly) {
      const provider = await trx.selectFrom('identity_providers').select('id').where('account_id', '=', input.accountId).limit(1).executeTakeFirst();
      if (!provider) throw new DomainError('identity_provider_required');
      if (!ids.includes(input.actorId) && !(await signedInThroughProvider(trx, input.accountId, input.actorId))) throw new DomainError('sso_only_excludes_you');
    }
    await trx.updateTable('users').set({ break_glass: 0 }).where('account_id', '=', input.accountId).where('break_glass', '=', 1).execute();
    if (ids.length) await trx.updateTable('users').set({ break_glass: 1 }).where('account_id', '=', input.accountId).where('id', 'in', ids).execute();
    await trx.updateTable('accounts').set({ sso_only: input.ssoOnly ? 1 : 0 }).where('id', '=', input.accountId).execute();
    const after: SignInSettings = { ssoOnly: input.ssoOnly, breakGlassUserIds: [...ids].sort() };
    await recordAudit(trx, { accountId: input.accountId, actorId: input.actorId, action: 'account.sign_in_settings_changed', details: { before, after }, request: input.request });
    return after;
  });
}

/** Whether the user's last SSO sign-in went through a provider the account still has. */
async function signedInThroughProvider(db: Db, accountId: string, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('users as u')
    .innerJoin('identity_providers as p', 'p.id', 'u.last_sso_provider_id')
    .select('p.id')
    .where('u.id', '=', userId)
    .where('p.account_id', '=', accountId)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * What a local sign-in (password, security key alone) may do for this account and email, read
 * before any secret is checked: the account's networks and SSO-only switch, and whether the
 * email is a break-glass admin's. Unknown accounts and emails are simply not break-glass.
 */
export async function localSignInGate(db: Db, where: { slug: string; email?: string; userId?: string }) {
  const account = await db.selectFrom('accounts').select(['id', 'allowed_networks', 'sso_only']).where('slug', '=', where.slug).executeTakeFirst();
  if (!account) return { allowedNetworks: null, ssoOnly: false, breakGlass: false };
  // Only asked when it matters: an account with neither rule reads no user.
  const matters = account.sso_only === 1 || hasNetworkRule(account.allowed_networks);
  let breakGlass = false;
  if (matters && (where.email !== undefined || where.userId !== undefined)) {
    let query = db.selectFrom('users').select('id').where('account_id', '=', account.id).where('break_glass', '=', 1).where('role', '=', 'admin');
    query = where.userId !== undefined ? query.where('id', '=', where.userId) : query.where('email', '=', where.email!);
    breakGlass = (await query.executeTakeFirst()) !== undefined;
  }
  return { allowedNetworks: account.allowed_networks ?? null, ssoOnly: account.sso_only === 1, breakGlass };
}

/**
 * Under SSO only, a change that would take a break-glass admin's way in (deactivation, deletion,
 * demotion, their last method, a 2FA reset) is refused; otherwise a user who can no longer be
 * one is taken off the list. Runs in the change's transaction.
 */
export async function releaseBreakGlass(trx: Transaction<Database>, accountId: string, userId: string): Promise<void> {
  const row = await trx
    .selectFrom('users as u')
    .innerJoin('accounts as a', 'a.id', 'u.account_id')
    .select(['u.break_glass', 'a.sso_only'])
    .where('u.id', '=', userId)
    .where('u.account_id', '=', accountId)
    .executeTakeFirst();
  if (!row || row.break_glass !== 1) return;
  if (row.sso_only === 1) throw new DomainError('break_glass_admin');
  await trx.updateTable('users').set({ break_glass: 0 }).where('id', '=', userId).execute();
}

/** Under SSO only, the account's last identity provider stays (409 identity_provider_required). */
export async function keepAProviderUnderSsoOnly(trx: Transaction<Database>, accountId: string, removingId: string): Promise<void> {
  const account = await trx.updateTable('accounts').set({ sso_only: sql`sso_only` }).where('id', '=', accountId).returning('sso_only').executeTakeFirst();
  if (account?.sso_only !== 1) return;
  const other = await trx.selectFrom('identity_providers').select('id').where('account_id', '=', accountId).where('id', '!=', removingId).limit(1).executeTakeFirst();
  if (!other) throw new DomainError('identity_provider_required');
}
