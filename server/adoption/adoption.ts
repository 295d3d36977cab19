// 2FA adoption over time (issue 22, PRODUCT.md "Operations"): one point per UTC day, the split by
// method now, and the deployment day's progress with who is still missing.
//
// The store keeps no history table, so each day is rebuilt from what it does keep:
// - a user counts on a day when created (users.created_at) by the end of it and not deactivated
//   by then: a user deactivated now counts until their last `user.deactivated` audit entry;
// - a user has a kind of method on a day from the created_at of their first confirmed method of
//   that kind, for users who never lost one: one grouped query buckets every such user by
//   (created day, first app day, first key day, deactivation day), a few hundred rows however
//   many users there are;
// - users who ever lost a method (a `method.removed` entry by them, a `user.two_factor_reset`
//   entry about them) are replayed from their `method.added` / `method.removed` /
//   `user.two_factor_reset` entries (a method still present without an `added` entry is taken as
//   added at its created_at). There are few of them, and they are fetched in three queries.
// Limits: a deleted user leaves no trace (they vanish from every past day); a user reactivated
// after a deactivation counts throughout; history is only as long as the audit log kept.
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import { inRequirementScope } from '../enforcement/requirement-scope.js';
import type { Adoption, AdoptionDay, MissingUser } from '../../contract/answers.js';
import { acceptedMethodFlag, policyOf } from '../second-factors/policy.js';
import type { Database } from '../store/schema.js';

export const DAY_MS = 86_400_000;

/** Only the members of a group (now: the figures of past days are of today's members). */
function inGroup(alias: string, groupId: string | undefined): RawBuilder<SqlBool> {
  return groupId === undefined ? sql<SqlBool>`1 = 1` : sql<SqlBool>`${sql.ref(`${alias}.id`)} in (select gm.user_id from group_members gm where gm.group_id = ${groupId})`;
}
export const ADOPTION_DAYS = { min: 7, max: 365, default: 30 } as const;
export const MISSING_PAGE = { max: 500, default: 100 } as const;

/** The window's first day (UTC midnight) for `days` days ending today. */
export function windowStart(now: number, days: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS - (days - 1) * DAY_MS;
}

/** A time as a day index of the window: -1 before it, null when there is none. */
function bucket(column: RawBuilder<unknown>, start: number) {
  return sql<number | null>`case when ${column} is null then null when ${column} < ${start} then -1 else cast((${column} - ${start}) / ${DAY_MS} as integer) end`;
}

interface Counts {
  users: number[];
  any: number[];
  app: number[];
  key: number[];
  both: number[];
}

/** Adds `n` to days [from, to) of `series` through a difference array. */
function addRange(diff: number[], from: number, to: number, n: number): void {
  if (from >= to) return;
  diff[from]! += n;
  diff[to]! -= n;
}

/** Users who ever lost a method: the grouped count leaves them out, they are replayed. */
function churnedUsers(db: Kysely<Database>, accountId: string) {
  return db
    .selectFrom('audit_events')
    .select('actor_id as user_id')
    .where('account_id', '=', accountId)
    .where('action', '=', 'method.removed')
    .where('actor_id', 'is not', null)
    .union(
      db
        .selectFrom('audit_events')
        .select('subject_user_id as user_id')
        .where('account_id', '=', accountId)
        .where('action', '=', 'user.two_factor_reset')
        .where('subject_user_id', 'is not', null),
    );
}

