// Bulk seeding straight into the store through the server's own Kysely schema and modules
// (argon2id parameters, the secret box, token hashing), in transactions with multi-row inserts.
// Dialect-neutral, so the same code seeds SQLite and PostgreSQL.
import { randomBytes } from 'node:crypto';
import { sql, type Insertable, type Kysely } from 'kysely';
import type { SecretBox } from '../../server/crypto/secret-box.js';
import { hashToken, newId, newToken } from '../../server/crypto/tokens.js';
import { totpMethodRow } from '../../server/second-factors/totp.js';
import { hashPassword } from '../../server/people/passwords.js';
import type { Database, DevicesTable, DeviceUsersTable, MethodsTable, SessionsTable, UsersTable } from '../../server/store/schema.js';

export const BENCH_PASSWORD = 'correct horse battery staple';
const HOUR = 3_600_000;

/** Rows per statement: SQLite allows 32,766 bound values, PostgreSQL 65,535. */
export async function insertMany<T extends keyof Database>(
  db: Kysely<Database>,
  table: T,
  rows: Insertable<Database[T]>[],
): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0] as object).length;
  const chunk = Math.max(1, Math.floor(30_000 / columns));
  for (let i = 0; i < rows.length; i += chunk) {
    await db.insertInto(table).values(rows.slice(i, i + chunk) as any).execute();
  }
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** A 160-bit authenticator-app secret in base32, as the server's enrolment makes. */
export function totpSecret(): string {
  const bytes = randomBytes(20);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

export interface SeededAccount {
  accountId: string;
  slug: string;
  admin: { id: string; email: string; totpSecret: string };
}

/** An account with one admin who has an authenticator app (so they may turn enforcement on). */
export async function seedAccount(db: Kysely<Database>, box: SecretBox, slug: string, passwordHash: string): Promise<SeededAccount> {
  const now = Date.now();
  const accountId = newId();
  const adminId = newId();
  const secret = totpSecret();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('accounts')
      .values({ id: accountId, name: `${slug} Ltd`, slug, require_two_factor: 0, user_verification: 'discouraged', settings_updated_at: null, settings_updated_by: null, created_at: now })
      .execute();
    await trx
      .insertInto('users')
      .values({ id: adminId, account_id: accountId, name: 'Bench Admin', email: `admin@${slug}.test`, password_hash: passwordHash, role: 'admin', has_two_factor: 1, has_totp: 1, created_at: now, locked_until: null })
      .execute();
    await trx.insertInto('methods').values(totpMethod(box, adminId, accountId, secret, now)).execute();
  });
  return { accountId, slug, admin: { id: adminId, email: `admin@${slug}.test`, totpSecret: secret } };
}

export function totpMethod(box: SecretBox, userId: string, accountId: string, secret: string, now: number): MethodsTable {
  return totpMethodRow(box, { userId, accountId, secret, confirmed: true, now });
}

export function userRow(accountId: string, i: number, slug: string, passwordHash: string, hasTwoFactor: boolean, now: number): UsersTable {
  return {
    id: newId(),
    account_id: accountId,
    name: `Agent ${String(i).padStart(6, '0')}`,
    email: `agent${i}@${slug}.test`,
    password_hash: passwordHash,
    role: 'agent',
    has_two_factor: hasTwoFactor ? 1 : 0,
    // The bench's users with a method have an authenticator app.
    has_totp: hasTwoFactor ? 1 : 0,
    created_at: now,
    locked_until: null,
  };
}

export function sessionRow(
  userId: string,
  accountId: string,
  state: SessionsTable['state'],
  now: number,
  token = newToken(),
): { token: string; row: SessionsTable } {
  return {
    token,
    row: {
      id: newId(),
      token_hash: hashToken(token),
      user_id: userId,
      account_id: accountId,
      state,
      created_at: now,
      last_seen_at: now,
      expires_at: now + (state === 'two_factor_required' ? HOUR / 6 : 8 * HOUR),
      second_factor_at: state === 'active' ? now : null,
      password_at: now,
      revoked_at: null,
      revoked_reason: null,
      client_address: '127.0.0.1',
      user_agent: 'AgentDesk bench',
      device_id: null,
    },
  };
}

let sharedHash: Promise<string> | undefined;
/** One real argon2id hash (server parameters) shared by every seeded user: hashing 100,000 would take an hour. */
export function benchPasswordHash(): Promise<string> {
  sharedHash ??= hashPassword(BENCH_PASSWORD);
  return sharedHash;
}

/** Refreshes planner statistics on PostgreSQL, as autovacuum would after a bulk load. */
export async function analyze(db: Kysely<Database>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  // Autovacuum does both after a bulk load (PostgreSQL 13+ vacuums after many inserts too): the
  // visibility map it sets lets a count read the index alone.
  if (dialect === 'postgres') await sql`vacuum analyze`.execute(db);
}

/** A device (desktop app or browser) and the token it keeps. */
export function deviceRow(now: number): { token: string; row: DevicesTable } {
  const token = newToken();
  return {
    token,
    row: { id: newId(), token_hash: hashToken(token), created_at: now, last_seen_at: now, created_address: '127.0.0.1', last_address: '127.0.0.1', user_agent: 'AgentDesk bench' },
  };
}

/**
 * An account whose `count` agents each have an authenticator app and a desk they signed in on
 * before (a known device): the common case at shift change. Returns the account, the password
 * hash, the agents' emails and each one's device token.
 */
export async function seedAgentsAtTheirDesks(db: Kysely<Database>, box: SecretBox, count: number) {
  const hash = await benchPasswordHash();
  const account = await seedAccount(db, box, 'bench', hash);
  const now = Date.now();
  const users: UsersTable[] = [];
  const methods: MethodsTable[] = [];
  const devices: DevicesTable[] = [];
  const deviceUsers: DeviceUsersTable[] = [];
  const deviceTokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const user = userRow(account.accountId, i, account.slug, hash, true, now);
    users.push(user);
    methods.push(totpMethod(box, user.id, account.accountId, totpSecret(), now));
    const device = deviceRow(now);
    devices.push(device.row);
    deviceTokens.push(device.token);
    deviceUsers.push({ device_id: device.row.id, user_id: user.id, account_id: account.accountId, first_signed_in_at: now, last_signed_in_at: now });
  }
  await db.transaction().execute(async (trx) => {
    await insertMany(trx, 'users', users);
    await insertMany(trx, 'methods', methods);
    await insertMany(trx, 'devices', devices);
    await insertMany(trx, 'device_users', deviceUsers);
  });
  return { account, hash, emails: users.map((u) => u.email), deviceTokens };
}
