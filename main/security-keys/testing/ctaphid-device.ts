import { randomBytes } from 'node:crypto';
import { BROADCAST_CID, CONT_DATA_SIZE, CtapHidCommand, CtapHidErrorCode, INIT_DATA_SIZE, MAX_MESSAGE_SIZE, encodeMessage, parseFrame } from '../ctaphid-frames.js';
import type { DevicePort } from '../transport/memory.js';

/** What a simulated key does with complete CTAPHID messages. */
export interface HidMessageHandler {
  readonly capabilities: number;
  /** Largest request the key takes (its getInfo maxMsgSize); longer ones get ERROR INVALID_LEN. */
  readonly maxMessageSize?: number;
  /** false: the key ignores CTAPHID_INIT, like a wedged firmware. */
  readonly answersInit?: boolean;
  /** CTAPHID_CBOR; `keepalive` reports status, `signal` fires on CTAPHID_CANCEL. */
  cbor?(request: Uint8Array, context: { keepalive(status: number): void; signal: AbortSignal }): Promise<Uint8Array>;
  msg?(apdu: Uint8Array): Promise<Uint8Array>;
  wink?(): void;
}

/**
 * Device side of CTAPHID (CTAP 2.1 §11.2): allocates channels, reassembles requests per
 * channel, answers one transaction at a time (others get CHANNEL_BUSY), sends KEEPALIVE and
 * honours CANCEL. Written from the spec, not from the client's code path.
 */
export class CtapHidDeviceSimulator {
  #channels = new Set<number>();
  #assembling = new Map<number, { cmd: number; buffer: Uint8Array; filled: number; seq: number; timer: NodeJS.Timeout }>();
  #busy: { cid: number; cancel: AbortController } | undefined;
  /** Counts, for tests that check the client's behaviour on the wire. */
  readonly stats = { cancels: 0, winks: 0, requests: 0, inits: 0, tooLarge: 0 };
  /**
   * CPU time (µs) spent being the key: taking reports, and each request from its start to the
   * answer sent. The bench subtracts it to find the client's own share. Exact while requests
   * finish without waiting (an instant touch); a real wait would also count what ran meanwhile.
   */
  cpuTimeUs = 0;

  constructor(
    private readonly port: DevicePort,
    private readonly handler: HidMessageHandler,
    private readonly version = { major: 1, minor: 0, build: 0 },
  ) {
    port.onReport((report) => {
      const start = process.cpuUsage();
      this.#onReport(report);
      this.#charge(start);
    });
  }

