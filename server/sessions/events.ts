// Pushed events for signed-in clients. Each open event stream subscribes with its session id;
// revoking sessions delivers `session.revoked` to every stream of those sessions at once.
// With several instances, a relay (see store/postgres-relay.ts) carries revocations between them.

/**
 * Why a session ended: pushed as `session.revoked`, and the `reason` of its next 401. The one
 * list: the relay between instances accepts exactly these.
 */
export const REVOCATION_REASONS = [
  'two_factor_required',
  /** "Security keys only" took effect and this user has no key (an app alone no longer counts). */
  'security_key_required',
  'two_factor_reset',
  'signed_out',
  'expired',
  /** A method was added from another session: one that never passed a second factor ends. */
  'second_factor_added',
  /** Ended by its user from "Your sessions". */
  'signed_out_elsewhere',
  'deactivated',
  'password_changed',
  /** The user answered "This wasn't me" to a security notification. */
  'not_me',
  /** An admin signed this user, or everyone in the account but themselves, out everywhere. */
  'signed_out_by_admin',
] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export interface SessionRevokedEvent {
  type: 'session.revoked';
  reason: RevocationReason;
  /** When the revocation was published (ms; the sending instance's clock when relayed): the push delay in /metrics. */
  revokedAt?: number | undefined;
}

type Listener = (event: SessionRevokedEvent) => void;

/** What an account's signed-in clients are told when an admin saves its security settings. */
export interface AccountUpdate {
  requireTwoFactor: boolean;
}

export interface AccountUpdatedEvent extends AccountUpdate {
  type: 'account.updated';
}

type AccountListener = (event: AccountUpdatedEvent) => void;

export interface RevocationRelay {
  publish(sessionIds: string[], reason: RevocationReason, revokedAt?: number): Promise<void>;
  /** Carries `account.updated` to the other instances. */
  publishAccountUpdated?(accountId: string, update: AccountUpdate): Promise<void>;
}

export class SessionEvents {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly accountListeners = new Map<string, Set<AccountListener>>();
  private relay: RevocationRelay | undefined;

  useRelay(relay: RevocationRelay): void {
    this.relay = relay;
  }

  subscribe(sessionId: string, listener: Listener): () => void {
    let set = this.listeners.get(sessionId);
    if (!set) this.listeners.set(sessionId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(sessionId);
    };
  }

  /** A stream also hears its account's `account.updated`. */
  subscribeAccount(accountId: string, listener: AccountListener): () => void {
    let set = this.accountListeners.get(accountId);
    if (!set) this.accountListeners.set(accountId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.accountListeners.delete(accountId);
    };
  }

  /** Delivers `account.updated` to the streams of that account held by this instance. */
  deliverAccountUpdated(accountId: string, update: AccountUpdate): void {
    const set = this.accountListeners.get(accountId);
    if (!set) return;
    const event: AccountUpdatedEvent = { type: 'account.updated', requireTwoFactor: update.requireTwoFactor };
    for (const listener of [...set]) listener(event);
  }

  /** Delivers `account.updated` here and, through the relay, on every other instance. */
  async publishAccountUpdated(accountId: string, update: AccountUpdate): Promise<void> {
    this.deliverAccountUpdated(accountId, update);
    await this.relay?.publishAccountUpdated?.(accountId, update);
  }

  /** Sessions with a stream open on this instance. */
  sessionIds(): IterableIterator<string> {
    return this.listeners.keys();
  }

  get openStreams(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  /** Delivers to the streams held by this instance. */
  deliver(sessionIds: Iterable<string>, reason: RevocationReason, revokedAt?: number): void {
    const event: SessionRevokedEvent = revokedAt === undefined ? { type: 'session.revoked', reason } : { type: 'session.revoked', reason, revokedAt };
    for (const id of sessionIds) {
      const set = this.listeners.get(id);
      if (!set) continue;
      for (const listener of [...set]) listener(event);
    }
  }

  /** Delivers here and, through the relay, on every other instance. */
  async publishRevoked(sessionIds: string[], reason: RevocationReason): Promise<void> {
    if (sessionIds.length === 0) return;
    const revokedAt = Date.now();
    // The other instances are told first, so they push to their streams while this one pushes
    // to its own, rather than after: a deployment day's last sign-out is then one delivery, not
    // two. One turn of the event loop lets the relay's statement leave before the loop below.
    const relayed = this.relay?.publish(sessionIds, reason, revokedAt);
    if (relayed) await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      // In one go: every stream gets its event before any of their sockets' closing is handled
      // (delivered in slices, the closes of one slice delayed the next: 10,000 streams' last
      // event came at 1.9 s instead of 0.5 s). 10,000 writes hold the loop for about 0.5 s.
      this.deliver(sessionIds, reason, revokedAt);
    } finally {
      await relayed;
    }
  }
}
