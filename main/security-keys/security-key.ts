import { CtapError, CtapHidError, CtapStatus } from './errors.js';
import { CtapHidDevice, type CtapHidOptions } from './ctaphid.js';
import { Ctap2Session, type AuthenticatorInfo } from './ctap2.js';
import { U2fSession } from './u2f.js';
import type { SecurityKeyTransport } from './transport/transport.js';

/** A key with its channel open and its protocol known: CTAP2 (with getInfo) or U2F only. */
export type OpenSecurityKey =
  | { kind: 'ctap2'; transport: SecurityKeyTransport; hid: CtapHidDevice; ctap2: Ctap2Session; info: AuthenticatorInfo; u2f?: U2fSession }
  | { kind: 'u2f'; transport: SecurityKeyTransport; hid: CtapHidDevice; u2f: U2fSession };

const DEFAULT_MAX_MSG_SIZE = 1024;
const CTAP2_VERSIONS = ['FIDO_2_0', 'FIDO_2_1_PRE', 'FIDO_2_1'];

export async function openSecurityKey(transport: SecurityKeyTransport, options: CtapHidOptions = {}): Promise<OpenSecurityKey> {
  const hid = await CtapHidDevice.open(transport, options);
  try {
    const u2f = hid.supportsMsg ? new U2fSession(hid) : undefined;
    if (hid.supportsCbor) {
      try {
        const ctap2 = new Ctap2Session(hid);
        const info = await ctap2.getInfo();
        if (info.versions.some((v) => CTAP2_VERSIONS.includes(v))) {
          // CTAP 2.1 §6: without maxMsgSize a key is only known to take 1024 bytes.
          hid.maxRequestSize = Math.min(hid.maxRequestSize, info.maxMsgSize || DEFAULT_MAX_MSG_SIZE);
          return u2f ? { kind: 'ctap2', transport, hid, ctap2, info, u2f } : { kind: 'ctap2', transport, hid, ctap2, info };
        }
      } catch (error) {
        // Some U2F keys set the CBOR flag yet reject CTAP2 commands: fall back to U2F below.
        const rejected = (error instanceof CtapHidError && error.reason === 'device_error') || (error instanceof CtapError && error.status === CtapStatus.INVALID_COMMAND);
        if (!rejected || !u2f) throw error;
      }
    }
    if (!u2f) throw new CtapHidError('device_error', 'The device speaks neither CTAP2 nor U2F.');
    return { kind: 'u2f', transport, hid, u2f };
  } catch (error) {
    await hid.close().catch(() => undefined);
    throw error;
  }
}

export function supportsCtap21(info: AuthenticatorInfo): boolean {
  return info.versions.includes('FIDO_2_1');
}