  #charge(start: NodeJS.CpuUsage): void {
    const used = process.cpuUsage(start);
    this.cpuTimeUs += used.user + used.system;
  }

  #send(cid: number, cmd: number, payload: Uint8Array): void {
    for (const report of encodeMessage(cid, cmd, payload)) this.port.send(report);
  }

  #error(cid: number, code: number): void {
    this.#send(cid, CtapHidCommand.ERROR, Uint8Array.of(code));
  }

  #onReport(report: Uint8Array): void {
    if (report.length !== 64) return;
    const frame = parseFrame(report);
    const cid = frame.cid;
    if (frame.kind === 'init' && frame.cmd === CtapHidCommand.INIT) {
      this.stats.inits++;
      if (this.handler.answersInit === false) return;
      this.#init(cid, frame.length, frame.data);
      return;
    }
    if (cid === BROADCAST_CID || cid === 0) return this.#error(cid, CtapHidErrorCode.INVALID_CHANNEL);
    if (!this.#channels.has(cid)) return this.#error(cid, CtapHidErrorCode.INVALID_CHANNEL);
    if (frame.kind === 'init') {
      if (frame.cmd === CtapHidCommand.CANCEL) {
        if (this.#busy?.cid === cid) {
          this.stats.cancels++;
          this.#busy.cancel.abort();
        }
        return;
      }
      if (this.#busy && this.#busy.cid !== cid) return this.#error(cid, CtapHidErrorCode.CHANNEL_BUSY);
      if (this.#busy) return this.#error(cid, CtapHidErrorCode.CHANNEL_BUSY);
      if (this.#assembling.has(cid)) {
        clearTimeout(this.#assembling.get(cid)!.timer);
        this.#assembling.delete(cid);
        return this.#error(cid, CtapHidErrorCode.INVALID_SEQ);
      }
      if (frame.length > Math.min(this.handler.maxMessageSize ?? MAX_MESSAGE_SIZE, MAX_MESSAGE_SIZE)) {
        this.stats.tooLarge++;
        return this.#error(cid, CtapHidErrorCode.INVALID_LEN);
      }
      if (frame.length <= INIT_DATA_SIZE) return this.#dispatch(cid, frame.cmd, Uint8Array.from(frame.data.subarray(0, frame.length)));
      const buffer = new Uint8Array(frame.length);
      buffer.set(frame.data);
      // A request left unfinished for too long is dropped (CTAPHID_ERROR MSG_TIMEOUT).
      const timer = setTimeout(() => {
        this.#assembling.delete(cid);
        this.#error(cid, CtapHidErrorCode.MSG_TIMEOUT);
      }, 500);
      timer.unref();
      this.#assembling.set(cid, { cmd: frame.cmd, buffer, filled: INIT_DATA_SIZE, seq: 0, timer });
      return;
    }
    const pending = this.#assembling.get(cid);
    if (!pending) return; // stray continuation: ignored, as the spec allows
    if (frame.seq !== pending.seq) {
      clearTimeout(pending.timer);
      this.#assembling.delete(cid);
      return this.#error(cid, CtapHidErrorCode.INVALID_SEQ);
    }
    const take = Math.min(CONT_DATA_SIZE, pending.buffer.length - pending.filled);
    pending.buffer.set(frame.data.subarray(0, take), pending.filled);
    pending.filled += take;
    pending.seq++;
    if (pending.filled === pending.buffer.length) {
      clearTimeout(pending.timer);
      this.#assembling.delete(cid);
      this.#dispatch(cid, pending.cmd, pending.buffer);
    }
  }

  #init(cid: number, length: number, data: Uint8Array): void {
    if (length !== 8) return this.#error(cid, CtapHidErrorCode.INVALID_LEN);
    let allocated = cid;
    if (cid === BROADCAST_CID) {
      do allocated = randomBytes(4).readUInt32BE(0);
      while (allocated === 0 || allocated === BROADCAST_CID || this.#channels.has(allocated));
      this.#channels.add(allocated);
    } else if (this.#channels.has(cid)) {
      // Re-INIT of an existing channel aborts whatever it was doing.
      if (this.#busy?.cid === cid) this.#busy.cancel.abort();
      this.#assembling.delete(cid);
    } else {
      return this.#error(cid, CtapHidErrorCode.INVALID_CHANNEL);
    }
    const reply = new Uint8Array(17);
    reply.set(data.subarray(0, 8), 0);
    new DataView(reply.buffer).setUint32(8, allocated);
    reply.set([2, this.version.major, this.version.minor, this.version.build, this.handler.capabilities], 12);
    this.#send(cid, CtapHidCommand.INIT, reply);
  }

  #dispatch(cid: number, cmd: number, payload: Uint8Array): void {
    this.stats.requests++;
    switch (cmd) {
      case CtapHidCommand.PING:
        return this.#send(cid, cmd, payload);
      case CtapHidCommand.WINK:
        this.stats.winks++;
        this.handler.wink?.();
        return this.#send(cid, cmd, new Uint8Array());
      case CtapHidCommand.LOCK:
        return this.#send(cid, cmd, new Uint8Array());
      case CtapHidCommand.MSG:
        if (!this.handler.msg) return this.#error(cid, CtapHidErrorCode.INVALID_CMD);
        return this.#run(cid, cmd, () => this.handler.msg!(payload));
      case CtapHidCommand.CBOR: {
        const cbor = this.handler.cbor;
        if (!cbor) return this.#error(cid, CtapHidErrorCode.INVALID_CMD);
        return this.#run(cid, cmd, (signal) =>
          cbor.call(this.handler, payload, {
            signal,
            keepalive: (status) => this.#send(cid, CtapHidCommand.KEEPALIVE, Uint8Array.of(status)),
          }),
        );
      }
      default:
        return this.#error(cid, CtapHidErrorCode.INVALID_CMD);
    }
  }

  #run(cid: number, cmd: number, work: (signal: AbortSignal) => Promise<Uint8Array>): void {
    const cancel = new AbortController();
    this.#busy = { cid, cancel };
    const pending = work(cancel.signal);
    // The synchronous start was charged with the report that completed the request.
    const start = process.cpuUsage();
    pending
      .then(
        (reply) => this.#send(cid, cmd, reply),
        () => this.#error(cid, CtapHidErrorCode.OTHER),
      )
      .then(() => this.#charge(start))
      .finally(() => {
        if (this.#busy?.cancel === cancel) this.#busy = undefined;
      });
  }
}
