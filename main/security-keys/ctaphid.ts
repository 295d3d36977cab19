import { setTimeout as sleep } from 'node:timers/promises';
import { CtapHidError, SecurityKeyError } from './errors.js';
import { randomBytesFromPool } from './random-pool.js';
import {
  BROADCAST_CID,
  Capability,
  CtapHidCommand,
  CtapHidErrorCode,
  MAX_MESSAGE_SIZE,
  MessageAssembler,
  encodeMessage,
} from './ctaphid-frames.js';
import type { SecurityKeyTransport } from './transport/transport.js';

export interface CtapHidDeviceInfo {
  protocolVersion: number;
  versionMajor: number;
  versionMinor: number;
  versionBuild: number;
  capabilities: number;
}

export interface CtapHidCallOptions {
  /** The whole transaction, including waiting for a touch. */
  timeoutMs?: number;
  /** Aborting sends CTAPHID_CANCEL and waits briefly for the key to confirm. */
  signal?: AbortSignal;
  /** KEEPALIVE status: 1 processing, 2 user presence needed. */
  onKeepalive?: (status: number) => void;
}

export interface CtapHidOptions {
  /** Longest silence tolerated from a key; keys send KEEPALIVE every 100 ms while busy. */
  idleTimeoutMs?: number;
  initTimeoutMs?: number;
  /** How long to wait for the key's answer after CTAPHID_CANCEL. */
  cancelGraceMs?: number;
  busyRetries?: number;
  /** Largest message we send or accept; lowered to the key's maxMsgSize once known. */
  maxMessageSize?: number;
}

const SLICE_MS = 50;

/** One CTAPHID channel on one key: INIT handshake, framed transactions, keepalive, cancel. */
export class CtapHidDevice {
  #busy: Promise<unknown> = Promise.resolve();
  #stale = false;
  /** Largest message we accept (CTAPHID's 7609 bytes unless configured lower). */
  maxMessageSize: number;
  /** Largest request we send: lowered to the key's getInfo maxMsgSize once known (CTAP 2.1 §6.4). */
  maxRequestSize: number;

  private constructor(
    readonly transport: SecurityKeyTransport,
    readonly cid: number,
    readonly info: CtapHidDeviceInfo,
    private readonly options: Required<CtapHidOptions>,
  ) {
    this.maxMessageSize = options.maxMessageSize;
    this.maxRequestSize = options.maxMessageSize;
  }

  get supportsCbor(): boolean {
    return (this.info.capabilities & Capability.CBOR) !== 0;
  }
  get supportsMsg(): boolean {
    return (this.info.capabilities & Capability.NMSG) === 0;
  }
  get supportsWink(): boolean {
    return (this.info.capabilities & Capability.WINK) !== 0;
  }

  /** Opens the transport and allocates a channel with CTAPHID_INIT on the broadcast channel. */
  static async open(transport: SecurityKeyTransport, options: CtapHidOptions = {}): Promise<CtapHidDevice> {
    const full: Required<CtapHidOptions> = {
      idleTimeoutMs: options.idleTimeoutMs ?? 2_000,
      initTimeoutMs: options.initTimeoutMs ?? 1_000,
      cancelGraceMs: options.cancelGraceMs ?? 1_000,
      busyRetries: options.busyRetries ?? 10,
      maxMessageSize: Math.min(options.maxMessageSize ?? MAX_MESSAGE_SIZE, MAX_MESSAGE_SIZE),
    };
    try {
      await transport.open();
      return await CtapHidDevice.#handshake(transport, full);
    } catch (error) {
      // Nobody else holds the transport yet: a key that never answers INIT must not leave its
      // HID handle or UDP socket open (an open socket keeps the process alive).
      await transport.close().catch(() => undefined);
      throw error;
    }
  }

