// Pushed events for signed-in clients. Each open event stream subscribes with its session id;
// revoking sessions delivers `session.revoked` to every stream of those sessions at once.
// With several instances, a relay (see store/postgres-relay.ts) carries revocations between them.

export type RevocationReason = 'two_factor_required' | 'two_factor_reset' | 'signed_out' | 'expired';

export interface SessionRevokedEvent {
  type: 'session.revoked';
  reason: RevocationReason;
}

type Listener = (event: SessionRevokedEvent) => void;

export interface RevocationRelay {
  publish(sessionIds: string[], reason: RevocationReason): Promise<void>;
}

export class SessionEvents {
  private readonly listeners = new Map<string, Set<Listener>>();
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
  deliver(sessionIds: Iterable<string>, reason: RevocationReason): void {
    const event: SessionRevokedEvent = { type: 'session.revoked', reason };
    for (const id of sessionIds) {
      const set = this.listeners.get(id);
      if (!set) continue;
      for (const listener of [...set]) listener(event);
    }
  }

  /** Delivers here and, through the relay, on every other instance. */
  async publishRevoked(sessionIds: string[], reason: RevocationReason): Promise<void> {
    if (sessionIds.length === 0) return;
    this.deliver(sessionIds, reason);
    await this.relay?.publish(sessionIds, reason);
  }
}
