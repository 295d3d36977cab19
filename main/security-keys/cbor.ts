import { decode, encode } from 'cborg';
import { CtapProtocolError } from './errors.js';

/**
 * CTAP2 canonical CBOR (CTAP 2.1 §8: shortest integer and length forms, definite lengths, map
 * keys by major type, then by length, then bytewise). Everything a request or an attestation
 * object holds (maps with integer, text or byte-string keys, arrays, byte and text strings, safe
 * integers, booleans) is written straight into one reused buffer; anything else (floats, null,
 * undefined, other keys) goes to cborg, whose default ordering is the same, so the bytes are
 * always those cborg would write.
 */
export function encodeCbor(value: unknown): Uint8Array {
  length = 0;
  try {
    writeItem(value);
  } catch (error) {
    if (error === UNSUPPORTED) return encode(value);
    throw error;
  }
  // A pooled Buffer (a Uint8Array) with a copy: a fresh ArrayBuffer costs eight times as much.
  const out = Buffer.allocUnsafe(length);
  scratch.copy(out, 0, 0, length);
  return out;
}

const UNSUPPORTED = Symbol('unsupported by the direct encoder');
// Encoding is synchronous and never re-entered, so one buffer serves every call.
let scratch = Buffer.allocUnsafeSlow(4096);
let length = 0;

function reserve(n: number): number {
  const at = length;
  const need = at + n;
  if (need > scratch.length) {
    const grown = Buffer.allocUnsafeSlow(Math.max(need, scratch.length * 2));
    scratch.copy(grown, 0, 0, at);
    scratch = grown;
  }
  length = need;
  return at;
}

function head(major: number, n: number): void {
  const type = major << 5;
  if (n < 24) {
    const at = reserve(1);
    scratch[at] = type | n;
  } else if (n < 0x100) {
    const at = reserve(2);
    scratch[at] = type | 24;
    scratch[at + 1] = n;
  } else if (n < 0x10000) {
    const at = reserve(3);
    scratch[at] = type | 25;
    scratch.writeUInt16BE(n, at + 1);
  } else if (n < 0x100000000) {
    const at = reserve(5);
    scratch[at] = type | 26;
    scratch.writeUInt32BE(n, at + 1);
  } else {
    const at = reserve(9);
    scratch[at] = type | 27;
    scratch.writeUInt32BE(Math.floor(n / 0x100000000), at + 1);
    scratch.writeUInt32BE(n >>> 0, at + 5);
  }
}

function writeItem(value: unknown): void {
  switch (typeof value) {
    case 'number':
      if (!Number.isSafeInteger(value)) throw UNSUPPORTED;
      if (value >= 0) head(0, value);
      else head(1, -1 - value);
      return;
    case 'string': {
      const size = Buffer.byteLength(value, 'utf8');
      head(3, size);
      const at = reserve(size);
      scratch.write(value, at, size, 'utf8');
      return;
    }
    case 'boolean': {
      const at = reserve(1);
      scratch[at] = value ? 0xf5 : 0xf4;
      return;
    }
    case 'object':
      if (value instanceof Uint8Array) {
        head(2, value.length);
        const at = reserve(value.length);
        scratch.set(value, at);
        return;
      }
      if (Array.isArray(value)) {
        head(4, value.length);
        for (const item of value) writeItem(item);
        return;
      }
      if (value instanceof Map) return writeMap(value);
      throw UNSUPPORTED;
    default:
      throw UNSUPPORTED;
  }
}

function writeMap(map: Map<unknown, unknown>): void {
  const keys: unknown[] = [];
  for (const key of map.keys()) {
    if (!(typeof key === 'number' && Number.isSafeInteger(key)) && typeof key !== 'string' && !(key instanceof Uint8Array)) throw UNSUPPORTED;
    keys.push(key);
  }
  if (keys.length > 1) keys.sort(compareKeys);
  head(5, keys.length);
  for (const key of keys) {
    writeItem(key);
    writeItem(map.get(key));
  }
}

/** Major type of a key as CBOR writes it. */
function majorOf(key: unknown): number {
  if (typeof key === 'number') return key >= 0 ? 0 : 1;
  return typeof key === 'string' ? 3 : 2;
}

/**
 * CTAP2 canonical key order, on the values: major type; then integers by their encoded argument
 * (shorter forms are smaller numbers), strings and byte strings by length, then bytewise.
 */
function compareKeys(a: unknown, b: unknown): number {
  const majorA = majorOf(a);
  const majorB = majorOf(b);
  if (majorA !== majorB) return majorA - majorB;
  if (typeof a === 'number') {
    const argA = a >= 0 ? a : -1 - a;
    const argB = (b as number) >= 0 ? (b as number) : -1 - (b as number);
    return argA - argB;
  }
  const lengthA = typeof a === 'string' ? Buffer.byteLength(a, 'utf8') : (a as Uint8Array).length;
  const lengthB = typeof b === 'string' ? Buffer.byteLength(b, 'utf8') : (b as Uint8Array).length;
  if (lengthA !== lengthB) return lengthA - lengthB;
  // ASCII text (every CTAP key) compares bytewise as JavaScript compares it.
  if (typeof a === 'string' && lengthA === a.length && lengthB === (b as string).length) return a < (b as string) ? -1 : a > (b as string) ? 1 : 0;
  const bytesA = typeof a === 'string' ? Buffer.from(a, 'utf8') : (a as Uint8Array);
  const bytesB = typeof b === 'string' ? Buffer.from(b, 'utf8') : (b as Uint8Array);
  return Buffer.compare(bytesA, bytesB);
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
