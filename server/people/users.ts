// The users list at scale: search (name, email), filters (2FA method kind, role, status), sort,
// pages with the total, and the compliance export that streams every matching user. Every sort
// and filter has an index led by account_id (store/migrations.ts), so a page is a range scan;
// method kinds are read from the users row's flags (second-factors/method-flags.ts).
import { PostgresAdapter, sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Database, UserStatus, UsersTable } from '../store/schema.js';
import { userLocks, type UserLock } from '../sessions/lockouts.js';
import { inRequirementScope } from '../enforcement/requirement-scope.js';
import { gracesOf, type GraceView } from '../enforcement/grace.js';

/** `none`: no method at all; `no_security_key`: no security key (who "security keys only" would sign out). */
export type TwoFactorFilter = 'none' | 'totp' | 'security_key' | 'no_security_key';
export type UserSort = 'name' | 'email' | 'lastSignIn' | 'created';

export interface UserFilters {
  q?: string | undefined;
  twoFactor?: TwoFactorFilter | undefined;
  role?: UsersTable['role'] | undefined;
  status?: UserStatus | undefined;
  /** Only users who have (true) or have not (false) a live session now. */
  signedIn?: boolean | undefined;
  /** Only users the 2FA requirement's scope holds (true) or leaves out (false): enforcement/requirement-scope.ts. */
  inScope?: boolean | undefined;
  /** Only members of this group. */
  groupId?: string | undefined;
  /** Only users a scope about to be saved would hold (comma-separated roles and group ids). */
  scopeRoles?: string | undefined;
  scopeGroupIds?: string | undefined;
}

/** The account's live sessions, as a `from` clause aliased `s` (index sessions_account). */
function liveSessions(accountId: string, now: number) {
  return sql`from sessions s where s.account_id = ${accountId} and s.revoked_at is null and s.expires_at > ${now}`;
}

const sortColumns = { name: 'u.name', email: 'u.email', lastSignIn: 'u.last_sign_in_at', created: 'u.created_at' } as const;

// `{}` is Kysely's own type for a query that selects nothing yet.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type UsersQuery = SelectQueryBuilder<Database & { u: UsersTable }, 'u', {}>;

function likePattern(q: string): string {
  return `%${q.trim().toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
}

/** An FTS5 phrase: the text in double quotes, its own double quotes doubled. */
function ftsPhrase(q: string): string {
  return `"${q.trim().replace(/"/g, '""')}"`;
}

/**
 * A substring of the name or the email, either case. On SQLite a query of three characters or
 * more is looked up in the trigram index users_search (each of its trigrams must match, so the
 * phrase finds exactly the substrings); shorter ones, and PostgreSQL (its pg_trgm indexes serve
 * LIKE), compare with LIKE.
 */
function matchesSearch(db: Kysely<Database>, q: string) {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  if (!postgres && [...q.trim()].length >= 3) {
    return sql<boolean>`u.rowid in (select rowid from users_search where users_search match ${ftsPhrase(q)})`;
  }
  const like = likePattern(q);
  // The escape character is named: PostgreSQL defaults to backslash, SQLite has none.
  return sql<boolean>`(u.email like ${like} escape '\\' or lower(u.name) like ${like} escape '\\')`;
}

export function filteredUsers(db: Kysely<Database>, accountId: string, filters: UserFilters): UsersQuery {
  let q = db.selectFrom('users as u').where('u.account_id', '=', accountId);
  if (filters.q && filters.q.trim()) q = q.where(matchesSearch(db, filters.q));
  if (filters.twoFactor === 'none') q = q.where('u.has_two_factor', '=', 0);
  else if (filters.twoFactor === 'no_security_key') q = q.where('u.has_security_key', '=', 0);
  else if (filters.twoFactor === 'totp') q = q.where('u.has_totp', '=', 1);
  else if (filters.twoFactor === 'security_key') q = q.where('u.has_security_key', '=', 1);
  if (filters.signedIn !== undefined) {
    const now = Date.now();
    // A group or a scope about to be saved narrows the users to a few thousand: each one's
    // sessions are probed (sessions_account holds what the probe reads). The whole account: its
    // live sessions are read once instead (SQLite lists them; probing 50,000 users costs more).
    // For a group of 10,000 among 100,000 the list alone cost SQLite 60-80 ms.
    const few = filters.groupId !== undefined || Boolean(filters.scopeGroupIds);
    if (few) {
      const live = sql<boolean>`exists (select 1 ${liveSessions(accountId, now)} and s.user_id = u.id)`;
      q = q.where(filters.signedIn ? live : sql<boolean>`not ${live}`);
    } else {
      const live = sql`(select s.user_id ${liveSessions(accountId, now)})`;
      q = q.where(filters.signedIn ? sql<boolean>`u.id in ${live}` : sql<boolean>`u.id not in ${live}`);
    }
  }
  if (filters.inScope !== undefined) {
    const inScope = inRequirementScope('u', { accountId });
    q = q.where(filters.inScope ? inScope : sql<boolean>`not ${inScope}`);
  }
  if (filters.scopeRoles !== undefined || filters.scopeGroupIds !== undefined) {
    const split = (v: string | undefined) => (v ? v.split(',') : []);
    const roles = split(filters.scopeRoles).filter((r): r is UsersTable['role'] => r === 'admin' || r === 'agent');
    q = q.where(inRequirementScope('u', { scope: { everyone: false, roles, groupIds: split(filters.scopeGroupIds) } }));
  }
  if (filters.groupId !== undefined) {
    const groupId = filters.groupId;
    q = q.where('u.id', 'in', (eb) => eb.selectFrom('group_members').select('user_id').where('group_id', '=', groupId));
  }
  if (filters.role) q = q.where('u.role', '=', filters.role);
  if (filters.status) q = q.where('u.status', '=', filters.status);
  return q;
}

