import { decodeFirst } from 'cborg';
import { CtapProtocolError } from './errors.js';
import { encodeCbor } from './cbor.js';

// WebAuthn §6.1 authenticator data: rpIdHash(32) flags(1) signCount(4) [attested credential
// data] [extensions].
export const AuthDataFlag = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40, ED: 0x80 } as const;

export interface ParsedAuthenticatorData {
  rpIdHash: Uint8Array;
  flags: number;
  signCount: number;
  attested?: { aaguid: Uint8Array; credentialId: Uint8Array; publicKey: Uint8Array /* COSE bytes */; publicKeyCose: unknown };
  extensions?: unknown;
}

export function parseAuthenticatorData(data: Uint8Array): ParsedAuthenticatorData {
  if (data.length < 37) throw new CtapProtocolError('unexpected_response', 'Authenticator data is too short.');
  const flags = data[32]!;
  const result: ParsedAuthenticatorData = {
    rpIdHash: data.subarray(0, 32),
    flags,
    signCount: new DataView(data.buffer, data.byteOffset + 33, 4).getUint32(0),
  };
  let rest = data.subarray(37);
  try {
    if (flags & AuthDataFlag.AT) {
      if (rest.length < 18) throw new Error('attested credential data truncated');
      const idLength = (rest[16]! << 8) | rest[17]!;
      if (rest.length < 18 + idLength) throw new Error('credential id truncated');
      const credentialId = rest.subarray(18, 18 + idLength);
      const afterId = rest.subarray(18 + idLength);
      const [publicKeyCose, remainder] = decodeFirst(afterId, { useMaps: true, allowIndefinite: false });
      result.attested = {
        aaguid: rest.subarray(0, 16),
        credentialId,
        publicKey: afterId.subarray(0, afterId.length - remainder.length),
        publicKeyCose,
      };
      rest = remainder;
    }
    if (flags & AuthDataFlag.ED) {
      const [extensions, remainder] = decodeFirst(rest, { useMaps: true, allowIndefinite: false });
      result.extensions = extensions;
      rest = remainder;
    }
  } catch (error) {
    if (error instanceof CtapProtocolError) throw error;
    throw new CtapProtocolError('unexpected_response', `Authenticator data is malformed: ${(error as Error).message}`, { cause: error });
  }
  if (rest.length !== 0) throw new CtapProtocolError('unexpected_response', 'Authenticator data has trailing bytes.');
  return result;
}

/** Builds authenticator data, e.g. to present a U2F answer in WebAuthn form. */
export function buildAuthenticatorData(parts: {
  rpIdHash: Uint8Array;
  flags: number;
  signCount: number | Uint8Array;
  attested?: { aaguid: Uint8Array; credentialId: Uint8Array; publicKeyCose: unknown };
  extensions?: unknown;
}): Uint8Array {
  const chunks: Uint8Array[] = [parts.rpIdHash, Uint8Array.of(parts.flags)];
  if (parts.signCount instanceof Uint8Array) chunks.push(parts.signCount);
  else {
    const counter = new Uint8Array(4);
    new DataView(counter.buffer).setUint32(0, parts.signCount);
    chunks.push(counter);
  }
  if (parts.attested) {
    const id = parts.attested.credentialId;
    chunks.push(parts.attested.aaguid, Uint8Array.of(id.length >> 8, id.length & 0xff), id, encodeCbor(parts.attested.publicKeyCose));
  }
  if (parts.extensions !== undefined) chunks.push(encodeCbor(parts.extensions));
  return new Uint8Array(Buffer.concat(chunks));
}
