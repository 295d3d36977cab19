// The users list at scale: search (name, email), filters (2FA method kind, role, status), sort,
// pages with the total, and the compliance export that streams every matching user. Every sort
// has an index led by account_id (store/migrations.ts), so a page is a range scan.
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Database, UserStatus, UsersTable } from '../store/schema.js';

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
}

function hasLiveSession(now: number) {
  return sql<boolean>`exists (select 1 from sessions s where s.user_id = u.id and s.revoked_at is null and s.expires_at > ${now})`;
}

const sortColumns = { name: 'u.name', email: 'u.email', lastSignIn: 'u.last_sign_in_at', created: 'u.created_at' } as const;

type UsersQuery = SelectQueryBuilder<Database & { u: UsersTable }, 'u', {}>;

function likePattern(q: string): string {
  return `%${q.trim().toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
}

function hasMethodOfType(type: 'totp' | 'security_key') {
  return sql<boolean>`exists (select 1 from methods m where m.user_id = u.id and m.type = ${type} and m.confirmed = 1)`;
}

export function filteredUsers(db: Kysely<Database>, accountId: string, filters: UserFilters): UsersQuery {
  let q = db.selectFrom('users as u').where('u.account_id', '=', accountId);
  if (filters.q && filters.q.trim()) {
    const like = likePattern(filters.q);
    // The escape character is named: PostgreSQL defaults to backslash, SQLite has none.
    q = q.where(sql<boolean>`(u.email like ${like} escape '\\' or lower(u.name) like ${like} escape '\\')`);
  }
  if (filters.twoFactor === 'none') q = q.where('u.has_two_factor', '=', 0);
  else if (filters.twoFactor === 'no_security_key') q = q.where('u.has_security_key', '=', 0);
  else if (filters.twoFactor) q = q.where(hasMethodOfType(filters.twoFactor));
  if (filters.signedIn !== undefined) q = q.where(filters.signedIn ? hasLiveSession(Date.now()) : sql<boolean>`not ${hasLiveSession(Date.now())}`);
  if (filters.role) q = q.where('u.role', '=', filters.role);
  if (filters.status) q = q.where('u.status', '=', filters.status);
  return q;
}

const userColumns = ['u.id', 'u.name', 'u.email', 'u.role', 'u.status', 'u.has_two_factor', 'u.created_at', 'u.last_sign_in_at', 'u.locked_until'] as const;

type UserRow = Pick<UsersTable, 'id' | 'name' | 'email' | 'role' | 'has_two_factor' | 'created_at' | 'locked_until'> & {
  status?: UserStatus | undefined;
  last_sign_in_at?: number | null | undefined;
};

/** The confirmed method kinds of each user, for one page or batch of users. */
async function methodKinds(db: Kysely<Database>, userIds: string[]): Promise<Map<string, Set<'totp' | 'security_key'>>> {
  const kinds = new Map<string, Set<'totp' | 'security_key'>>();
  if (userIds.length === 0) return kinds;
  const rows = await db
    .selectFrom('methods')
    .select(['user_id', 'type'])
    .distinct()
    .where('user_id', 'in', userIds)
    .where('confirmed', '=', 1)
    .execute();
  for (const r of rows) {
    let set = kinds.get(r.user_id);
    if (!set) kinds.set(r.user_id, (set = new Set()));
    set.add(r.type);
  }
  return kinds;
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());

/** Which of these users have a live session now. */
async function signedInNow(db: Kysely<Database>, userIds: string[], now: number): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await db.selectFrom('sessions').select('user_id').distinct().where('user_id', 'in', userIds).where('revoked_at', 'is', null).where('expires_at', '>', now).execute();
  return new Set(rows.map((r) => r.user_id));
}

function listedUser(r: UserRow, kinds: Set<'totp' | 'security_key'> | undefined, now: number, signedIn?: boolean) {
  const methodTypes = (['totp', 'security_key'] as const).filter((k) => kinds?.has(k));
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
    lockedUntil: r.locked_until !== null && Number(r.locked_until) > now ? iso(r.locked_until) : null,
    ...(signedIn === undefined ? {} : { signedIn }),
  };
}

export type ListedUser = ReturnType<typeof listedUser>;

export async function listUsers(
  db: Kysely<Database>,
  accountId: string,
  options: UserFilters & { sort?: UserSort | undefined; descending?: boolean | undefined; limit: number; offset: number },
): Promise<{ users: ListedUser[]; total: number }> {
  const base = filteredUsers(db, accountId, options);
  const column = sortColumns[options.sort ?? 'name'];
  const direction = options.descending ? 'desc' : 'asc';
  let page = base.select(userColumns);
  page =
    column === 'u.last_sign_in_at'
      ? page.orderBy(sql`u.last_sign_in_at ${sql.raw(direction)} ${sql.raw(direction === 'asc' ? 'nulls first' : 'nulls last')}`)
      : page.orderBy(column, direction);
  const [rows, total] = await Promise.all([
    page.orderBy('u.id', direction).limit(options.limit).offset(options.offset).execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const now = Date.now();
  const [kinds, live] = await Promise.all([methodKinds(db, rows.map((r) => r.id)), signedInNow(db, rows.map((r) => r.id), now)]);
  return { users: rows.map((r) => listedUser(r, kinds.get(r.id), now, live.has(r.id))), total: Number(total.n) };
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
    const kinds = await methodKinds(db, rows.map((r) => r.id));
    const now = Date.now();
    for (const r of rows) yield listedUser(r, kinds.get(r.id), now);
    if (rows.length < batchSize) return;
    const last = rows[rows.length - 1]!;
    after = { name: last.name, id: last.id };
  }
}

/** A password step was accepted: the users list's "last sign-in". */
export async function recordSignIn(db: Kysely<Database>, userId: string, at = Date.now()): Promise<void> {
  await db.updateTable('users').set({ last_sign_in_at: at }).where('id', '=', userId).execute();
}
