// Sessions: opaque 256-bit tokens, stored only as their hash, in one of three states, with idle
// and absolute expiry. Revocation marks the row (so a client learns why) and pushes an event.
import type { Expression, Kysely, SelectQueryBuilder, SqlBool, Transaction } from 'kysely';
import { hashToken, newId, newToken } from '../crypto/tokens.js';
import { prepareQuery, preparedStatement } from '../store/prepared.js';
import { judgeSession } from './assurance.js';
import { requirementApplies } from '../enforcement/requirement-scope.js';
import type { RevocationReason, SessionEvents } from './events.js';
import type { AccountsTable, Database, SessionsTable, UsersTable } from '../store/schema.js';

export type SessionState = SessionsTable['state'];

const MINUTE = 60_000;
/** A pending second step or enrollment is short-lived; only an active session lives long. */
const pendingLifetime: Record<Exclude<SessionState, 'active'>, number> = {
  two_factor_required: 10 * MINUTE,
  enrollment_required: 30 * MINUTE,
};
/**
 * A first method may be added only with the password entered this recently (PRODUCT.md; OWASP
 * ASVS 5.0 7.5.1): a stolen old cookie of a user without a method cannot enrol the thief's app.
 */
export const RECENT_PASSWORD_MS = 10 * MINUTE;

/** Whether the password was entered in this session within RECENT_PASSWORD_MS. */
export function passwordIsRecent(session: Pick<SessionsTable, 'password_at'>, now = Date.now()): boolean {
  return session.password_at !== null && Number(session.password_at) >= now - RECENT_PASSWORD_MS;
}

/** last_seen_at is written at most this often, so reads do not each cost a write. */
const TOUCH_INTERVAL = MINUTE;

export interface AuthenticatedSession {
  session: SessionsTable;
  /**
   * The session's device is one its user completed a sign-in on (sessions/devices.ts), as the
   * request's session lookup found it: such a device has its own limits (sessions/throttling.ts).
   */
  knownDevice: boolean;
  user: Pick<UsersTable, 'id' | 'account_id' | 'name' | 'email' | 'role' | 'has_two_factor' | 'language' | 'break_glass'>;
  /** `require_two_factor` here is 1 when the account requires 2FA *of this user* (the requirement
   * is on and its scope holds them: enforcement/requirement-scope.ts), else 0. */
  account: Pick<AccountsTable, 'id' | 'name' | 'slug' | 'require_two_factor' | 'user_verification' | 'second_factor_policy' | 'allowed_networks' | 'session_idle_minutes' | 'session_absolute_hours'>;
}

export type AuthenticationResult =
  | { ok: true; value: AuthenticatedSession }
  | { ok: false; reason: RevocationReason | 'unknown' };

export interface SessionLifetimes {
  idleMs: number;
  absoluteMs: number;
}

/** An account's own lifetimes (sessions/session-policy.ts); null keeps the server's. */
export interface AccountLifetimes {
  session_idle_minutes?: number | null | undefined;
  session_absolute_hours?: number | null | undefined;
}

/** The second step's write (passSecondFactor), compiled once. */
const activate = preparedStatement(['tokenHash', 'now', 'expiresAt', 'id'], (db: Kysely<Database>, a: { tokenHash: string; now: number; expiresAt: number; id: string }) =>
  db
    .updateTable('sessions')
    .set({ state: 'active', token_hash: a.tokenHash, second_factor_at: a.now, last_seen_at: a.now, expires_at: a.expiresAt })
    .where('id', '=', a.id)
    .compile(),
);

