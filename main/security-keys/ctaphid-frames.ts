import { CtapHidError } from './errors.js';
import { HID_REPORT_SIZE } from './transport/transport.js';

// CTAP 2.1 §11.2.4: an initialisation frame carries CID(4) CMD(1, bit 7 set) BCNT(2) and 57
// data bytes; continuation frames carry CID(4) SEQ(1, 0..0x7f) and 59 data bytes.
export const INIT_DATA_SIZE = HID_REPORT_SIZE - 7;
export const CONT_DATA_SIZE = HID_REPORT_SIZE - 5;
export const MAX_SEQ = 0x7f;
/** 57 + 128 × 59: the most a 64-byte-report device can carry in one message. */
export const MAX_MESSAGE_SIZE = INIT_DATA_SIZE + (MAX_SEQ + 1) * CONT_DATA_SIZE;
export const BROADCAST_CID = 0xffffffff;
const TYPE_INIT = 0x80;

export const CtapHidCommand = {
  PING: 0x01,
  MSG: 0x03,
  LOCK: 0x04,
  INIT: 0x06,
  WINK: 0x08,
  CBOR: 0x10,
  CANCEL: 0x11,
  KEEPALIVE: 0x3b,
  ERROR: 0x3f,
} as const;

export const KeepaliveStatus = { PROCESSING: 1, UP_NEEDED: 2 } as const;

/** INIT response capability flags. */
export const Capability = { WINK: 0x01, CBOR: 0x04, NMSG: 0x08 } as const;

/** CTAPHID_ERROR codes (CTAP 2.1 §11.2.9.1.6). */
export const CtapHidErrorCode = {
  INVALID_CMD: 0x01,
  INVALID_PAR: 0x02,
  INVALID_LEN: 0x03,
  INVALID_SEQ: 0x04,
  MSG_TIMEOUT: 0x05,
  CHANNEL_BUSY: 0x06,
  LOCK_REQUIRED: 0x0a,
  INVALID_CHANNEL: 0x0b,
  OTHER: 0x7f,
} as const;

export type Frame =
  | { kind: 'init'; cid: number; cmd: number; length: number; data: Uint8Array }
  | { kind: 'cont'; cid: number; seq: number; data: Uint8Array };

export function parseFrame(report: Uint8Array): Frame {
  if (report.length !== HID_REPORT_SIZE) {
    throw new CtapHidError('invalid_report', `Expected a ${HID_REPORT_SIZE}-byte report, got ${report.length} bytes.`);
  }
  const cid = ((report[0]! << 24) | (report[1]! << 16) | (report[2]! << 8) | report[3]!) >>> 0;
  const type = report[4]!;
  if (type & TYPE_INIT) {
    return { kind: 'init', cid, cmd: type & 0x7f, length: (report[5]! << 8) | report[6]!, data: report.subarray(7) };
  }
  return { kind: 'cont', cid, seq: type, data: report.subarray(5) };
}

/** Splits one message into the reports that carry it. */
export function encodeMessage(cid: number, cmd: number, payload: Uint8Array, maxMessageSize = MAX_MESSAGE_SIZE): Uint8Array[] {
  if (payload.length > Math.min(maxMessageSize, MAX_MESSAGE_SIZE)) {
    throw new CtapHidError('message_too_large', `Message of ${payload.length} bytes exceeds the key's limit of ${maxMessageSize}.`);
  }
  const reports: Uint8Array[] = [];
  const first = newReport();
  writeCid(first, cid);
  first[4] = TYPE_INIT | (cmd & 0x7f);
  first[5] = payload.length >>> 8;
  first[6] = payload.length & 0xff;
  first.set(payload.subarray(0, INIT_DATA_SIZE), 7);
  reports.push(first);
  let offset = INIT_DATA_SIZE;
  for (let seq = 0; offset < payload.length; seq++) {
    const report = newReport();
    writeCid(report, cid);
    report[4] = seq;
    report.set(payload.subarray(offset, offset + CONT_DATA_SIZE), 5);
    reports.push(report);
    offset += CONT_DATA_SIZE;
  }
  return reports;
}