const userColumns = ['u.id', 'u.name', 'u.email', 'u.role', 'u.status', 'u.has_two_factor', 'u.has_totp', 'u.has_security_key', 'u.created_at', 'u.last_sign_in_at', 'u.locked_until', 'u.language'] as const;

type UserRow = Pick<UsersTable, 'id' | 'name' | 'email' | 'role' | 'has_two_factor' | 'created_at' | 'locked_until'> & {
  has_totp?: number | undefined;
  has_security_key?: number | undefined;
  status?: UserStatus | undefined;
  last_sign_in_at?: number | null | undefined;
  language?: UsersTable['language'] | undefined;
};

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());

/** Which of these users have a live session now. */
async function signedInNow(db: Kysely<Database>, userIds: string[], now: number): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await db.selectFrom('sessions').select('user_id').distinct().where('user_id', 'in', userIds).where('revoked_at', 'is', null).where('expires_at', '>', now).execute();
  return new Set(rows.map((r) => r.user_id));
}

function listedUser(r: UserRow, now: number, signedIn?: boolean, lockouts: UserLock[] = [], grace?: GraceView | null) {
  const accountWide = r.locked_until !== null && Number(r.locked_until) > now ? iso(r.locked_until) : null;
  // Kept for older clients: the latest end of any lock on the user (ISO strings sort by time).
  const lockedUntil = lockouts.reduce<string | null>((latest, l) => (latest === null || l.until > latest ? l.until : latest), accountWide);
  const methodTypes = [...(r.has_totp === 1 ? ['totp' as const] : []), ...(r.has_security_key === 1 ? ['security_key' as const] : [])];
  return {
    id: r.id,
    name: r.name,
    email: r.email,
    role: r.role,
    status: r.status ?? 'active',
    twoFactorEnabled: r.has_two_factor === 1,
    methodTypes,
    /** Kept for older clients: how many kinds of method the user has set up. */
    methodCount: methodTypes.length,
    createdAt: iso(r.created_at)!,
    lastSignInAt: iso(r.last_sign_in_at),
    /** en, pt-PT, pt-BR or es; null follows the device. */
    language: r.language ?? null,
    lockedUntil,
    /** Every lock on the user now, whatever its key: an admin lifts them all (DELETE …/lockout). */
    lockouts: lockouts.map(({ kind, until, deviceId, address }) => ({ kind, until, ...(deviceId ? { deviceId } : {}), ...(address ? { address } : {}) })),
    ...(signedIn === undefined ? {} : { signedIn }),
    // Without a method: their grace to postpone enrolment (enforcement/grace.ts), if they have one.
    ...(grace === undefined ? {} : { grace }),
  };
}

export type ListedUser = ReturnType<typeof listedUser> & Partial<SingleSignOn>;

/** A user's single sign-on, for the list: the provider of their last SSO sign-in (and whether its MFA counts), and break-glass. */
interface SingleSignOn {
  lastSsoProvider: { id: string; name: string; trustMfa: boolean } | null;
  breakGlass: boolean;
}

