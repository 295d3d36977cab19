import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { encode } from 'cborg';
import { decodeCbor, encodeCbor } from './cbor.js';
import { getAssertionParameters, makeCredentialParameters } from './ctap2.js';

// encodeCbor writes CTAP2's canonical form itself (issue 19: cborg's token pass was a good part
// of the client's CPU per request). It must write exactly the bytes cborg wrote before.
test('encodeCbor writes the same canonical bytes as cborg, for every shape a request or an attestation object holds', () => {
  const edges = [0, 1, 23, 24, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, -1, -24, -25, -256, -257, -65_537, -(2 ** 32), Number.MIN_SAFE_INTEGER];
  const values: unknown[] = [
    ...edges,
    '', 'a', 'x'.repeat(23), 'x'.repeat(24), 'y'.repeat(300), 'ação é ü 🔑', true, false,
    new Uint8Array(), randomBytes(23), randomBytes(24), randomBytes(300), randomBytes(70_000),
    [], [1, 'two', new Uint8Array([3]), [4, [5]]],
    // Keys of every kind and size, inserted out of order: major type, then length, then bytes.
    new Map<unknown, unknown>([[-3, 'y'], ['type', 'public-key'], [24, 'big'], [1, 2], ['id', new Uint8Array(4)], [-1, 1], [3, -7], [-25, 'z'], [23, 'w'], ['alg', -7], [new Uint8Array([2]), 'bytes'], ['', 0], ['éa', 1], ['eb', 2], ['zz', 3], ['\uffff', 4], ['\u{1f511}', 5]]),
    new Map<string, unknown>([['fmt', 'packed'], ['attStmt', new Map<string, unknown>([['sig', randomBytes(72)], ['alg', -7], ['x5c', [randomBytes(400)]]])], ['authData', randomBytes(164)]]),
    makeCredentialParameters({
      clientDataHash: randomBytes(32),
      rp: { id: 'localhost', name: 'AgentDesk' },
      user: { id: randomBytes(16), name: 'agent@example.com', displayName: 'Agent' },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -257 }],
      excludeList: [{ type: 'public-key', id: randomBytes(64) }],
      extensions: new Map([['credProtect', 2]]),
      options: { rk: true },
      pinUvAuthParam: randomBytes(16),
      pinUvAuthProtocol: 1,
    }),
    getAssertionParameters({ rpId: 'localhost', clientDataHash: randomBytes(32), allowList: [{ type: 'public-key', id: randomBytes(64) }], options: { up: false } }),
    // Outside the direct encoder (floats, null, undefined, other keys): handed to cborg.
    1.5, null, undefined, new Map<number, undefined>([[1, undefined]]), new Map<unknown, unknown>([[true, 1]]),
  ];
  for (const value of values) {
    assert.deepEqual(Buffer.from(encodeCbor(value)).toString('hex'), Buffer.from(encode(value)).toString('hex'), `same bytes for ${String(value).slice(0, 40)}`);
  }
  const map = encodeCbor(new Map<unknown, unknown>([['b', 1], [2, 'a'], [-1, true]]));
  assert.deepEqual(decodeCbor(map), new Map<unknown, unknown>([[2, 'a'], [-1, true], ['b', 1]]));
});