  static async #handshake(transport: SecurityKeyTransport, full: Required<CtapHidOptions>): Promise<CtapHidDevice> {
    const nonce = randomBytesFromPool(8);
    for (const report of encodeMessage(BROADCAST_CID, CtapHidCommand.INIT, nonce)) await transport.write(report);
    const assembler = new MessageAssembler(BROADCAST_CID);
    const deadline = Date.now() + full.initTimeoutMs;
    let foreignNonces = 0;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw foreignNonces > 0
          ? new CtapHidError('nonce_mismatch', 'The security key answered CTAPHID_INIT with a different nonce.')
          : new CtapHidError('no_init_answer', 'The security key did not answer CTAPHID_INIT.');
      }
      let message;
      try {
        message = assembler.push(await transport.read(remaining));
      } catch (error) {
        if (error instanceof CtapHidError && error.reason === 'timeout') continue;
        throw error;
      }
      if (!message) continue;
      if (message.cmd === CtapHidCommand.ERROR) {
        throw new CtapHidError('device_error', `The security key refused CTAPHID_INIT (error 0x${(message.payload[0] ?? 0).toString(16)}).`, message.payload[0]);
      }
      if (message.cmd !== CtapHidCommand.INIT) continue;
      // Another application's INIT answer on the broadcast channel: not ours, keep waiting.
      if (message.payload.length < 8 || !Buffer.from(message.payload.subarray(0, 8)).equals(nonce)) {
        foreignNonces++;
        continue;
      }
      if (message.payload.length < 17) {
        throw new CtapHidError('invalid_init_response', `CTAPHID_INIT answer is ${message.payload.length} bytes, expected 17.`);
      }
      const p = message.payload;
      const cid = new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(8);
      if (cid === 0 || cid === BROADCAST_CID) {
        throw new CtapHidError('invalid_init_response', `The security key allocated the reserved channel 0x${cid.toString(16)}.`);
      }
      return new CtapHidDevice(transport, cid, {
        protocolVersion: p[12]!,
        versionMajor: p[13]!,
        versionMinor: p[14]!,
        versionBuild: p[15]!,
        capabilities: p[16]!,
      }, full);
    }
  }

  /** Sends one request and returns the answer of the same command; transactions are serialised. */
  call(cmd: number, payload: Uint8Array, options: CtapHidCallOptions = {}): Promise<Uint8Array> {
    const run = this.#busy.then(() => this.#transact(cmd, payload, options));
    this.#busy = run.catch(() => undefined);
    return run;
  }

  async #transact(cmd: number, payload: Uint8Array, options: CtapHidCallOptions): Promise<Uint8Array> {
    if (options.signal?.aborted) throw new SecurityKeyError('cancelled');
    if (this.#stale) await this.#drain();
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    let busyRetries = 0;
    send: for (;;) {
      for (const report of encodeMessage(this.cid, cmd, payload, Math.min(this.maxRequestSize, this.maxMessageSize))) await this.transport.write(report);
      const assembler = new MessageAssembler(this.cid, this.maxMessageSize);
      let lastHeard = Date.now();
      let cancelledAt: number | undefined;
      for (;;) {
        const now = Date.now();
        if (options.signal?.aborted && cancelledAt === undefined) {
          cancelledAt = now;
          await this.cancel().catch(() => undefined);
        }
        if (cancelledAt !== undefined && now - cancelledAt > this.options.cancelGraceMs) {
          this.#stale = true;
          throw new SecurityKeyError('cancelled');
        }
        if (now >= deadline) {
          this.#stale = true;
          await this.cancel().catch(() => undefined);
          throw new CtapHidError('timeout', 'The security key did not finish in time.');
        }
        if (now - lastHeard > this.options.idleTimeoutMs) {
          this.#stale = true;
          throw new CtapHidError('timeout', 'The security key stopped answering.');
        }
        let report: Uint8Array;
        try {
          report = await this.transport.read(Math.min(SLICE_MS, deadline - now));
        } catch (error) {
          if (error instanceof CtapHidError && error.reason === 'timeout') continue;
          this.#stale = true;
          throw error;
        }
        let message;
        try {
          message = assembler.push(report);
        } catch (error) {
          this.#stale = true;
          throw error;
        }
        if (!message) {
          if (assembler.inProgress) lastHeard = Date.now();
          continue;
        }
        lastHeard = Date.now();
        if (message.cmd === CtapHidCommand.KEEPALIVE) {
          options.onKeepalive?.(message.payload[0] ?? 0);
          continue;
        }
        if (message.cmd === CtapHidCommand.ERROR) {
          const code = message.payload[0] ?? CtapHidErrorCode.OTHER;
          if (code === CtapHidErrorCode.CHANNEL_BUSY && busyRetries < this.options.busyRetries && cancelledAt === undefined) {
            busyRetries++;
            const wait = Math.min(50 * busyRetries, deadline - Date.now());
            if (wait > 0) {
              await sleep(wait);
              continue send;
            }
          }
          throw hidErrorFor(code);
        }
        if (message.cmd !== cmd) {
          this.#stale = true;
          throw new CtapHidError('unexpected_command', `Sent command 0x${cmd.toString(16)}, got an answer for 0x${message.cmd.toString(16)}.`);
        }
        return message.payload;
      }
    }
  }

  /** Empties reports left over from an abandoned transaction so they are not taken as answers. */
  async #drain(): Promise<void> {
    for (let i = 0; i < 300; i++) {
      try {
        await this.transport.read(0);
      } catch {
        break;
      }
    }
    this.#stale = false;
  }

  /** CTAPHID_CANCEL has no answer of its own; the pending request ends with KEEPALIVE_CANCEL. */
  async cancel(): Promise<void> {
    for (const report of encodeMessage(this.cid, CtapHidCommand.CANCEL, new Uint8Array())) await this.transport.write(report);
  }

  async ping(data: Uint8Array, options?: CtapHidCallOptions): Promise<Uint8Array> {
    return this.call(CtapHidCommand.PING, data, { timeoutMs: 2_000, ...options });
  }

  async wink(): Promise<void> {
    if (this.supportsWink) await this.call(CtapHidCommand.WINK, new Uint8Array(), { timeoutMs: 2_000 });
  }

  /** CTAPHID_LOCK for 0..10 seconds; 0 releases. */
  async lock(seconds: number): Promise<void> {
    await this.call(CtapHidCommand.LOCK, Uint8Array.of(Math.max(0, Math.min(10, seconds))), { timeoutMs: 2_000 });
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

function hidErrorFor(code: number): CtapHidError {
  if (code === CtapHidErrorCode.CHANNEL_BUSY) {
    return new CtapHidError('channel_busy', 'The security key is busy with another application. Try again in a moment.', code);
  }
  const names: Record<number, string> = {
    [CtapHidErrorCode.INVALID_CMD]: 'invalid command',
    [CtapHidErrorCode.INVALID_PAR]: 'invalid parameter',
    [CtapHidErrorCode.INVALID_LEN]: 'invalid length',
    [CtapHidErrorCode.INVALID_SEQ]: 'invalid sequence',
    [CtapHidErrorCode.MSG_TIMEOUT]: 'message timeout',
    [CtapHidErrorCode.LOCK_REQUIRED]: 'lock required',
    [CtapHidErrorCode.INVALID_CHANNEL]: 'invalid channel',
  };
  return new CtapHidError('device_error', `The security key reported a transport error (${names[code] ?? 'other'}, 0x${code.toString(16)}).`, code);
}