/** The daily series of the last `days` UTC days (today: up to now). */
export async function adoptionSeries(db: Kysely<Database>, accountId: string, days: number, now = Date.now(), groupId?: string): Promise<AdoptionDay[]> {
  const start = windowStart(now, days);
  const diff: Counts = { users: [], any: [], app: [], key: [], both: [] };
  for (const k of Object.keys(diff) as (keyof Counts)[]) diff[k] = new Array<number>(days + 1).fill(0);

  const firsts = db
    .selectFrom('methods')
    .select((eb) => [
      'user_id',
      eb.fn.min(eb.case().when('type', '=', 'totp').then(eb.ref('created_at')).end()).as('app_at'),
      eb.fn.min(eb.case().when('type', '=', 'security_key').then(eb.ref('created_at')).end()).as('key_at'),
    ])
    .where('account_id', '=', accountId)
    .where('confirmed', '=', 1)
    .groupBy('user_id');
  const deactivations = db
    .selectFrom('audit_events')
    .select((eb) => ['subject_user_id', eb.fn.max('at').as('at')])
    .where('account_id', '=', accountId)
    .where('action', '=', 'user.deactivated')
    .groupBy('subject_user_id');

  const per = db
    .selectFrom('users as u')
    .leftJoin(firsts.as('m'), 'm.user_id', 'u.id')
    .leftJoin(deactivations.as('d'), 'd.subject_user_id', 'u.id')
    .select([
      bucket(sql.ref('u.created_at'), start).as('c'),
      bucket(sql.ref('m.app_at'), start).as('a'),
      bucket(sql.ref('m.key_at'), start).as('k'),
      bucket(sql`case when u.status = 'deactivated' then coalesce(d.at, u.created_at) end`, start).as('d'),
    ])
    .where('u.account_id', '=', accountId)
    .where(inGroup('u', groupId))
    .where('u.id', 'not in', churnedUsers(db, accountId));
  const rows = await db
    .selectFrom(per.as('x'))
    .select((eb) => ['x.c', 'x.a', 'x.k', 'x.d', eb.fn.countAll<number>().as('n')])
    .groupBy(['x.c', 'x.a', 'x.k', 'x.d'])
    .execute();

  for (const row of rows) {
    const n = Number(row.n);
    const from = Math.max(0, Number(row.c));
    const to = row.d === null ? days : Math.max(0, Number(row.d));
    const app = row.a === null ? null : Math.max(from, Number(row.a));
    const key = row.k === null ? null : Math.max(from, Number(row.k));
    addRange(diff.users, from, to, n);
    if (app !== null) addRange(diff.app, app, to, n);
    if (key !== null) addRange(diff.key, key, to, n);
    if (app !== null || key !== null) addRange(diff.any, Math.min(app ?? days, key ?? days), to, n);
    if (app !== null && key !== null) addRange(diff.both, Math.max(app, key), to, n);
  }

  const series = (Object.keys(diff) as (keyof Counts)[]).reduce((out, k) => {
    let running = 0;
    out[k] = diff[k].slice(0, days).map((d) => (running += d));
    return out;
  }, {} as Counts);
  await replayChurned(db, accountId, start, days, series, groupId);

  return series.users.map((users, i) => ({
    date: new Date(start + i * DAY_MS).toISOString().slice(0, 10),
    users,
    withAnyMethod: series.any[i]!,
    withAuthenticatorApp: series.app[i]!,
    withSecurityKey: series.key[i]!,
    withBoth: series.both[i]!,
  }));
}

type Kind = 'totp' | 'security_key';
interface MethodEvent {
  userId: string;
  at: number;
  /** +1 a method added, -1 removed; 'reset' removes them all. */
  change: 1 | -1 | 'reset';
  type: Kind | null;
  methodId: string | null;
}

function parsed(details: string): { type?: unknown; methodId?: unknown } {
  try {
    return JSON.parse(details) as { type?: unknown; methodId?: unknown };
  } catch {
    return {};
  }
}