/** One query for the page's users, by id (a removed provider shows as none). */
async function singleSignOnOf(db: Kysely<Database>, userIds: string[]): Promise<Map<string, SingleSignOn>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('users as u')
    .leftJoin('identity_providers as p', 'p.id', 'u.last_sso_provider_id')
    .select(['u.id', 'u.break_glass', 'p.id as provider_id', 'p.name as provider_name', 'p.trust_mfa'])
    .where('u.id', 'in', userIds)
    .execute();
  return new Map(
    rows.map((r) => [r.id, { lastSsoProvider: r.provider_id ? { id: r.provider_id, name: r.provider_name ?? '', trustMfa: r.trust_mfa === 1 } : null, breakGlass: r.break_glass === 1 }]),
  );
}

export async function listUsers(
  db: Kysely<Database>,
  accountId: string,
  options: UserFilters & { sort?: UserSort | undefined; descending?: boolean | undefined; limit: number; offset: number },
): Promise<{ users: ListedUser[]; total: number }> {
  const base = filteredUsers(db, accountId, options);
  const column = sortColumns[options.sort ?? 'name'];
  const direction = options.descending ? 'desc' : 'asc';
  const inListOrder = <Q extends SelectQueryBuilder<any, any, any>>(q: Q): Q =>
    (column === 'u.last_sign_in_at'
      ? q.orderBy(sql`u.last_sign_in_at ${sql.raw(direction)} ${sql.raw(direction === 'asc' ? 'nulls first' : 'nulls last')}`)
      : q.orderBy(column, direction)
    ).orderBy('u.id', direction) as Q;
  // The page's ids first, from the index alone, then their rows: skipping to a deep page
  // (offset 50,000) then reads index entries, not 50,000 rows (PostgreSQL: p50 72 → 25–36 ms).
  const pageIds = inListOrder(base.select('u.id')).limit(options.limit).offset(options.offset);
  const rowsQuery = inListOrder(db.selectFrom('users as u').select(userColumns).where('u.id', 'in', pageIds));
  const count = async () => Number((await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  let rows: Awaited<ReturnType<typeof rowsQuery.execute>>;
  let total: number;
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    // Two connections: the page and its count run side by side.
    [rows, total] = await Promise.all([rowsQuery.execute(), count()]);
  } else {
    // One connection, one query at a time: a page that is not full ends the list, and its total
    // is known without counting again (a search matching a few users is not looked for twice).
    rows = await rowsQuery.execute();
    total = rows.length < options.limit && (rows.length > 0 || options.offset === 0) ? options.offset + rows.length : await count();
  }
  const now = Date.now();
  const ids = rows.map((r) => r.id);
  // One query each for the page's users, by id: live sessions, locks, (without a method) grace, and single sign-on.
  const withoutMethod = rows.filter((r) => r.has_two_factor !== 1).map((r) => r.id);
  const [live, locks, graces, sso] = await Promise.all([signedInNow(db, ids, now), userLocks(db, ids, now), gracesOf(db, withoutMethod), singleSignOnOf(db, ids)]);
  return { users: rows.map((r) => ({ ...listedUser(r, now, live.has(r.id), locks.get(r.id), graces.get(r.id) ?? null), ...sso.get(r.id)! })), total };
}

/**
 * Every matching user, by name, in batches read by keyset (name, id) so that neither the
 * store nor the server holds more than one batch: the compliance export streams this.
 */
export async function* allUsers(db: Kysely<Database>, accountId: string, filters: UserFilters, batchSize = 1000): AsyncGenerator<ListedUser> {
  let after: { name: string; id: string } | undefined;
  for (;;) {
    let q = filteredUsers(db, accountId, filters).select(userColumns);
    if (after) {
      const { name, id } = after;
      // A row-value comparison: both stores seek the (account_id, name, id) index to it, where
      // `name > ? or (name = ? and id > ?)` made SQLite scan from the start on every batch.
      q = q.where((eb) => eb(eb.refTuple('u.name', 'u.id'), '>', eb.tuple(name, id)));
    }
    const rows = await q.orderBy('u.name').orderBy('u.id').limit(batchSize).execute();
    if (rows.length === 0) return;
    const now = Date.now();
    const locks = await userLocks(db, rows.map((r) => r.id), now);
    for (const r of rows) yield listedUser(r, now, undefined, locks.get(r.id));
    if (rows.length < batchSize) return;
    const last = rows[rows.length - 1]!;
    after = { name: last.name, id: last.id };
  }
}

/** A password step was accepted: the users list's "last sign-in". */
export async function recordSignIn(db: Kysely<Database>, userId: string, at = Date.now()): Promise<void> {
  await db.updateTable('users').set({ last_sign_in_at: at }).where('id', '=', userId).execute();
}
