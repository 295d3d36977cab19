// One connection state for the whole app. Every call goes through here: a call that cannot
// reach the server marks the connection lost, and from then on the app probes the server with
// back-off (and at once on "Retry") until it answers. Reads wait for the connection instead of
// failing, so a screen that was loading keeps loading and fills in when the server is back;
// writes fail with network_error, since repeating one behind the user's back could do it twice.
// Each recovery bumps `generation`, which screens use to refresh what they show.
import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { AgentDeskApi } from './bridge';
import { ApiError } from '../../../contract/api-error';

export interface ConnectionState {
  online: boolean;
  /** Goes up by one each time the server answers again after being lost. */
  generation: number;
  /** When the next automatic try happens (ms since epoch), while lost. */
  nextTryAt: number | null;
}

/** Calls that only read: safe to repeat, so they wait for the server instead of failing. */
const reads = new Set<string>([
  'getSignupStatus',
  'getCurrentSession',
  'getMe',
  'getSecuritySettings',
  'getEnforcementImpact',
  'listUsers',
  'exportUsers',
  'listAuditEvents',
  'exportAuditEvents',
  'listSecurityActivity',
  'listSecurityAlerts',
  'listMySessions',
]);

export interface ConnectionOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export class Connection {
  #state: ConnectionState = { online: true, generation: 0, nextTryAt: null };
  readonly #listeners = new Set<() => void>();
  readonly #waiters = new Set<() => void>();
  readonly #probe: () => Promise<unknown>;
  readonly #initial: number;
  readonly #max: number;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #probing = false;

  constructor(probe: () => Promise<unknown>, options: ConnectionOptions = {}) {
    this.#probe = probe;
    this.#initial = options.initialDelayMs ?? 1_000;
    this.#max = options.maxDelayMs ?? 15_000;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  #set(next: Partial<ConnectionState>) {
    this.#state = { ...this.#state, ...next };
    for (const listener of this.#listeners) listener();
  }

  /** A call could not reach the server (or the event stream dropped). */
  lost(): void {
    if (!this.#state.online) return;
    this.#attempt = 0;
    this.#set({ online: false });
    this.#schedule();
  }

  /** The server answered something (any status): it is reachable. */
  answered(): void {
    if (this.#state.online) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#attempt = 0;
    this.#set({ online: true, generation: this.#state.generation + 1, nextTryAt: null });
    for (const wake of [...this.#waiters]) wake();
  }

  /** "Retry": try now, and start the back-off over. */
  retryNow(): void {
    if (this.#state.online) return;
    clearTimeout(this.#timer);
    this.#attempt = 0;
    void this.#try();
  }

  /** Resolves when the server answers again (at once when it is reachable). */
  whenOnline(): Promise<void> {
    if (this.#state.online) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.#waiters.delete(wake);
        resolve();
      };
      this.#waiters.add(wake);
    });
  }

  #schedule() {
    const base = Math.min(this.#max, this.#initial * 2 ** Math.min(this.#attempt++, 20));
    const delay = Math.round(base * (0.8 + 0.4 * Math.random()));
    this.#set({ nextTryAt: Date.now() + delay });
    this.#timer = setTimeout(() => void this.#try(), delay);
  }

  async #try() {
    if (this.#probing || this.#state.online) return;
    this.#probing = true;
    try {
      await this.#probe();
      this.answered();
    } catch (error) {
      if (ApiError.from(error).code === 'network_error') this.#schedule();
      else this.answered();
    } finally {
      this.#probing = false;
    }
  }

  /** The bridge with every call reporting to this connection; reads wait out a lost connection. */
  wrap(api: AgentDeskApi): AgentDeskApi {
    const wrapped: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(api) as [string, unknown][]) {
      if (typeof fn !== 'function') continue;
      const call = (args: unknown[]) => (fn as (...a: unknown[]) => unknown).apply(api, args);
      wrapped[name] = (...args: unknown[]) => {
        const first = call(args);
        if (!(first instanceof Promise)) return first;
        const settle = async (attempt: Promise<unknown>): Promise<unknown> => {
          try {
            const value = await attempt;
            this.answered();
            return value;
          } catch (error) {
            const apiError = ApiError.from(error);
            if (apiError.code !== 'network_error') {
              // Any answer from the server, even a refusal, means it is reachable.
              if (apiError.status !== null) this.answered();
              throw apiError;
            }
            this.lost();
            if (!reads.has(name)) throw apiError;
            await this.whenOnline();
            return settle(call(args) as Promise<unknown>);
          }
        };
        return settle(first);
      };
    }
    return wrapped as unknown as AgentDeskApi;
  }
}

let shared: Connection | undefined;

export function setSharedConnection(connection: Connection): void {
  shared = connection;
}

export function sharedConnection(): Connection {
  if (!shared) throw new Error('the connection is used before the bridge made it');
  return shared;
}

/** The app's connection state, re-rendering on every change. */
export function useConnection(): ConnectionState & { retryNow: () => void } {
  const connection = sharedConnection();
  const state = useSyncExternalStore(connection.subscribe, () => connection.state);
  return { ...state, retryNow: () => connection.retryNow() };
}

/**
 * Runs `refresh` each time the server answers again after being lost (not on first render):
 * what a screen shows stays on screen while the connection is down and is brought up to date
 * when it returns.
 */
export function useReconnected(refresh: () => void): void {
  const { generation } = useSyncExternalStore(sharedConnection().subscribe, () => sharedConnection().state);
  const latest = useRef(refresh);
  latest.current = refresh;
  const seen = useRef(generation);
  useEffect(() => {
    if (generation === seen.current) return;
    seen.current = generation;
    latest.current();
  }, [generation]);
}

/** The generation of the connection, for an effect's dependencies: it re-runs after each recovery. */
export function useConnectionGeneration(): number {
  return useSyncExternalStore(sharedConnection().subscribe, () => sharedConnection().state).generation;
}