/** Adds the users who ever lost a method, day by day, from their audit entries. */
async function replayChurned(db: Kysely<Database>, accountId: string, start: number, days: number, series: Counts, groupId?: string): Promise<void> {
  const churned = churnedUsers(db, accountId);
  const [users, entries, methods] = await Promise.all([
    db
      .selectFrom('users as u')
      .leftJoin(
        db.selectFrom('audit_events').select((eb) => ['subject_user_id', eb.fn.max('at').as('at')]).where('account_id', '=', accountId).where('action', '=', 'user.deactivated').groupBy('subject_user_id').as('d'),
        'd.subject_user_id',
        'u.id',
      )
      .select(['u.id', 'u.created_at', 'u.status', 'd.at as deactivated_at'])
      .where('u.account_id', '=', accountId)
      .where(inGroup('u', groupId))
      .where('u.id', 'in', churned)
      .execute(),
    db
      .selectFrom('audit_events')
      .select(['actor_id', 'subject_user_id', 'action', 'at', 'details', 'id'])
      .where('account_id', '=', accountId)
      .where((eb) =>
        eb.or([
          eb.and([eb('action', 'in', ['method.added', 'method.removed']), eb('actor_id', 'in', churned)]),
          eb.and([eb('action', '=', 'user.two_factor_reset'), eb('subject_user_id', 'in', churned)]),
        ]),
      )
      .orderBy('id')
      .execute(),
    db.selectFrom('methods').select(['id', 'user_id', 'type', 'created_at']).where('account_id', '=', accountId).where('confirmed', '=', 1).where('user_id', 'in', churned).execute(),
  ]);
  if (users.length === 0) return;

  const events = new Map<string, MethodEvent[]>();
  const push = (e: MethodEvent) => {
    const list = events.get(e.userId) ?? [];
    list.push(e);
    events.set(e.userId, list);
  };
  const audited = new Set<string>();
  for (const e of entries) {
    const at = Number(e.at);
    if (e.action === 'user.two_factor_reset') {
      push({ userId: e.subject_user_id!, at, change: 'reset', type: null, methodId: null });
      continue;
    }
    const d = parsed(e.details);
    const type = d.type === 'totp' || d.type === 'security_key' ? d.type : null;
    const methodId = typeof d.methodId === 'string' ? d.methodId : null;
    if (type === null) continue;
    if (e.action === 'method.added' && methodId) audited.add(methodId);
    push({ userId: e.actor_id!, at, change: e.action === 'method.added' ? 1 : -1, type, methodId });
  }
  // A method still present whose addition was not audited counts from its created_at.
  for (const m of methods) if (!audited.has(m.id)) push({ userId: m.user_id, at: Number(m.created_at), change: 1, type: m.type, methodId: m.id });

  for (const user of users) {
    const list = (events.get(user.id) ?? []).sort((a, b) => a.at - b.at);
    const deactivatedAt = user.status === 'deactivated' ? Number(user.deactivated_at ?? user.created_at) : Infinity;
    const count: Record<Kind, number> = { totp: 0, security_key: 0 };
    let next = 0;
    for (let i = 0; i < days; i++) {
      const end = start + (i + 1) * DAY_MS;
      while (next < list.length && list[next]!.at < end) {
        const e = list[next++]!;
        if (e.change === 'reset') {
          count.totp = 0;
          count.security_key = 0;
        } else if (e.type) {
          count[e.type] = Math.max(0, count[e.type] + e.change);
        }
      }
      if (Number(user.created_at) >= end || deactivatedAt < end) continue;
      const app = count.totp > 0;
      const key = count.security_key > 0;
      series.users[i]! += 1;
      if (app) series.app[i]! += 1;
      if (key) series.key[i]! += 1;
      if (app || key) series.any[i]! += 1;
      if (app && key) series.both[i]! += 1;
    }
  }
}

/** Users not deactivated, each in exactly one bucket by the methods they have now. */
export async function adoptionSplit(db: Kysely<Database>, accountId: string, groupId?: string): Promise<Adoption['split']> {
  const rows = await db
    .selectFrom('users')
    .where(inGroup('users', groupId))
    .select((eb) => [
      eb.fn.coalesce('has_totp', sql<number>`0`).as('app'),
      eb.fn.coalesce('has_security_key', sql<number>`0`).as('key'),
      eb.fn.countAll<number>().as('n'),
    ])
    .where('account_id', '=', accountId)
    .where('status', '!=', 'deactivated')
    .groupBy(['has_totp', 'has_security_key'])
    .execute();
  const split = { authenticatorAppOnly: 0, securityKeyOnly: 0, both: 0, none: 0 };
  for (const r of rows) {
    const app = Number(r.app) === 1;
    const key = Number(r.key) === 1;
    split[app && key ? 'both' : app ? 'authenticatorAppOnly' : key ? 'securityKeyOnly' : 'none'] += Number(r.n);
  }
  return split;
}

async function accountPolicy(db: Kysely<Database>, accountId: string) {
  const row = await db
    .selectFrom('accounts')
    .select(['second_factor_policy', 'require_two_factor', 'two_factor_scheduled_at'])
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
  return { policy: policyOf(row), requireTwoFactor: row.require_two_factor === 1, scheduledAt: row.two_factor_scheduled_at === null ? null : Number(row.two_factor_scheduled_at) };
}

