import { decode, encode } from 'cborg';
import { CtapProtocolError } from './errors.js';

/**
 * CTAP2 canonical CBOR (CTAP 2.1 §8: shortest integer and length forms, definite lengths, map
 * keys by major type, then by length, then bytewise). Everything a request or an attestation
 * object holds (maps with integer or text keys, arrays, byte and text strings, safe integers,
 * booleans) is written straight into one buffer; anything else (floats, null, other key types)
 * goes to cborg, whose default ordering is the same, so the bytes are those cborg would write.
 */
export function encodeCbor(value: unknown): Uint8Array {
  const writer = new Writer();
  try {
    writeItem(writer, value);
  } catch (error) {
    if (error === UNSUPPORTED) return encode(value);
    throw error;
  }
  return writer.bytes.slice(0, writer.length);
}

const UNSUPPORTED = Symbol('unsupported by the direct encoder');
const utf8 = new TextEncoder();

class Writer {
  bytes: Uint8Array;
  length = 0;

  constructor(size = 256) {
    this.bytes = new Uint8Array(size);
  }

  reserve(n: number): number {
    const at = this.length;
    const need = at + n;
    if (need > this.bytes.length) {
      const grown = new Uint8Array(Math.max(need, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, at));
      this.bytes = grown;
    }
    this.length = need;
    return at;
  }

  head(major: number, n: number): void {
    const type = major << 5;
    if (n < 24) {
      const at = this.reserve(1);
      this.bytes[at] = type | n;
    } else if (n < 0x100) {
      const at = this.reserve(2);
      this.bytes[at] = type | 24;
      this.bytes[at + 1] = n;
    } else if (n < 0x10000) {
      const at = this.reserve(3);
      this.bytes[at] = type | 25;
      this.bytes[at + 1] = n >>> 8;
      this.bytes[at + 2] = n & 0xff;
    } else if (n < 0x100000000) {
      const at = this.reserve(5);
      this.bytes[at] = type | 26;
      this.bytes[at + 1] = n >>> 24;
      this.bytes[at + 2] = (n >>> 16) & 0xff;
      this.bytes[at + 3] = (n >>> 8) & 0xff;
      this.bytes[at + 4] = n & 0xff;
    } else {
      const at = this.reserve(9);
      this.bytes[at] = type | 27;
      const high = Math.floor(n / 0x100000000);
      const low = n >>> 0;
      for (let i = 0; i < 4; i++) {
        this.bytes[at + 1 + i] = (high >>> (24 - 8 * i)) & 0xff;
        this.bytes[at + 5 + i] = (low >>> (24 - 8 * i)) & 0xff;
      }
    }
  }

  raw(data: Uint8Array): void {
    const at = this.reserve(data.length);
    this.bytes.set(data, at);
  }
}

function writeItem(w: Writer, value: unknown): void {
  switch (typeof value) {
    case 'number':
      if (!Number.isSafeInteger(value)) throw UNSUPPORTED;
      if (value >= 0) w.head(0, value);
      else w.head(1, -1 - value);
      return;
    case 'string': {
      const data = utf8.encode(value);
      w.head(3, data.length);
      w.raw(data);
      return;
    }
    case 'boolean': {
      const at = w.reserve(1);
      w.bytes[at] = value ? 0xf5 : 0xf4;
      return;
    }
    case 'object':
      if (value instanceof Uint8Array) {
        w.head(2, value.length);
        w.raw(value);
        return;
      }
      if (Array.isArray(value)) {
        w.head(4, value.length);
        for (const item of value) writeItem(w, item);
        return;
      }
      if (value instanceof Map) return writeMap(w, value);
      throw UNSUPPORTED;
    default:
      throw UNSUPPORTED;
  }
}

function writeMap(w: Writer, map: Map<unknown, unknown>): void {
  const entries: { key: Uint8Array; value: unknown }[] = [];
  for (const [key, value] of map) {
    if (typeof key !== 'number' && typeof key !== 'string' && !(key instanceof Uint8Array)) throw UNSUPPORTED;
    const one = new Writer(typeof key === 'number' ? 9 : 64);
    writeItem(one, key);
    entries.push({ key: one.bytes.subarray(0, one.length), value });
  }
  entries.sort((a, b) => compareKeys(a.key, b.key));
  w.head(5, entries.length);
  for (const entry of entries) {
    w.raw(entry.key);
    writeItem(w, entry.value);
  }
}

/** CTAP2 canonical key order on encoded keys: major type, then length, then bytes. */
function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const majorA = a[0]! >> 5;
  const majorB = b[0]! >> 5;
  if (majorA !== majorB) return majorA - majorB;
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
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
