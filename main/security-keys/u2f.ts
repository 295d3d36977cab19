import { setTimeout as sleep } from 'node:timers/promises';
import { CtapHidError, CtapProtocolError, SecurityKeyError, U2fStatusError } from './errors.js';
import { CtapHidCommand } from './ctaphid-frames.js';
import type { CtapHidDevice } from './ctaphid.js';

// CTAP1/U2F raw messages (FIDO U2F Raw Message Formats v1.2) carried in CTAPHID_MSG as
// extended-length APDUs.
export const U2fInstruction = { REGISTER: 0x01, AUTHENTICATE: 0x02, VERSION: 0x03 } as const;
export const U2fControl = { CHECK_ONLY: 0x07, ENFORCE_USER_PRESENCE_AND_SIGN: 0x03, DONT_ENFORCE_USER_PRESENCE_AND_SIGN: 0x08 } as const;
export const U2fStatus = {
  NO_ERROR: 0x9000,
  CONDITIONS_NOT_SATISFIED: 0x6985, // user presence needed; for CHECK_ONLY: "key handle is mine"
  WRONG_DATA: 0x6a80, // key handle not mine
  WRONG_LENGTH: 0x6700,
  CLA_NOT_SUPPORTED: 0x6e00,
  INS_NOT_SUPPORTED: 0x6d00,
} as const;

export function encodeApdu(ins: number, p1: number, p2: number, data: Uint8Array): Uint8Array {
  // CLA INS P1 P2, Lc as 00 LL LL, data, Le 00 00 (ISO 7816-4 extended length).
  const apdu = new Uint8Array(7 + data.length + 2);
  apdu.set([0x00, ins, p1, p2, 0x00, (data.length >> 8) & 0xff, data.length & 0xff], 0);
  apdu.set(data, 7);
  return apdu;
}

export interface U2fRegistration {
  publicKey: Uint8Array; // 65-byte uncompressed P-256 point
  keyHandle: Uint8Array;
  certificate: Uint8Array; // DER
  signature: Uint8Array; // DER ECDSA
}

/** Length of the DER element at the start of `data` (the attestation certificate). */
function derLength(data: Uint8Array): number {
  if (data.length < 2 || data[0] !== 0x30) throw new CtapProtocolError('invalid_apdu', 'U2F attestation certificate is not DER.');
  const first = data[1]!;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count < 1 || count > 3 || data.length < 2 + count) throw new CtapProtocolError('invalid_apdu', 'U2F attestation certificate has a bad length.');
  let length = 0;
  for (let i = 0; i < count; i++) length = (length << 8) | data[2 + i]!;
  return 2 + count + length;
}

export function parseRegistration(data: Uint8Array): U2fRegistration {
  if (data.length < 1 + 65 + 1 || data[0] !== 0x05) throw new CtapProtocolError('invalid_apdu', 'U2F registration answer has a bad header.');
  const publicKey = data.subarray(1, 66);
  const handleLength = data[66]!;
  const handleEnd = 67 + handleLength;
  if (handleLength === 0 || data.length < handleEnd + 2) throw new CtapProtocolError('invalid_apdu', 'U2F registration answer is truncated.');
  const rest = data.subarray(handleEnd);
  const certLength = derLength(rest);
  if (rest.length <= certLength) throw new CtapProtocolError('invalid_apdu', 'U2F registration answer lacks its signature.');
  return {
    publicKey: Uint8Array.from(publicKey),
    keyHandle: Uint8Array.from(data.subarray(67, handleEnd)),
    certificate: Uint8Array.from(rest.subarray(0, certLength)),
    signature: Uint8Array.from(rest.subarray(certLength)),
  };
}

export interface U2fTouchOptions {
  signal?: AbortSignal;
  deadline: number;
  pollIntervalMs?: number;
  onTouchNeeded?: () => void;
}

/** CTAP1 over one CTAPHID channel. */
export class U2fSession {
  constructor(readonly hid: CtapHidDevice) {}