/** Users not deactivated whom the requirement's scope holds (of a group, if given). */
function inScopeQuery(db: Kysely<Database>, accountId: string, groupId?: string) {
  return db
    .selectFrom('users')
    .where('account_id', '=', accountId)
    .where('status', '!=', 'deactivated')
    .where(inRequirementScope('users', { accountId }))
    .where(inGroup('users', groupId));
}

/** Of those, the users without a method the policy accepts, by name. */
function missingQuery(db: Kysely<Database>, accountId: string, flag: 'has_two_factor' | 'has_security_key', groupId?: string) {
  return inScopeQuery(db, accountId, groupId)
    .where((eb) => eb(eb.fn.coalesce(flag, sql<number>`0`), '=', 0));
}

function missingView(r: { id: string; name: string; email: string; status: MissingUser['status'] | undefined }): MissingUser {
  return { id: r.id, name: r.name, email: r.email, status: r.status ?? 'active' };
}

export async function adoption(
  db: Kysely<Database>,
  accountId: string,
  options: { days: number; missingLimit: number; missingOffset: number; now?: number; groupId?: string | undefined },
): Promise<Adoption> {
  const now = options.now ?? Date.now();
  const account = await accountPolicy(db, accountId);
  const flag = acceptedMethodFlag(account.policy);
  const group = options.groupId;
  const [days, split, deploymentDay] = await Promise.all([
    adoptionSeries(db, accountId, options.days, now, group),
    adoptionSplit(db, accountId, group),
    account.scheduledAt === null
      ? null
      : Promise.all([
          inScopeQuery(db, accountId, group).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
          missingQuery(db, accountId, flag, group).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
          missingQuery(db, accountId, flag, group).select(['id', 'name', 'email', 'status']).orderBy('name').orderBy('id').limit(options.missingLimit).offset(options.missingOffset).execute(),
        ]).then(([scope, missing, page]) => ({
          scheduledAt: new Date(account.scheduledAt!).toISOString(),
          inScope: Number(scope.n),
          missing: { total: Number(missing.n), limit: options.missingLimit, offset: options.missingOffset, users: page.map(missingView) },
        })),
  ]);
  return { days, split, secondFactorPolicy: account.policy, requireTwoFactor: account.requireTwoFactor, deploymentDay };
}

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  // A leading =, +, - or @ would be a formula in a spreadsheet (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const csvRow = (cells: unknown[]) => `${cells.map(csvCell).join(',')}\r\n`;

/** The daily series as CSV: one row per day. */
export async function adoptionDaysCsv(db: Kysely<Database>, accountId: string, days: number, now = Date.now(), groupId?: string): Promise<string> {
  const series = await adoptionSeries(db, accountId, days, now, groupId);
  return (
    csvRow(['date', 'users', 'with_any_method', 'with_authenticator_app', 'with_security_key', 'with_both']) +
    series.map((d) => csvRow([d.date, d.users, d.withAnyMethod, d.withAuthenticatorApp, d.withSecurityKey, d.withBoth])).join('')
  );
}

/** Everyone the requirement's scope holds still without an accepted method (whether or not a day is scheduled), by name, in pages. */
export async function* adoptionMissingCsv(db: Kysely<Database>, accountId: string, groupId?: string): AsyncGenerator<string> {
  const { policy } = await accountPolicy(db, accountId);
  const flag = acceptedMethodFlag(policy);
  yield csvRow(['name', 'email', 'status']);
  let after: { name: string; id: string } | null = null;
  for (;;) {
    let query = missingQuery(db, accountId, flag, groupId).select(['id', 'name', 'email', 'status']).orderBy('name').orderBy('id').limit(1000);
    if (after) {
      const a = after;
      query = query.where((eb) => eb.or([eb('name', '>', a.name), eb.and([eb('name', '=', a.name), eb('id', '>', a.id)])]));
    }
    const rows = await query.execute();
    if (rows.length > 0) yield rows.map((r) => csvRow([r.name, r.email, r.status ?? 'active'])).join('');
    if (rows.length < 1000) return;
    after = rows[rows.length - 1]!;
  }
}
