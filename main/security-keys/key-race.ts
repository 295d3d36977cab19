import { CtapHidError, SecurityKeyError } from './errors.js';
import type { CtapHidOptions } from './ctaphid.js';
import { openSecurityKey, type OpenSecurityKey } from './security-key.js';
import type { SecurityKeyDiscovery } from './transport/transport.js';

export interface AttemptControl {
  /** Aborted when another key wins, the user cancels, or time runs out. */
  signal: AbortSignal;
  deadline: number;
  /** More than one key is in play, so a key needing a PIN must first be chosen by a touch. */
  otherKeysPresent(): boolean;
  /** The user picked this key (touched it): cancel every other key. Throws if another key won first. */
  claim(): void;
  touchNeeded(): void;
}

/**
 * How many times in a row every key present may leave CTAPHID_INIT unanswered before the request
 * ends as "not responding": a wedged key does not come back without being plugged in again, and
 * waiting out the whole ceremony would end it as an untouched key.
 */
export const SILENT_INIT_LIMIT = 3;

export type KeyAttempt<T> = (key: OpenSecurityKey, control: AttemptControl) => Promise<T>;

export interface RaceOptions {
  discovery: SecurityKeyDiscovery;
  signal: AbortSignal;
  deadline: number;
  pollIntervalMs: number;
  hid?: CtapHidOptions;
  onWaitingForKey(): void;
  onTouchNeeded(): void;
}

/**
 * Runs `attempt` on every key present, and on keys plugged in meanwhile, until one key settles
 * the request: it succeeded, or failed after the user chose it. Keys that cannot serve the request
 * (not registered, unsupported) drop out quietly; when every present key dropped out, the most
 * telling of their errors is thrown. No key at all means waiting for one, until the deadline.
 */
export async function raceSecurityKeys<T>(attempt: KeyAttempt<T>, options: RaceOptions): Promise<T> {
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  const droppedOut = new Map<string, unknown>(); // by transport id, until the key is unplugged
  const silentInits = new Map<string, number>(); // INITs left unanswered in a row, by transport id
  let winner: string | undefined;
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  let wake: () => void = () => undefined;
  let waitingAnnounced = false;
  let lastPresent: string[] = [];

  const cancelOthers = (keep: string) => {
    for (const [id, entry] of running) if (id !== keep) entry.controller.abort();
  };

  const start = (transportId: string, open: () => Promise<OpenSecurityKey>) => {
    // Linked by hand: on Node 20 AbortSignal.any costs more than the rest of a ceremony.
    const controller = new AbortController();
    const follow = () => controller.abort(options.signal.reason);
    if (options.signal.aborted) follow();
    else options.signal.addEventListener('abort', follow, { once: true });
    const signal = controller.signal;
    const control: AttemptControl = {
      signal,
      deadline: options.deadline,
      otherKeysPresent: () => running.size > 1,
      claim() {
        if (winner !== undefined && winner !== transportId) throw new SecurityKeyError('cancelled');
        winner = transportId;
        cancelOthers(transportId);
      },
      touchNeeded: options.onTouchNeeded,
    };
    const done = (async () => {
      let key: OpenSecurityKey | undefined;
      try {
        try {
          key = await open();
          silentInits.delete(transportId);
        } catch (error) {
          if (error instanceof CtapHidError && error.reason === 'no_init_answer') silentInits.set(transportId, (silentInits.get(transportId) ?? 0) + 1);
          throw error;
        }
        if (signal.aborted) throw new SecurityKeyError('cancelled');
        const value = await attempt(key, control);
        if (winner === undefined || winner === transportId) {
          winner = transportId;
          outcome = { ok: true, value };
          cancelOthers(transportId);
        }
      } catch (error) {
        if (winner === transportId) outcome ??= { ok: false, error };
        else if (!controller.signal.aborted) droppedOut.set(transportId, error);
      } finally {
        options.signal.removeEventListener('abort', follow);
        await key?.hid.close().catch(() => undefined);
        running.delete(transportId);
        wake();
      }
    })();
    running.set(transportId, { controller, done });
  };

  /** Keys are present and every one of them left INIT unanswered at least `times` in a row. */
  const allSilent = (times: number) => winner === undefined && lastPresent.length > 0 && lastPresent.every((id) => (silentInits.get(id) ?? 0) >= times);

  const aborted = new Promise<void>((resolve) => options.signal.addEventListener('abort', () => resolve(), { once: true }));
  try {
    for (;;) {
      if (outcome) break;
      const pastDeadline = Date.now() >= options.deadline;
      if (options.signal.aborted || pastDeadline) {
        // The key the agent chose ends with its own account of what it was doing (a PIN prompt
        // that timed out, say); its attempt ends promptly once its signal is aborted.
        if (winner !== undefined) {
          if (!options.signal.aborted) for (const entry of running.values()) entry.controller.abort(new SecurityKeyError('timeout'));
          await Promise.allSettled([...running.values()].map((e) => e.done));
        }
        if (outcome) break;
        const cancelled = options.signal.aborted && !(options.signal.reason instanceof SecurityKeyError && options.signal.reason.code === 'timeout');
        // Out of time with only silent keys: nobody could have touched them.
        if (!cancelled && allSilent(1)) throw new SecurityKeyError('key_not_responding');
        if (!options.signal.aborted) throw new SecurityKeyError('timeout');
        throw options.signal.reason instanceof Error ? options.signal.reason : new SecurityKeyError('cancelled');
      }
      if (winner === undefined) {
        const transports = await options.discovery.list().catch(() => []);
        lastPresent = transports.map((t) => t.id);
        for (const id of silentInits.keys()) if (!lastPresent.includes(id)) silentInits.delete(id);
        if (allSilent(SILENT_INIT_LIMIT)) throw new SecurityKeyError('key_not_responding');
        for (const id of droppedOut.keys()) {
          // Unplugged keys may come back and deserve a new try; transport hiccups are retried too.
          if (!lastPresent.includes(id) || isTransient(droppedOut.get(id))) droppedOut.delete(id);
        }
        for (const transport of transports) {
          if (!running.has(transport.id) && !droppedOut.has(transport.id)) start(transport.id, () => openSecurityKey(transport, options.hid));
        }
        if (running.size === 0) {
          const failures = lastPresent.map((id) => droppedOut.get(id)).filter((e) => e !== undefined && !isTransient(e));
          if (failures.length > 0 && failures.length === lastPresent.length) throw failures[0];
          if (!waitingAnnounced) {
            waitingAnnounced = true;
            options.onWaitingForKey();
          }
        }
      }
      // A plain timer cleared on wake-up: aborting a timers/promises sleep builds an AbortError each turn.
      let timer: NodeJS.Timeout | undefined;
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, Math.max(1, Math.min(options.pollIntervalMs, options.deadline - Date.now())));
      });
      await Promise.race([woken, aborted]);
      clearTimeout(timer);
    }
  } finally {
    for (const entry of running.values()) entry.controller.abort();
    await Promise.allSettled([...running.values()].map((e) => e.done));
  }
  const settled = outcome as { ok: true; value: T } | { ok: false; error: unknown };
  if (settled.ok) return settled.value;
  throw settled.error;
}

/**
 * A transport hiccup worth another try on the next poll. A message too large for the key is not:
 * the same request would fail the same way, so it settles the key at once.
 */
function isTransient(error: unknown): boolean {
  return error instanceof CtapHidError && error.reason !== 'message_too_large';
}