/**
 * `length` bytes of Node's pool of small buffers, as a plain Uint8Array: a fresh ArrayBuffer per
 * report or message (and the garbage collector's sweep of it) cost more than framing it.
 * Uninitialised: the caller writes every byte.
 */
export function pooledBytes(length: number): Uint8Array {
  const b = Buffer.allocUnsafe(length);
  return new Uint8Array(b.buffer, b.byteOffset, length);
}

function newReport(): Uint8Array {
  return pooledBytes(HID_REPORT_SIZE).fill(0);
}

function writeCid(report: Uint8Array, cid: number): void {
  report[0] = cid >>> 24;
  report[1] = (cid >>> 16) & 0xff;
  report[2] = (cid >>> 8) & 0xff;
  report[3] = cid & 0xff;
}

/** A copy of the first `length` bytes of `data` (see pooledBytes). */
function pooledCopy(data: Uint8Array, length = data.length): Uint8Array {
  const copy = pooledBytes(length);
  copy.set(data.subarray(0, length));
  return copy;
}

export interface AssembledMessage {
  cid: number;
  cmd: number;
  payload: Uint8Array;
}

/**
 * Reassembles the messages of one channel from reports. Frames of other channels are ignored
 * (another application may share the key); anything out of order throws a CtapHidError. Memory
 * is bounded by `maxMessageSize`.
 */
export class MessageAssembler {
  #pending: { cmd: number; buffer: Uint8Array; filled: number; nextSeq: number } | undefined;

  constructor(
    public cid: number,
    private readonly maxMessageSize = MAX_MESSAGE_SIZE,
  ) {}

  get inProgress(): boolean {
    return this.#pending !== undefined;
  }

  reset(): void {
    this.#pending = undefined;
  }

  /** Feeds one report; returns a message once complete, `undefined` while more is needed or the frame was for another channel. */
  push(report: Uint8Array): AssembledMessage | undefined {
    const frame = parseFrame(report);
    if (frame.cid !== this.cid) return undefined;
    if (frame.kind === 'init') {
      if (this.#pending) {
        this.#pending = undefined;
        throw new CtapHidError('interrupted', 'The security key started a new message before finishing the last one.');
      }
      const limit = Math.min(this.maxMessageSize, MAX_MESSAGE_SIZE);
      if (frame.length > limit) {
        throw new CtapHidError('message_too_large', `The security key announced ${frame.length} bytes, more than the limit of ${limit}.`);
      }
      if (frame.length <= INIT_DATA_SIZE) {
        return { cid: frame.cid, cmd: frame.cmd, payload: pooledCopy(frame.data, frame.length) };
      }
      // Every byte is written before the message is handed out (filled === length).
      const buffer = pooledBytes(frame.length);
      buffer.set(frame.data);
      this.#pending = { cmd: frame.cmd, buffer, filled: INIT_DATA_SIZE, nextSeq: 0 };
      return undefined;
    }
    const pending = this.#pending;
    if (!pending) {
      throw new CtapHidError('unexpected_continuation', 'The security key sent a continuation frame without a message start.');
    }
    if (frame.seq !== pending.nextSeq) {
      this.#pending = undefined;
      throw new CtapHidError('invalid_sequence', `Expected continuation ${pending.nextSeq}, got ${frame.seq}.`);
    }
    const take = Math.min(CONT_DATA_SIZE, pending.buffer.length - pending.filled);
    pending.buffer.set(frame.data.subarray(0, take), pending.filled);
    pending.filled += take;
    pending.nextSeq++;
    if (pending.filled < pending.buffer.length) return undefined;
    this.#pending = undefined;
    return { cid: this.cid, cmd: pending.cmd, payload: pending.buffer };
  }
}
