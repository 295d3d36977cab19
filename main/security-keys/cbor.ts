import { decode, encode } from 'cborg';
import { CtapProtocolError } from './errors.js';

// cborg's default map ordering is CTAP2's canonical one (RFC 7049 §3.9: shorter keys first,
// then bytewise), so requests need no extra sorting.
export function encodeCbor(value: unknown): Uint8Array {
  return encode(value);
}

export type CborMap = Map<unknown, unknown>;

/**
 * Strict decode of a key's answer: definite lengths only (CTAP2 canonical form), no duplicate
 * keys, no trailing bytes. Maps come back as Map so integer keys survive. Any failure, including
 * pathological nesting, becomes a CtapProtocolError.
 */
export function decodeCbor(bytes: Uint8Array): unknown {
  try {
    return decode(bytes, {
      useMaps: true,
      rejectDuplicateMapKeys: true,
      allowIndefinite: false,
      allowUndefined: false,
      allowBigInt: false,
    });
  } catch (error) {
    throw new CtapProtocolError('invalid_cbor', `The security key sent malformed CBOR: ${(error as Error).message}`, { cause: error });
  }
}

export function decodeCborMap(bytes: Uint8Array): CborMap {
  const value = decodeCbor(bytes);
  if (!(value instanceof Map)) throw new CtapProtocolError('unexpected_response', 'Expected a CBOR map from the security key.');
  return value;
}

function shapeError(what: string): CtapProtocolError {
  return new CtapProtocolError('unexpected_response', `The security key sent an invalid ${what}.`);
}

// Small typed readers for answer maps: a missing optional field is undefined, a wrong type throws.
export const read = {
  bytes(map: CborMap, key: unknown, what: string): Uint8Array {
    const v = map.get(key);
    if (!(v instanceof Uint8Array)) throw shapeError(what);
    return v;
  },
  optBytes(map: CborMap, key: unknown, what: string): Uint8Array | undefined {
    return map.has(key) ? read.bytes(map, key, what) : undefined;
  },
  text(map: CborMap, key: unknown, what: string): string {
    const v = map.get(key);
    if (typeof v !== 'string') throw shapeError(what);
    return v;
  },
  optText(map: CborMap, key: unknown, what: string): string | undefined {
    return map.has(key) ? read.text(map, key, what) : undefined;
  },
  optUint(map: CborMap, key: unknown, what: string): number | undefined {
    if (!map.has(key)) return undefined;
    const v = map.get(key);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw shapeError(what);
    return v;
  },
  optBool(map: CborMap, key: unknown, what: string): boolean | undefined {
    if (!map.has(key)) return undefined;
    const v = map.get(key);
    if (typeof v !== 'boolean') throw shapeError(what);
    return v;
  },
  optMap(map: CborMap, key: unknown, what: string): CborMap | undefined {
    if (!map.has(key)) return undefined;
    const v = map.get(key);
    if (!(v instanceof Map)) throw shapeError(what);
    return v;
  },
  optArray(map: CborMap, key: unknown, what: string): unknown[] | undefined {
    if (!map.has(key)) return undefined;
    const v = map.get(key);
    if (!Array.isArray(v)) throw shapeError(what);
    return v;
  },
};