/** A session with what judging it needs (its user, their account): a request's lookup by token hash, an event stream's by id. */
function sessionLookup(db: Kysely<Database>) {
  return db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .innerJoin('accounts as a', 'a.id', 's.account_id')
    // Whether the user signed in on the session's device before: the second step's limits
    // depend on it, and the lookup answers it by primary key instead of a query of its own.
    .leftJoin('device_users as du', (join) => join.onRef('du.device_id', '=', 's.device_id').onRef('du.user_id', '=', 's.user_id'))
    .selectAll('s')
    .select([
      'du.device_id as known_device_id',
      'u.name as user_name',
      'u.email as user_email',
      'u.role as user_role',
      'u.has_two_factor as user_has_two_factor',
      'u.language as user_language',
      'u.break_glass as user_break_glass',
      'a.name as account_name',
      'a.slug as account_slug',
      // Whether 2FA is required of this user: the account requires it and its scope holds them.
      requirementApplies('u', 'a').as('account_require_two_factor'),
      'a.user_verification as account_user_verification',
      'a.second_factor_policy as account_second_factor_policy',
      'a.allowed_networks as account_allowed_networks',
      'a.session_idle_minutes as account_session_idle_minutes',
      'a.session_absolute_hours as account_session_absolute_hours',
    ]);
}

type JudgedSession = Parameters<typeof judgeSession>[0];
type JudgedUser = Parameters<typeof judgeSession>[1];
type JudgedAccount = Parameters<typeof judgeSession>[2];

/** judgeSession (sessions/assurance.ts) on a row of sessionLookup: the session, its user's methods, the requirement on them. */
function judgeLookedUp(
  row: JudgedSession & {
    user_has_two_factor: JudgedUser['has_two_factor'];
    account_require_two_factor: JudgedAccount['require_two_factor'];
    account_second_factor_policy: JudgedAccount['second_factor_policy'];
  },
  now: number,
) {
  return judgeSession(row, { has_two_factor: row.user_has_two_factor }, { require_two_factor: row.account_require_two_factor, second_factor_policy: row.account_second_factor_policy }, now);
}

