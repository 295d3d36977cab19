import { encodeCbor } from './cbor.js';
import { descriptorMap, type CredentialDescriptor } from './ctap2.js';

// CTAP 2.1 §6.4: a key takes at most `maxCredentialCountInList` descriptors per allow or exclude
// list, and no request longer than `maxMsgSize` bytes (1024 when it does not say, §6; never more
// than the 7609 bytes CTAPHID can frame, §11.2.4). Lists are cut to respect both.

/** Bytes of a CBOR array header for `count` items (RFC 8949 §3). */
function arrayHeaderSize(count: number): number {
  return count < 24 ? 1 : count < 0x100 ? 2 : count < 0x10000 ? 3 : 5;
}

export interface CredentialListFit {
  /** Consecutive batches, each small enough to send in one request. */
  batches: CredentialDescriptor[][];
  /** Descriptors that cannot fit in any request to this key (so it cannot have issued them usably). */
  unfit: CredentialDescriptor[];
}

/**
 * Cuts `list` into batches of at most `maxCount` descriptors such that the request carrying a
 * batch stays within `maxSize` bytes. `baseSize` is the request's size without the list; the list
 * adds its map key (one byte: 0x03 or 0x05), the array header and the descriptors, whose canonical
 * encodings simply concatenate, so the sizes are exact without encoding each candidate request.
 */
export function fitCredentialList(list: CredentialDescriptor[], baseSize: number, maxSize: number, maxCount: number): CredentialListFit {
  const batches: CredentialDescriptor[][] = [];
  const unfit: CredentialDescriptor[] = [];
  const count = Math.max(1, maxCount);
  let batch: CredentialDescriptor[] = [];
  let itemsSize = 0;
  const sizeWith = (n: number, items: number) => baseSize + 1 + arrayHeaderSize(n) + items;
  for (const descriptor of list) {
    const size = encodeCbor(descriptorMap(descriptor)).length;
    if (sizeWith(1, size) > maxSize) {
      unfit.push(descriptor);
      continue;
    }
    if (batch.length >= count || sizeWith(batch.length + 1, itemsSize + size) > maxSize) {
      batches.push(batch);
      batch = [];
      itemsSize = 0;
    }
    batch.push(descriptor);
    itemsSize += size;
  }
  if (batch.length > 0) batches.push(batch);
  return { batches, unfit };
}