  async send(ins: number, p1: number, data: Uint8Array, signal?: AbortSignal): Promise<{ statusWord: number; data: Uint8Array }> {
    const reply = await this.hid.call(CtapHidCommand.MSG, encodeApdu(ins, p1, 0, data), { timeoutMs: 3_000, ...(signal && { signal }) });
    if (reply.length < 2) throw new CtapProtocolError('invalid_apdu', 'U2F answer is shorter than a status word.');
    return { statusWord: (reply[reply.length - 2]! << 8) | reply[reply.length - 1]!, data: reply.subarray(0, reply.length - 2) };
  }

  async version(): Promise<string> {
    const { statusWord, data } = await this.send(U2fInstruction.VERSION, 0, new Uint8Array());
    if (statusWord !== U2fStatus.NO_ERROR) throw new U2fStatusError(statusWord);
    return new TextDecoder().decode(data);
  }

  /** CHECK_ONLY probe: true when the key handle was made by this key for this application. */
  async isKeyHandleKnown(appParam: Uint8Array, keyHandle: Uint8Array, signal?: AbortSignal): Promise<boolean> {
    if (keyHandle.length > 255) return false;
    const { statusWord } = await this.send(U2fInstruction.AUTHENTICATE, U2fControl.CHECK_ONLY, authenticateData(new Uint8Array(32), appParam, keyHandle), signal);
    return statusWord === U2fStatus.CONDITIONS_NOT_SATISFIED;
  }

  /** Repeats a request while the key answers "touch needed", as U2F keys expect. */
  async #untilTouched(ins: number, p1: number, data: Uint8Array, options: U2fTouchOptions): Promise<Uint8Array> {
    let announced = false;
    for (;;) {
      if (options.signal?.aborted) throw new SecurityKeyError('cancelled');
      if (Date.now() >= options.deadline) throw new CtapHidError('timeout', 'The security key was not touched in time.');
      const { statusWord, data: body } = await this.send(ins, p1, data, options.signal);
      if (statusWord === U2fStatus.NO_ERROR) return body;
      if (statusWord !== U2fStatus.CONDITIONS_NOT_SATISFIED) throw new U2fStatusError(statusWord);
      if (!announced) {
        announced = true;
        options.onTouchNeeded?.();
      }
      await sleep(options.pollIntervalMs ?? 100);
    }
  }

  async register(challengeParam: Uint8Array, appParam: Uint8Array, options: U2fTouchOptions): Promise<U2fRegistration> {
    const data = new Uint8Array(64);
    data.set(challengeParam, 0);
    data.set(appParam, 32);
    return parseRegistration(await this.#untilTouched(U2fInstruction.REGISTER, 0, data, options));
  }

  /** Returns the raw answer: user-presence byte, 4-byte counter, DER signature. */
  async authenticate(challengeParam: Uint8Array, appParam: Uint8Array, keyHandle: Uint8Array, options: U2fTouchOptions): Promise<{ flags: number; counter: Uint8Array; signature: Uint8Array }> {
    const body = await this.#untilTouched(U2fInstruction.AUTHENTICATE, U2fControl.ENFORCE_USER_PRESENCE_AND_SIGN, authenticateData(challengeParam, appParam, keyHandle), options);
    if (body.length < 6) throw new CtapProtocolError('invalid_apdu', 'U2F authentication answer is truncated.');
    return { flags: body[0]!, counter: Uint8Array.from(body.subarray(1, 5)), signature: Uint8Array.from(body.subarray(5)) };
  }

  /** A registration with throw-away parameters: only to wait for a touch (selection, excluded key). */
  async waitForTouch(options: U2fTouchOptions): Promise<void> {
    const bogus = new Uint8Array(64).fill(0x41);
    await this.#untilTouched(U2fInstruction.REGISTER, 0, bogus, options);
  }
}

function authenticateData(challengeParam: Uint8Array, appParam: Uint8Array, keyHandle: Uint8Array): Uint8Array {
  const data = new Uint8Array(65 + keyHandle.length);
  data.set(challengeParam, 0);
  data.set(appParam, 32);
  data[64] = keyHandle.length;
  data.set(keyHandle, 65);
  return data;
}