export class Sessions {
  private readonly findByTokenHash;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly lifetimes: SessionLifetimes,
    private readonly events: SessionEvents,
  ) {
    // Every authenticated request runs this: compiled once (see store/prepared.ts).
    this.findByTokenHash = prepareQuery(db, ['tokenHash'], ({ tokenHash }: { tokenHash: string }) =>
      sessionLookup(db).where('s.token_hash', '=', tokenHash).compile(),
    );
  }

  /** The lifetimes that apply to the account's sessions: its own where it set them, else the server's. */
  lifetimesOf(account: AccountLifetimes): SessionLifetimes {
    return {
      idleMs: account.session_idle_minutes ? account.session_idle_minutes * 60_000 : this.lifetimes.idleMs,
      absoluteMs: account.session_absolute_hours ? account.session_absolute_hours * 3_600_000 : this.lifetimes.absoluteMs,
    };
  }

  private expiry(state: SessionState, createdAt: number, now: number, account: AccountLifetimes = {}): number {
    if (state !== 'active') return now + pendingLifetime[state];
    const { idleMs, absoluteMs } = this.lifetimesOf(account);
    return Math.min(createdAt + absoluteMs, now + idleMs);
  }

  private static accountLifetimes(db: Kysely<Database> | Transaction<Database>, accountId: string): Promise<AccountLifetimes | undefined> {
    return db.selectFrom('accounts').select(['session_idle_minutes', 'session_absolute_hours']).where('id', '=', accountId).executeTakeFirst();
  }

  async create(
    db: Kysely<Database> | Transaction<Database>,
    input: {
      userId: string;
      accountId: string;
      state: SessionState;
      clientAddress?: string;
      userAgent?: string | undefined;
      deviceId?: string | null;
      /** The sign-in checked the password (not a passkey alone): password_at is now. */
      passwordVerified?: boolean;
      /** Active without the second step, through a remembered device: remembered_at is now (never second_factor_at). */
      remembered?: boolean;
    },
  ): Promise<{ token: string; session: SessionsTable }> {
    const now = Date.now();
    const token = newToken();
    // An active session lives as its account says (a pending one briefly, whatever the account).
    const account = input.state === 'active' ? await Sessions.accountLifetimes(db, input.accountId) : undefined;
    const session: SessionsTable = {
      id: newId(),
      token_hash: hashToken(token),
      user_id: input.userId,
      account_id: input.accountId,
      state: input.state,
      created_at: now,
      last_seen_at: now,
      expires_at: this.expiry(input.state, now, now, account),
      second_factor_at: null,
      password_at: input.passwordVerified ? now : null,
      revoked_at: null,
      revoked_reason: null,
      client_address: input.clientAddress ?? null,
      user_agent: input.userAgent?.slice(0, 300) ?? null,
      device_id: input.deviceId ?? null,
      ...(input.remembered ? { remembered_at: now } : {}),
    };
    await db.insertInto('sessions').values(session).execute();
    return { token, session };
  }

  async authenticate(token: string): Promise<AuthenticationResult> {
    const row = (await this.findByTokenHash({ tokenHash: hashToken(token) })).rows[0];
    if (!row) return { ok: false, reason: 'unknown' };
    if (row.revoked_at !== null) return { ok: false, reason: (row.revoked_reason as RevocationReason) ?? 'signed_out' };
    const now = Date.now();
    if (row.expires_at <= now) return { ok: false, reason: 'expired' };
    // Judged against the user's methods now: a session that never passed a second factor ends
    // once the user has one, wherever it was added, and whatever raced what (sessions/assurance.ts).
    const judgement = judgeLookedUp(row, now);
    if (!judgement.ok) {
      await this.revoke([row.id], judgement.reason);
      return { ok: false, reason: judgement.reason };
    }
    if (now - row.last_seen_at > TOUCH_INTERVAL) {
      const expiresAt = this.expiry(row.state, row.created_at, now, {
        session_idle_minutes: row.account_session_idle_minutes,
        session_absolute_hours: row.account_session_absolute_hours,
      });
      await this.db
        .updateTable('sessions')
        .set({ last_seen_at: now, expires_at: row.state === 'active' ? expiresAt : row.expires_at })
        .where('id', '=', row.id)
        .execute();
      row.last_seen_at = now;
    }
    const session: SessionsTable = {
      id: row.id,
      token_hash: row.token_hash,
      user_id: row.user_id,
      account_id: row.account_id,
      state: row.state,
      created_at: row.created_at,
      last_seen_at: row.last_seen_at,
      expires_at: row.expires_at,
      second_factor_at: row.second_factor_at,
      password_at: row.password_at,
      revoked_at: null,
      revoked_reason: null,
      client_address: row.client_address,
      user_agent: row.user_agent,
      device_id: row.device_id,
      remembered_at: row.remembered_at ?? null,
      postponed_at: row.postponed_at ?? null,
      postponed_until: row.postponed_until ?? null,
    };
    return {
      ok: true,
      value: {
        session,
        knownDevice: row.known_device_id !== null,
        user: {
          id: row.user_id,
          account_id: row.account_id,
          name: row.user_name,
          email: row.user_email,
          role: row.user_role,
          has_two_factor: row.user_has_two_factor,
          language: row.user_language ?? null,
          break_glass: row.user_break_glass ?? 0,
        },
        account: {
          id: row.account_id,
          name: row.account_name,
          slug: row.account_slug,
          require_two_factor: row.account_require_two_factor,
          user_verification: row.account_user_verification,
          second_factor_policy: row.account_second_factor_policy,
          allowed_networks: row.account_allowed_networks ?? null,
          session_idle_minutes: row.account_session_idle_minutes ?? null,
          session_absolute_hours: row.account_session_absolute_hours ?? null,
        },
      },
    };
  }

  /**
   * Judges a live session again without a request (sessions/assurance.ts), as the lookup would:
   * an event stream whose postponed session reaches its grace's end (http/routes/events.ts). A
   * session that may not go on is revoked and pushed like one a request found; returns why, or
   * null when it goes on (or had already ended: its own revocation was pushed then).
   */
  async judgeById(sessionId: string, now = Date.now()): Promise<RevocationReason | null> {
    const row = await sessionLookup(this.db).where('s.id', '=', sessionId).executeTakeFirst();
    if (!row || row.revoked_at !== null || row.expires_at <= now) return null;
    const judgement = judgeLookedUp(row, now);
    if (judgement.ok) return null;
    await this.revoke([row.id], judgement.reason);
    return judgement.reason;
  }

  /**
   * The user proved a second factor: the session becomes (or stays) active, re-authenticated
   * now, under a new token (OWASP ASVS 5.0 7.2.4): the token that came before it ends here.
   * The session keeps its id, so its event streams go on.
   */
  async passSecondFactor(
    db: Kysely<Database> | Transaction<Database>,
    session: SessionsTable,
    now = Date.now(),
    /** The account's lifetimes when the caller has them (an authenticated request does): no query then. */
    account?: AccountLifetimes,
  ): Promise<{ session: SessionsTable; token: string }> {
    const expiresAt = this.expiry('active', session.created_at, now, account ?? (await Sessions.accountLifetimes(db, session.account_id)));
    const token = newToken();
    const tokenHash = hashToken(token);
    await activate(db, { tokenHash, now, expiresAt, id: session.id });
    return { session: { ...session, token_hash: tokenHash, state: 'active', second_factor_at: now, last_seen_at: now, expires_at: expiresAt }, token };
  }

  /**
   * The user postponed enrolment within their grace (enforcement/grace.ts): the enrolment session
   * becomes active, marked postponed (never a second factor), under a new token like
   * passSecondFactor; the old token ends. Only a live session still enrolling moves: undefined
   * when another request moved or ended it first.
   */
  async postpone(
    db: Kysely<Database> | Transaction<Database>,
    session: SessionsTable,
    /** The end date of the grace it postponed within (null: by count only): the session ends with it (sessions/assurance.ts). */
    graceUntil: number | null,
    now = Date.now(),
  ): Promise<{ session: SessionsTable; token: string } | undefined> {
    const expiresAt = this.expiry('active', session.created_at, now, await Sessions.accountLifetimes(db, session.account_id));
    const token = newToken();
    const tokenHash = hashToken(token);
    const moved = await db
      .updateTable('sessions')
      .set({ state: 'active', token_hash: tokenHash, postponed_at: now, postponed_until: graceUntil, last_seen_at: now, expires_at: expiresAt })
      .where('id', '=', session.id)
      .where('state', '=', 'enrollment_required')
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) return undefined;
    return { session: { ...session, token_hash: tokenHash, state: 'active', postponed_at: now, postponed_until: graceUntil, last_seen_at: now, expires_at: expiresAt }, token };
  }

  /**
   * The session passed a code but must add a security key before anything else
   * (second-factors/policy.ts codeStepUnder): back to enrolment, for as long as one lives.
   */
  async holdForSecurityKey<S extends SessionsTable>(db: Kysely<Database> | Transaction<Database>, session: S, now = Date.now()): Promise<S> {
    const expiresAt = Math.min(Number(session.expires_at), now + pendingLifetime.enrollment_required);
    await db.updateTable('sessions').set({ state: 'enrollment_required', expires_at: expiresAt }).where('id', '=', session.id).execute();
    return { ...session, state: 'enrollment_required', expires_at: expiresAt };
  }

  /**
   * The user entered their password again in this session (POST /sessions/current/password):
   * re-authentication, so under a new token like passSecondFactor (OWASP ASVS 5.0 7.2.4); the
   * token it came with ends here. The state, the second factor and the expiry stay as they were.
   * password_at survives passSecondFactor's rotation in turn: it is the same row.
   */
  async confirmPassword(
    db: Kysely<Database> | Transaction<Database>,
    session: SessionsTable,
    now = Date.now(),
  ): Promise<{ session: SessionsTable; token: string }> {
    const token = newToken();
    const tokenHash = hashToken(token);
    await db.updateTable('sessions').set({ token_hash: tokenHash, password_at: now, last_seen_at: now }).where('id', '=', session.id).where('revoked_at', 'is', null).execute();
    return { session: { ...session, token_hash: tokenHash, password_at: now, last_seen_at: now }, token };
  }

  /**
   * Revokes, inside `trx`, every live session of the user that never passed a second factor
   * (other than `exceptId`): called when the user gets a method. Returns their ids.
   */
  static async revokePasswordOnlySessions(
    trx: Kysely<Database> | Transaction<Database>,
    input: { userId: string; exceptId?: string | undefined },
    reason: RevocationReason,
    now = Date.now(),
  ): Promise<string[]> {
    let query = trx
      .updateTable('sessions')
      .set({ revoked_at: now, revoked_reason: reason })
      .where('user_id', '=', input.userId)
      .where('revoked_at', 'is', null)
      .where('second_factor_at', 'is', null)
      .where('state', '!=', 'two_factor_required');
    if (input.exceptId) query = query.where('id', '!=', input.exceptId);
    const rows = await query.returning('id').execute();
    return rows.map((r) => r.id);
  }

  /** Revokes, inside `trx`, every live session of the user but one (`exceptId`); returns their ids. */
  static async revokeOtherSessions(
    trx: Kysely<Database> | Transaction<Database>,
    input: { userId: string; exceptId: string },
    reason: RevocationReason,
    now = Date.now(),
  ): Promise<string[]> {
    const rows = await trx
      .updateTable('sessions')
      .set({ revoked_at: now, revoked_reason: reason })
      .where('user_id', '=', input.userId)
      .where('id', '!=', input.exceptId)
      .where('revoked_at', 'is', null)
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * An admin changed a user's grace and it is still open (enforcement/grace.ts): the sessions the
   * user postponed enrolment into now end when the grace now ends (`until`; null: by count only,
   * their lifetime), inside the caller's transaction (sessions/assurance.ts judges by it).
   */
  static async followGraceEnd(trx: Transaction<Database>, input: { userId: string; until: number | null }): Promise<void> {
    await trx
      .updateTable('sessions')
      .set({ postponed_until: input.until })
      .where('user_id', '=', input.userId)
      .where('postponed_at', 'is not', null)
      .where('second_factor_at', 'is', null)
      .where('revoked_at', 'is', null)
      .execute();
  }

  /**
   * 2FA became required in the account (or its policy tightened), inside `trx`: every live
   * session of a user without a method the policy accepts ends (with `reason`); and when the requirement itself
   * turns on (`passwordOnly`), every session that never passed a second factor too, whoever
   * its user (found by a partial index). Returns the ended sessions and their users.
   */
  static async revokeUnderRequirement(
    trx: Kysely<Database> | Transaction<Database>,
    input: {
      accountId: string;
      acceptedMethodFlag: 'has_two_factor' | 'has_security_key';
      reason: 'two_factor_required' | 'security_key_required';
      passwordOnly: boolean;
      /** Which users the requirement applies to (enforcement/requirement-scope.ts), as SQL over the users alias given. */
      users?: ((alias: string) => Expression<SqlBool>) | undefined;
      /** Only among these users (a membership or role change); absent: the whole account. */
      userIds?: readonly string[] | undefined;
      /** Only `active` sessions (a scope that grows while the requirement is on: a session already enrolling goes on). */
      activeOnly?: boolean | undefined;
      /**
       * Only sessions that live because their user postponed enrolment (enforcement/grace.ts):
       * marked postponed and never past a second factor. An admin ending one user's grace.
       */
      postponedOnly?: boolean | undefined;
      /**
       * The users who are without a method, when the save itself takes their last one away
       * (a security-key rule, second-factors/key-models.ts: their flags are still set, and the
       * query applies the scope itself); replaces `acceptedMethodFlag`, `users` and `userIds`.
       */
      withoutMethod?: SelectQueryBuilder<Database & { u: UsersTable }, 'u', { id: string }> | undefined;
    },
    now = Date.now(),
  ): Promise<{ withoutMethod: { id: string; user_id: string }[]; passwordOnly: { id: string; user_id: string }[] }> {
    const inScope = input.users;
    const ids = input.userIds;
    const withoutMethod = await trx
      .updateTable('sessions')
      .set({ revoked_at: now, revoked_reason: input.reason })
      .where('account_id', '=', input.accountId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .$if(input.activeOnly === true, (q) => q.where('state', '=', 'active'))
      .$if(input.postponedOnly === true, (q) => q.where('postponed_at', 'is not', null).where('second_factor_at', 'is', null))
      .where('user_id', 'in', (eb) =>
        input.withoutMethod ??
        eb
          .selectFrom('users as su')
          .select('su.id')
          .where('su.account_id', '=', input.accountId)
          .where(`su.${input.acceptedMethodFlag}`, '=', 0)
          .$if(inScope !== undefined, (q) => q.where(inScope!('su')))
          .$if(ids !== undefined, (q) => q.where('su.id', 'in', ids!.length ? [...ids!] : [''])),
      )
      .returning(['id', 'user_id'])
      .execute();
    if (!input.passwordOnly) return { withoutMethod, passwordOnly: [] };
    const passwordOnly = await trx
      .updateTable('sessions')
      .set({ revoked_at: now, revoked_reason: 'two_factor_required' })
      .where('account_id', '=', input.accountId)
      .where('second_factor_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .$if(inScope !== undefined, (q) =>
        q.where('user_id', 'in', (eb) => eb.selectFrom('users as su').select('su.id').where('su.account_id', '=', input.accountId).where(inScope!('su'))),
      )
      .returning(['id', 'user_id'])
      .execute();
    return { withoutMethod, passwordOnly };
  }

  /**
   * Revokes, inside `trx`, every live session in the account of one user (`userId`) or of
   * everyone but one (`exceptUserId`): an admin's sign-out. Returns the ended sessions and their users.
   */
  static async revokeInAccount(
    trx: Kysely<Database> | Transaction<Database>,
    input: { accountId: string } & ({ userId: string } | { exceptUserId: string }),
    reason: RevocationReason,
    now = Date.now(),
  ): Promise<{ id: string; user_id: string }[]> {
    return trx
      .updateTable('sessions')
      .set({ revoked_at: now, revoked_reason: reason })
      .where('account_id', '=', input.accountId)
      .$if('userId' in input, (q) => q.where('user_id', '=', (input as { userId: string }).userId))
      .$if('exceptUserId' in input, (q) => q.where('user_id', '!=', (input as { exceptUserId: string }).exceptUserId))
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .returning(['id', 'user_id'])
      .execute();
  }

  /** Revokes sessions and tells their open event streams. */
  async revoke(sessionIds: string[], reason: RevocationReason): Promise<void> {
    if (sessionIds.length === 0) return;
    const now = Date.now();
    for (let i = 0; i < sessionIds.length; i += 500) {
      await this.db
        .updateTable('sessions')
        .set({ revoked_at: now, revoked_reason: reason })
        .where('id', 'in', sessionIds.slice(i, i + 500))
        .where('revoked_at', 'is', null)
        .execute();
    }
    await this.events.publishRevoked(sessionIds, reason);
  }

  /** Revokes, inside `trx`, every live session of the given users; returns their ids. */
  static async revokeUsersSessions(
    trx: Kysely<Database> | Transaction<Database>,
    userIds: string[],
    reason: RevocationReason,
    now = Date.now(),
  ): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < userIds.length; i += 500) {
      const rows = await trx
        .updateTable('sessions')
        .set({ revoked_at: now, revoked_reason: reason })
        .where('user_id', 'in', userIds.slice(i, i + 500))
        .where('revoked_at', 'is', null)
        .returning('id')
        .execute();
      for (const r of rows) ids.push(r.id);
    }
    return ids;
  }

  /** Forgets sessions that ended long ago. */
  async purgeEnded(olderThanMs = 7 * 24 * 60 * MINUTE): Promise<void> {
    const now = Date.now();
    await this.db.deleteFrom('sessions').where('expires_at', '<', now - olderThanMs).execute();
    await this.db.deleteFrom('challenges').where('expires_at', '<', now).execute();
    // A device unseen for longer than its cookie can live is gone from the desk too.
    await this.db.deleteFrom('devices').where('last_seen_at', '<', now - 400 * 24 * 60 * MINUTE).execute();
    // A remembrance past its end skips nothing (sessions/remembered-devices.ts): its row goes.
    await this.db.deleteFrom('remembered_devices').where('expires_at', '<', now).execute();
    // Limits with nothing in flight, unlocked, and no failure for a day are empty.
    await this.db
      .deleteFrom('throttles')
      .where('reserved_at', '<', now - 24 * 60 * MINUTE)
      .where((eb) => eb.or([eb('last_failure_at', 'is', null), eb('last_failure_at', '<', now - 24 * 60 * MINUTE)]))
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
      .execute();
  }
}

export function sessionView(session: SessionsTable) {
  return {
    state: session.state,
    expiresAt: new Date(Number(session.expires_at)).toISOString(),
    secondFactorAt: session.second_factor_at === null ? null : new Date(Number(session.second_factor_at)).toISOString(),
  };
}
