// The server-sent event stream of the signed-in session, held by main (the renderer never sees
// the token). `session.revoked` ends the session at once; a dropped connection is reopened with
// exponential back-off, and a reconnect the server refuses (401) means the session ended while
// we were away (the answer's `reason` says why, as a pushed revocation would). `reconnect` is an
// instance shutting down gracefully (a rolling restart): the stream is reopened at once, through
// the load balancer to another instance, and the window hears nothing unless that fails. The stream is main's first sign that the server went away and came back: each
// change is reported once, for the window's connection banner.

export interface SessionEventsOptions {
  /** GET /api/v1/events of the server. */
  url: string;
  token: string;
  onRevoked(reason: string): void;
  /** `account.updated`: an admin saved the account's security settings. */
  onAccountUpdated?(event: { requireTwoFactor: boolean }): void;
  /** Called on every `ready`, i.e. each time the stream is (re)established. */
  onConnected?(): void;
  /**
   * The stream dropped (or could not be opened) and is being retried: `dropped`, once per
   * outage; it is back (`ready`, or the server answered the reconnect at all): `restored`.
   */
  onConnectionChange?(state: 'dropped' | 'restored'): void;
  log?(line: string): void;
  /** First retry delay; doubles up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** No byte (not even the server's heartbeat) for this long means a dead connection. */
  idleTimeoutMs?: number;
}

export interface SessionEventsConnection {
  close(): void;
  readonly closed: boolean;
}

interface ServerSentEvent {
  event: string;
  data: string;
}

/** Parses an event-stream chunk by chunk (WHATWG HTML §9.2.6, without ids, which we do not use). */
export class EventStreamParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];

  push(chunk: string): ServerSentEvent[] {
    this.#buffer += chunk;
    const out: ServerSentEvent[] = [];
    let newline: number;
    while ((newline = this.#buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.#buffer.slice(0, newline);
      const width = this.#buffer.startsWith('\r\n', newline) ? 2 : 1;
      // A lone \r at the end of a chunk may be half of \r\n: wait for the next chunk.
      if (this.#buffer[newline] === '\r' && width === 1 && newline === this.#buffer.length - 1) break;
      this.#buffer = this.#buffer.slice(newline + width);
      if (line === '') {
        if (this.#data.length) out.push({ event: this.#event || 'message', data: this.#data.join('\n') });
        this.#event = '';
        this.#data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') this.#event = value;
      else if (field === 'data') this.#data.push(value);
    }
    if (this.#buffer.length > 1_000_000) throw new Error('event stream line too long');
    return out;
  }
}

/** The delay before reconnect attempt `attempt` (0-based): doubling, capped, with ±20 % jitter. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random = Math.random): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.8 + 0.4 * random()));
}

function reasonOf(data: string): string {
  try {
    const parsed = JSON.parse(data) as { reason?: unknown };
    if (typeof parsed.reason === 'string' && parsed.reason) return parsed.reason;
  } catch {
    // fall through to the generic reason
  }
  return 'signed_out';
}

/** The reason in a 401 answer's body (`{error: {code, reason}}`); a session unknown to the server has expired. */
function refusalReason(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { reason?: unknown } };
    const reason = parsed.error?.reason;
    if (typeof reason === 'string' && reason && reason !== 'unknown') return reason;
  } catch {
    // not JSON: the generic reason
  }
  return 'expired';
}

function accountUpdateOf(data: string): { requireTwoFactor: boolean } | null {
  try {
    const parsed = JSON.parse(data) as { requireTwoFactor?: unknown };
    return typeof parsed.requireTwoFactor === 'boolean' ? { requireTwoFactor: parsed.requireTwoFactor } : null;
  } catch {
    return null;
  }
}

export function connectSessionEvents(options: SessionEventsOptions): SessionEventsConnection {
  const initial = options.initialDelayMs ?? 1_000;
  const max = options.maxDelayMs ?? 30_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const log = options.log ?? (() => {});
  let closed = false;
  let down = false;
  let attempt = 0;
  let quickReconnects = 0;
  let current: AbortController | undefined;
  let retryTimer: NodeJS.Timeout | undefined;

  const finish = () => {
    closed = true;
    clearTimeout(retryTimer);
    current?.abort();
  };

  const revoked = (reason: string) => {
    if (closed) return;
    finish();
    options.onRevoked(reason);
  };

  const reachable = () => {
    if (!down) return;
    down = false;
    options.onConnectionChange?.('restored');
  };

  const scheduleReconnect = (why: string) => {
    if (closed) return;
    if (!down) {
      down = true;
      options.onConnectionChange?.('dropped');
    }
    const delay = backoffDelay(attempt++, initial, max);
    log(`AgentDesk: event stream ${why}; reconnecting in ${delay} ms`);
    retryTimer = setTimeout(() => void open(), delay);
  };

  async function open(): Promise<void> {
    if (closed) return;
    const controller = new AbortController();
    current = controller;
    let idle: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(new Error('idle')), idleTimeoutMs);
    };
    try {
      touch();
      const response = await fetch(options.url, {
        headers: { authorization: `Bearer ${options.token}`, accept: 'text/event-stream' },
        signal: controller.signal,
        redirect: 'error',
      });
      if (response.status === 401) {
        // The server answers again, and no longer knows this session: it ended while the stream
        // was down (or moved to another instance), for the reason the answer gives.
        const reason = await response.text().then(refusalReason, () => 'expired');
        reachable();
        revoked(reason);
        return;
      }
      if (!response.ok || !response.body) {
        await response.body?.cancel();
        scheduleReconnect(`answered ${response.status}`);
        return;
      }
      const parser = new EventStreamParser();
      const decoder = new TextDecoder();
      let toldToReconnect = false;
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        touch();
        for (const event of parser.push(decoder.decode(chunk, { stream: true }))) {
          if (event.event === 'ready') {
            attempt = 0;
            quickReconnects = 0;
            reachable();
            options.onConnected?.();
          } else if (event.event === 'session.revoked') {
            revoked(reasonOf(event.data));
            return;
          } else if (event.event === 'reconnect') {
            toldToReconnect = true;
          } else if (event.event === 'account.updated') {
            const update = accountUpdateOf(event.data);
            if (update) options.onAccountUpdated?.(update);
          }
        }
      }
      // At most a few in a row without a `ready` between (each draining instance says it once):
      // a server that says nothing else is not reopened in a tight loop.
      if (toldToReconnect && !closed && quickReconnects++ < 3) {
        // The instance is draining: another one takes the stream now, with no back-off and
        // nothing said to the window. Should that fail, the usual back-off (and banner) follows.
        log('AgentDesk: event stream: the server asked to reconnect; reconnecting now');
        clearTimeout(idle);
        void open();
        return;
      }
      scheduleReconnect('ended');
    } catch (error) {
      if (closed) return;
      scheduleReconnect(`failed (${error instanceof Error ? error.message : String(error)})`);
    } finally {
      clearTimeout(idle);
    }
  }

  void open();
  return {
    close: finish,
    get closed() {
      return closed;
    },
  };
}
