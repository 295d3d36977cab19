// Limits on guessing secrets (passwords, authenticator codes, recovery codes).
//
// Every limit is a row named by what it keys on (see `limitKeys`). An attempt *reserves* a place
// in every limit that applies before the secret is checked, in one transaction: parallel guesses
// cannot pass a limit, and a limit whose budget is held by attempts still being checked makes
// the next one wait its turn rather than fail (so parallel correct sign-ins all succeed). When
// the check is done the reservation is released; only a failure is counted, never a success.
//
// Reaching a limit locks it, for a time that doubles with each further failure (1 min, 2, 4 …
// up to 30 min), so an attacker cannot time the next batch; failures are forgotten after a quiet
// period or a success. What can never happen is that an attacker keeps the owner out: the
// limits that an attacker can fill (user-wide, per address) apply only to devices this user has
// not signed in on; a known device (sessions/devices.ts) has its own budget, per device. And one
// agent's typos never block another agent behind the same office address: per-address limits
// are per user and address, and the address-wide one applies only to unknown devices, with a
// concurrency cap (one hash at a time) so that a flood from one address cannot starve
// everyone else's sign-in.
//
// Nor can anyone without a secret deny its owner: a limit whose failures a stranger can cause
// without the secret is keyed so that they fall on the stranger (a passkey's credential per
// address, an enrolment code per session), a valid 256-bit link token passes its address's lock
// (routes/people.ts), and reset mails asked from the owner's own device have their own budget.
// Every limit that belongs to a user carries the user's id (`userKind`, `throttles.user_id`):
// each of its locks is on the user's row for the admins, who lift them all (lockouts.ts).
import { PostgresAdapter, sql, type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import { DomainError } from '../errors.js';
import type { Database, ThrottlesTable } from '../store/schema.js';

export interface LimitRule {
  /** Failures before the limit locks. */
  limit: number;
  /** Attempts checked at once; by default the budget left (limit − failures). */
  concurrency?: number;
  /** First lock; each failure past the limit doubles it, up to `maxLockMs`. */
  baseLockMs: number;
  maxLockMs: number;
  /** Failures are forgotten after this long without one. */
  forgetAfterMs: number;
  /** Locking this limit refuses the user's sign-ins from unknown devices (shown to admins). */
  locksUser?: boolean;
  /**
   * What a lock of this limit is on the user's row in the users list (people/users.ts), when the
   * limit belongs to one user: its rows carry `user_id`, so every lock of a user is found by id
   * and an admin lifts them all (sessions/lockouts.ts). Limits with no kind belong to nobody.
   */
  userKind?: LockKind;
}

/** The kinds of lock an admin sees on a user's row. */
export type LockKind = 'new_devices' | 'address' | 'device' | 'passkey' | 'enrollment_code' | 'password_reset' | 'password_change';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const backOff = { baseLockMs: MINUTE, maxLockMs: 30 * MINUTE, forgetAfterMs: 12 * HOUR };
/** The window of the account's count of passkey challenges: as long as a challenge lives. */
export const PASSKEY_OPTIONS_WINDOW_MS = 3 * MINUTE;

export const limitRules = {
  /** Password for one account+email from one address, on a device the user has not used. */
  passwordUserAddress: { limit: 10, ...backOff, locksUser: true, userKind: 'address' },
  /** Password for one account+email from anywhere, on devices the user has not used. */
  passwordUser: { limit: 50, ...backOff, locksUser: true, userKind: 'new_devices' },
  /** Any password from one address on an unknown device: spraying. Hashed one at a time, so a flood from one address holds one core at most. */
  passwordAddress: { limit: 100, concurrency: 1, ...backOff },
  /** Password for one account+email on a device that user has signed in on. */
  passwordDevice: { limit: 10, ...backOff, userKind: 'device' },
  /** Second-step codes (authenticator and recovery) of one user on devices they have not used. */
  secondFactorUser: { limit: 5, ...backOff, locksUser: true, userKind: 'new_devices' },
  /** Second-step codes of one user on a device they have signed in on. */
  secondFactorDevice: { limit: 5, ...backOff, userKind: 'device' },
  /**
   * Sign-in with a security key alone (second-factors/passkeys.ts): one credential id from one
   * address, on devices its user has not used. Keyed by the address too: credential ids are not
   * secret, and a signature cannot be guessed, so a stranger's bad signatures elsewhere must not
   * refuse the real key (they count against their own address only).
   */
  passkeyCredential: { limit: 10, ...backOff, userKind: 'passkey' },
  /** Any passkey sign-in from one address on an unknown device. */
  passkeyAddress: { limit: 100, ...backOff },
  /**
   * Passkey sign-in challenges stored for one address (POST /sessions/passkey-options), whether
   * or not a sign-in follows: every one counts, a passkey sign-in that succeeds from the address
   * clears the count, and it is forgotten after a quiet spell as long as a challenge lives (3
   * min: a count older than every challenge it let through protects nothing, their rows are
   * purged), so the lock is no longer either. At most about this many live rows per address; a
   * floor of hundreds of agents behind one NAT starting their shift stays well under it.
   */
  passkeyOptionsAddress: { limit: 1000, baseLockMs: MINUTE, maxLockMs: 3 * MINUTE, forgetAfterMs: 3 * MINUTE },
  /**
   * Passkey sign-in challenges stored for one account from devices none of its users signed in
   * on: a bound on the live rows that many addresses together can make the account hold (each
   * address stays under its own 1,000). Counted per 3-minute window (the key names the window),
   * so real sign-ins all day never add up to it and no success needs to clear it: at most
   * 10,000 a window, about 20,000 live rows at once (a challenge lives 3 minutes). A device
   * an agent of the account signed in on asks with its own budget (`passkeyOptionsDevice`), so
   * a flood that fills this cap keeps no desk of the account from signing in.
   */
  passkeyOptionsAccount: { limit: 10_000, baseLockMs: MINUTE, maxLockMs: 3 * MINUTE, forgetAfterMs: PASSKEY_OPTIONS_WINDOW_MS },
  /** Passkey sign-in challenges asked from one device known to the account. */
  passkeyOptionsDevice: { limit: 100, baseLockMs: MINUTE, maxLockMs: 3 * MINUTE, forgetAfterMs: 3 * MINUTE },
  /**
   * Reset links asked for one account+email (people/password-resets.ts) from devices its user has
   * not signed in on: every request counts. Five, then one an hour (each mail sent past the
   * limit locks for a fixed hour; the count is forgotten after a quiet day): whoever knows the
   * email can have about 28 mails a day sent to it, fewer than the back-off allowed (about 53).
   * A refused request counts nothing and the lock never grows, so a stranger cannot renew or
   * lengthen it; and the owner's own device asks with its own budget (`passwordResetDevice`).
   */
  passwordResetTarget: { limit: 5, baseLockMs: HOUR, maxLockMs: HOUR, forgetAfterMs: 24 * HOUR, userKind: 'password_reset' },
  /** Reset links asked for one user from a device that user has signed in on. */
  passwordResetDevice: { limit: 5, baseLockMs: HOUR, maxLockMs: HOUR, forgetAfterMs: HOUR, userKind: 'password_reset' },
  /** Reset links asked for from one address, whatever the email. */
  passwordResetAddress: { limit: 50, ...backOff },
  /**
   * Wrong or spent invitation and reset tokens presented from one address. A valid token passes
   * even when the address is locked (routes/people.ts): tokens are 256-bit random, so the lock
   * protects no secret; it only makes a locked address's wrong tokens cheap to refuse.
   */
  linkAddress: { limit: 20, ...backOff },
  /** Wrong current passwords when changing one's password. */
  passwordChangeUser: { limit: 5, ...backOff, userKind: 'password_change' },
  /**
   * Wrong enrolment codes in one session (POST /sessions/current/enrollment-code). Per session,
   * not per user: whoever else has the password gets five guesses a session and no say over the
   * owner's session. The code (10 of 31 characters, ~49.5 bits, valid a week at most) is what
   * bounds guessing: a million sessions a day at five guesses each, for the whole week, finds it
   * with odds under 1 in 20 million (3.5e7 of 8.2e14).
   */
  enrollmentCodeSession: { limit: 5, ...backOff, userKind: 'enrollment_code' },
} satisfies Record<string, LimitRule>;

export type LimitName = keyof typeof limitRules;

/** The subject of a password attempt: what was typed, so unknown emails lock the same way. */
export function passwordSubject(accountSlug: string, email: string): string {
  return `${accountSlug.toLowerCase()}:${email.trim().toLowerCase()}`;
}

export const limitKeys = {
  passwordUserAddress: (subject: string, address: string) => `pw:ua:${subject}|${address}`,
  passwordUser: (subject: string) => `pw:u:${subject}`,
  passwordAddress: (address: string) => `pw:a:${address}`,
  passwordDevice: (deviceId: string, subject: string) => `pw:d:${deviceId}|${subject}`,
  secondFactorUser: (userId: string) => `2f:u:${userId}`,
  secondFactorDevice: (deviceId: string, userId: string) => `2f:d:${deviceId}|${userId}`,
  passkeyCredential: (credentialId: string, address: string) => `pk:c:${credentialId}|${address}`,
  passkeyAddress: (address: string) => `pk:a:${address}`,
  passkeyOptionsAddress: (address: string) => `pk:o:${address}`,
  passkeyOptionsAccount: (accountId: string, window: string) => `pk:oa:${accountId}|${window}`,
  passkeyOptionsDevice: (deviceId: string, accountId: string) => `pk:od:${deviceId}|${accountId}`,
  passwordResetTarget: (subject: string) => `rs:t:${subject}`,
  passwordResetDevice: (deviceId: string, userId: string) => `rs:d:${deviceId}|${userId}`,
  passwordResetAddress: (address: string) => `rs:a:${address}`,
  linkAddress: (address: string) => `ln:a:${address}`,
  passwordChangeUser: (userId: string) => `pc:u:${userId}`,
  enrollmentCodeSession: (sessionId: string) => `ec:s:${sessionId}`,
} satisfies Record<LimitName, (...args: string[]) => string>;

export interface Limit {
  name: LimitName;
  key: string;
  /** The user the limit belongs to, when known: written on its row, so the admin sees its lock. */
  userId?: string | undefined;
}

/** The limits of a password attempt: a known device has its own; otherwise user, user+address, address. */
export function passwordLimits(input: { subject: string; address: string; knownDeviceId?: string | undefined }): Limit[] {
  if (input.knownDeviceId) return [{ name: 'passwordDevice', key: limitKeys.passwordDevice(input.knownDeviceId, input.subject) }];
  return [
    { name: 'passwordUserAddress', key: limitKeys.passwordUserAddress(input.subject, input.address) },
    { name: 'passwordUser', key: limitKeys.passwordUser(input.subject) },
    { name: 'passwordAddress', key: limitKeys.passwordAddress(input.address) },
  ];
}

/** The limits of a second-step code (or recovery code, or a first code at enrolment). */
export function secondFactorLimits(input: { userId: string; knownDeviceId?: string | undefined }): Limit[] {
  const { userId } = input;
  if (input.knownDeviceId) return [{ name: 'secondFactorDevice', key: limitKeys.secondFactorDevice(input.knownDeviceId, userId), userId }];
  return [{ name: 'secondFactorUser', key: limitKeys.secondFactorUser(userId), userId }];
}

/**
 * The limit of a reset-link request for account+email: from a device the user signed in on, that
 * device's own budget (a stranger who knows the email cannot use it up, so the owner's own
 * request always sends a mail); from anywhere else, the email's. Looked up after the 202 is
 * sent (routes/people.ts): neither the answer nor its time tells whether the email exists.
 */
export async function passwordResetLimits(db: Db, input: { account: string; email: string; deviceId?: string | undefined }): Promise<Limit[]> {
  const subject = passwordSubject(input.account, input.email);
  const user = await db
    .selectFrom('users as u')
    .innerJoin('accounts as a', 'a.id', 'u.account_id')
    .select('u.id')
    .where('a.slug', '=', input.account.toLowerCase())
    .where('u.email', '=', input.email.trim().toLowerCase())
    .executeTakeFirst();
  if (user && input.deviceId) {
    const known = await db.selectFrom('device_users').select('device_id').where('device_id', '=', input.deviceId).where('user_id', '=', user.id).executeTakeFirst();
    if (known) return [{ name: 'passwordResetDevice', key: limitKeys.passwordResetDevice(input.deviceId, user.id), userId: user.id }];
  }
  return [{ name: 'passwordResetTarget', key: limitKeys.passwordResetTarget(subject), userId: user?.id }];
}

/**
 * The limits of a passkey sign-in's options (each answer stores a challenge row): a device that a
 * user of the account signed in on has its own budget; any other asks against its address and
 * the account's window, so that a flood from many addresses fills the account's cap and keeps
 * no desk of the account from signing in.
 */
export async function passkeyOptionsLimits(db: Db, input: { accountId: string; address: string; deviceId?: string | undefined; now?: number }): Promise<Limit[]> {
  if (input.deviceId) {
    const known = await db.selectFrom('device_users').select('device_id').where('device_id', '=', input.deviceId).where('account_id', '=', input.accountId).limit(1).executeTakeFirst();
    if (known) return [{ name: 'passkeyOptionsDevice', key: limitKeys.passkeyOptionsDevice(input.deviceId, input.accountId) }];
  }
  const window = String(Math.floor((input.now ?? Date.now()) / PASSKEY_OPTIONS_WINDOW_MS));
  return [
    { name: 'passkeyOptionsAddress', key: limitKeys.passkeyOptionsAddress(input.address) },
    { name: 'passkeyOptionsAccount', key: limitKeys.passkeyOptionsAccount(input.accountId, window) },
  ];
}

/** The limits of an enrolment code: the session's own (see `enrollmentCodeSession`). */
export function enrollmentCodeLimits(input: { sessionId: string; userId: string }): Limit[] {
  return [{ name: 'enrollmentCodeSession', key: limitKeys.enrollmentCodeSession(input.sessionId), userId: input.userId }];
}

/** The kind of a limit from its key (the prefix each `limitKeys` entry writes before its first argument). */
const keyPrefixes: Array<[string, LimitName]> = (Object.keys(limitKeys) as LimitName[])
  .map((name): [string, LimitName] => {
    const key = (limitKeys[name] as (...args: string[]) => string)('\u0000', '\u0000');
    return [key.slice(0, key.indexOf('\u0000')), name];
  })
  .sort((a, b) => b[0].length - a[0].length);

export function limitOfKey(key: string): LimitName | undefined {
  return keyPrefixes.find(([prefix]) => key.startsWith(prefix))?.[1];
}

/** A lock that an attempt ran into, or that a failure just set. */
export interface Lockout {
  name: LimitName;
  key: string;
  lockedUntil: number;
}

/** The attempt was refused before any secret was checked. */
export class LimitReached extends DomainError {
  constructor(
    readonly lockout: Lockout | undefined,
    retryAfterSeconds: number,
  ) {
    super(
      'too_many_attempts',
      lockout
        ? `Too many wrong attempts. Try again in ${describeWait(retryAfterSeconds)}, or ask an administrator to lift the lock-out.`
        : 'Too many attempts at once. Try again in a moment.',
      retryAfterSeconds,
    );
    // When the lock ends, for the locked screen's countdown (it clears itself at that moment).
    this.extra = { locked: lockout !== undefined, ...(lockout ? { lockedUntil: new Date(lockout.lockedUntil).toISOString() } : {}) };
  }
}

/** "45 seconds", "3 minutes": a Retry-After in the product's words. */
export function describeWait(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

type Row = ThrottlesTable;

/** A reservation left by a process that died is forgotten after this long. */
const STALE_RESERVATION_MS = 30_000;
/** How long an attempt waits for a place held by attempts in flight before it is refused. */
const MAX_WAIT_MS = 10_000;
/** Other instances release places too: without a local wake-up, look again after about this long. */
const POLL_MS = 1000;

function effective(row: Row | undefined, rule: LimitRule, now: number) {
  if (!row) return { failures: 0, inFlight: 0, lockedUntil: null as number | null };
  const forgotten = row.last_failure_at !== null && row.last_failure_at < now - rule.forgetAfterMs;
  return {
    failures: forgotten ? 0 : Number(row.failures),
    inFlight: Number(row.reserved_at) < now - STALE_RESERVATION_MS ? 0 : Number(row.in_flight),
    lockedUntil: forgotten || row.locked_until === null ? null : Number(row.locked_until),
  };
}

function lockDuration(rule: LimitRule, failures: number): number {
  const past = Math.max(0, failures - rule.limit);
  return Math.min(rule.maxLockMs, rule.baseLockMs * 2 ** Math.min(past, 20));
}

type Db = Kysely<Database> | Transaction<Database>;

/** Rows are inserted and locked in key order, the one order every reservation agrees on. */
const byKey = (limits: Limit[]) => [...limits].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

export class Throttle {
  /** Attempts of this process waiting for a place in a key, first come first served. */
  private readonly waiting = new Map<string, Array<() => void>>();
  /** Places this process holds per key (a lower bound of what the store counts). */
  private readonly inFlightHere = new Map<string, number>();
  /**
   * Locks of the limits with a concurrency cap (the address-wide ones) that this process has
   * seen: refused without asking the store again. No admin lifts those, so none goes stale early.
   */
  private readonly locksHere = new Map<string, number>();

  private placeLeftHere(limits: Limit[]): boolean {
    return limits.every((l) => {
      const rule: LimitRule = limitRules[l.name];
      return (this.inFlightHere.get(l.key) ?? 0) < (rule.concurrency ?? rule.limit);
    });
  }

  private knownLock(limits: Limit[], now: number): LimitReached | undefined {
    for (const l of limits) {
      const until = this.locksHere.get(l.key);
      if (until === undefined) continue;
      if (until <= now) {
        this.locksHere.delete(l.key);
        continue;
      }
      return new LimitReached({ name: l.name, key: l.key, lockedUntil: until }, Math.max(1, Math.ceil((until - now) / 1000)));
    }
    return undefined;
  }

  constructor(private readonly db: Kysely<Database>) {}

  private async rows(trx: Db, keys: string[], forUpdate: boolean): Promise<Map<string, Row>> {
    let query = trx.selectFrom('throttles').selectAll().where('key', 'in', keys);
    // PostgreSQL: lock the rows so concurrent reservations take turns (SQLite has one writer),
    // always in key order. Locked in the order the scan meets them (heap order, which every
    // update changes), two reservations sharing two rows each held one the other waited for:
    // "deadlock detected", a 500 for a correct sign-in.
    if (forUpdate && trx.getExecutor().adapter instanceof PostgresAdapter) query = query.orderBy('key').forUpdate();
    const out = new Map<string, Row>();
    for (const r of await query.execute()) out.set(r.key, r as Row);
    return out;
  }

  /** One try: reserves every limit or none; `wait` when a place is held by attempts in flight. */
  private async tryReserve(limits: Limit[], now: number): Promise<{ ok: true } | { ok: false; wait: true } | { ok: false; wait: false; error: LimitReached }> {
    return this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('throttles')
        .values(byKey(limits).map((l) => ({ key: l.key, user_id: l.userId ?? null, failures: 0, in_flight: 0, reserved_at: now, last_failure_at: null, locked_until: null })))
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
      const rows = await this.rows(trx, limits.map((l) => l.key), true);
      let wait = false;
      for (const l of limits) {
        const rule: LimitRule = limitRules[l.name];
        const e = effective(rows.get(l.key), rule, now);
        if (e.lockedUntil !== null && e.lockedUntil > now) {
          const retry = Math.max(1, Math.ceil((e.lockedUntil - now) / 1000));
          return { ok: false as const, wait: false as const, error: new LimitReached({ name: l.name, key: l.key, lockedUntil: e.lockedUntil }, retry) };
        }
        // Past the limit, once its lock has run out: one attempt at a time, each failure locking again for longer.
        const budget = Math.max(1, rule.limit - e.failures);
        const concurrency = Math.min(budget, rule.concurrency ?? budget);
        if (e.inFlight >= concurrency) wait = true;
      }
      if (wait) return { ok: false as const, wait: true as const };
      for (const l of limits) {
        const rule: LimitRule = limitRules[l.name];
        const e = effective(rows.get(l.key), rule, now);
        await trx
          .updateTable('throttles')
          .set({
            in_flight: e.inFlight + 1,
            reserved_at: now,
            failures: e.failures,
            locked_until: e.lockedUntil,
            last_failure_at: e.failures === 0 ? null : rows.get(l.key)?.last_failure_at ?? null,
          })
          .where('key', '=', l.key)
          .execute();
      }
      return { ok: true as const };
    });
  }

  /**
   * Takes a place in every limit before a secret is checked; throws LimitReached (429) when one
   * is locked, and waits (up to 10 s) while places are held by attempts still being checked.
   */
  async reserve(limits: Limit[]): Promise<Reservation> {
    const deadline = Date.now() + MAX_WAIT_MS;
    for (;;) {
      // What this process already knows spares the store a transaction per waiting attempt:
      // a flood of 400 guesses from one address waits here, not in 400 transactions.
      const known = this.knownLock(limits, Date.now());
      if (known) throw known;
      if (!this.placeLeftHere(limits)) {
        if (Date.now() >= deadline) throw new LimitReached(undefined, 1);
        await this.waitForRelease(limits, Math.min(POLL_MS + Math.random() * POLL_MS, deadline - Date.now()));
        continue;
      }
      const result = await this.tryReserve(limits, Date.now());
      if (result.ok) {
        for (const l of limits) this.inFlightHere.set(l.key, (this.inFlightHere.get(l.key) ?? 0) + 1);
        return new Reservation(this, limits);
      }
      if (!result.wait) {
        if (result.error.lockout && (limitRules[result.error.lockout.name] as LimitRule).concurrency !== undefined) this.locksHere.set(result.error.lockout.key, result.error.lockout.lockedUntil);
        throw result.error;
      }
      if (Date.now() >= deadline) throw new LimitReached(undefined, 1);
      // Jittered, so that waiters do not all look again at the same moment.
      await this.waitForRelease(limits, Math.min(POLL_MS + Math.random() * POLL_MS, deadline - Date.now()));
    }
  }

  private waitForRelease(limits: Limit[], ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        for (const l of limits) {
          const queue = this.waiting.get(l.key);
          const i = queue?.indexOf(done) ?? -1;
          if (i >= 0) queue!.splice(i, 1);
          if (queue?.length === 0) this.waiting.delete(l.key);
        }
        resolve();
      };
      const timer = setTimeout(done, ms);
      for (const l of limits) {
        let queue = this.waiting.get(l.key);
        if (!queue) this.waiting.set(l.key, (queue = []));
        queue.push(done);
      }
    });
  }

  /** A place was released: the next waiter looks again; a lock refuses them all at once. */
  private wake(key: string, all: boolean): void {
    const queue = this.waiting.get(key);
    if (!queue) return;
    for (const waiter of all ? [...queue] : queue.slice(0, 1)) waiter();
  }

  /** Ends a reservation: a failure counts (and may lock); a success counts nothing and clears. */
  async finish(limits: Limit[], outcome: 'success' | 'failure' | 'none', db: Db = this.db): Promise<Lockout[]> {
    const now = Date.now();
    const run = async (trx: Db) => {
      const rows = await this.rows(trx, limits.map((l) => l.key), true);
      const locked: Lockout[] = [];
      for (const l of limits) {
        const rule: LimitRule = limitRules[l.name];
        const row = rows.get(l.key);
        const e = effective(row, rule, now);
        const inFlight = Math.max(0, e.inFlight - 1);
        if (outcome === 'none') {
          await trx.updateTable('throttles').set({ in_flight: inFlight }).where('key', '=', l.key).execute();
          continue;
        }
        if (outcome === 'success') {
          // A success proves the secret for this subject: its failures are forgotten. The
          // address-wide limit counts many subjects, so one success does not clear it.
          const clears = l.name !== 'passwordAddress';
          await trx
            .updateTable('throttles')
            .set(clears ? { in_flight: inFlight, failures: 0, last_failure_at: null, locked_until: null } : { in_flight: inFlight })
            .where('key', '=', l.key)
            .execute();
          continue;
        }
        const failures = e.failures + 1;
        let lockedUntil = e.lockedUntil;
        if (failures >= rule.limit) {
          lockedUntil = now + lockDuration(rule, failures);
          locked.push({ name: l.name, key: l.key, lockedUntil });
        }
        await trx
          .updateTable('throttles')
          .set({ in_flight: inFlight, failures, last_failure_at: now, locked_until: lockedUntil, ...(l.userId ? { user_id: l.userId } : {}) })
          .where('key', '=', l.key)
          .execute();
      }
      return locked;
    };
    let locked: Lockout[];
    try {
      locked = db.isTransaction ? await run(db) : await this.db.transaction().execute(run);
    } finally {
      for (const l of limits) {
        const n = (this.inFlightHere.get(l.key) ?? 1) - 1;
        if (n > 0) this.inFlightHere.set(l.key, n);
        else this.inFlightHere.delete(l.key);
      }
    }
    for (const l of locked) if ((limitRules[l.name] as LimitRule).concurrency !== undefined) this.locksHere.set(l.key, l.lockedUntil);
    for (const l of limits) this.wake(l.key, locked.some((x) => x.key === l.key));
    return locked;
  }

  /**
   * Forgets every limit of a user (an admin lifted the lock-out): the rows that carry the user's
   * id, and the ones keyed by the email typed that may predate it (written before the user
   * existed, or by a version without `user_id`). Answers what was cleared, for the audit log.
   */
  static async liftUserLimits(db: Db, input: { subject: string; userId: string; now?: number }): Promise<Array<{ name: LimitName | undefined; key: string; lockedUntil: number | null }>> {
    const escape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
    const now = input.now ?? Date.now();
    const mine = (eb: ExpressionBuilder<Database, 'throttles'>) =>
      eb.or([
        eb('user_id', '=', input.userId),
        eb('key', '=', limitKeys.passwordUser(input.subject)),
        eb('key', '=', limitKeys.secondFactorUser(input.userId)),
        eb('key', '=', limitKeys.passwordResetTarget(input.subject)),
        eb('key', 'like', sqlLike(`${escape('pw:ua:' + input.subject + '|')}%`)),
        eb('key', 'like', sqlLike(`pw:d:%${escape('|' + input.subject)}`)),
        eb('key', 'like', sqlLike(`2f:d:%${escape('|' + input.userId)}`)),
      ]);
    const rows = await db.selectFrom('throttles').select(['key', 'locked_until']).where(mine).execute();
    if (rows.length > 0) await db.deleteFrom('throttles').where(mine).execute();
    return rows.map((r) => ({ name: limitOfKey(r.key), key: r.key, lockedUntil: r.locked_until !== null && Number(r.locked_until) > now ? Number(r.locked_until) : null }));
  }
}

/** A LIKE pattern with backslash as its escape character, on both stores. */
function sqlLike(pattern: string) {
  return sql<string>`${pattern} escape '\\'`;
}

/** Places taken in some limits; finish it exactly once, with the outcome of the check. */
export class Reservation {
  private finished = false;
  constructor(
    private readonly throttle: Throttle,
    readonly limits: Limit[],
  ) {}

  /** Locks a failure set (for the audit log and the admin's view of the user). */
  async fail(db?: Db): Promise<Lockout[]> {
    if (this.finished) return [];
    this.finished = true;
    return this.throttle.finish(this.limits, 'failure', db);
  }

  async succeed(db?: Db): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.throttle.finish(this.limits, 'success', db);
  }

  /** Gives the places back without counting anything (the check never ran: an error). */
  async release(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.throttle.finish(this.limits, 'none').catch(() => undefined);
  }
}
