import { CtapHidError } from '../errors.js';

// A largest CTAPHID message is 129 reports; keep room for two plus keepalives, and treat a device
// that outruns that as broken rather than buffering without end.
const DEFAULT_CAPACITY = 300;

/** Queue between an event-driven report source and `read(timeout)` callers. */
export class ReportInbox {
  #queue: Uint8Array[] = [];
  #waiter: { resolve: (r: Uint8Array) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;
  #failure: CtapHidError | (() => CtapHidError) | undefined;
  #overflowed = false;

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  push(report: Uint8Array): void {
    if (this.#failure) return;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      clearTimeout(waiter.timer);
      waiter.resolve(report);
      return;
    }
    if (this.#queue.length >= this.capacity) {
      this.#overflowed = true;
      return;
    }
    this.#queue.push(report);
  }

  /**
   * Ends the inbox: pending and future reads fail with `error`. A function is called only when a
   * read is actually failed: closing after a finished transaction builds no error (and no stack).
   */
  fail(error: CtapHidError | (() => CtapHidError)): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#queue = [];
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.reject(this.#error());
    }
  }

  #error(): CtapHidError {
    const failure = this.#failure!;
    if (typeof failure !== 'function') return failure;
    const error = failure();
    this.#failure = error;
    return error;
  }

  read(timeoutMs: number): Promise<Uint8Array> {
    if (this.#overflowed) {
      this.#overflowed = false;
      this.#queue = [];
      return Promise.reject(new CtapHidError('overflow', 'The security key sent more data than expected.'));
    }
    const next = this.#queue.shift();
    if (next) return Promise.resolve(next);
    if (this.#failure) return Promise.reject(this.#error());
    if (this.#waiter) return Promise.reject(new Error('ReportInbox: only one reader at a time'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new CtapHidError('timeout', 'The security key did not answer in time.'));
      }, Math.max(0, timeoutMs));
      this.#waiter = { resolve, reject, timer };
    });
  }

  /** Drops queued reports, e.g. stale answers before a new transaction. */
  clear(): void {
    this.#queue = [];
    this.#overflowed = false;
  }
}
