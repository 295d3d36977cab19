import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fitCredentialList } from './credential-lists.js';
import { ctap2RequestSize, getAssertionParameters, makeCredentialParameters, type CredentialDescriptor } from './ctap2.js';

// The batches are sized by adding up the descriptors' encodings; these properties check that
// arithmetic against the real encoding of the real requests (CTAP 2.1 §6.4 maxMsgSize).
const descriptorList = fc.array(fc.integer({ min: 1, max: 1_100 }).map((length): CredentialDescriptor => ({ type: 'public-key', id: new Uint8Array(length).fill(length & 0xff) })), { maxLength: 40 });

const requests = {
  getAssertion: (list: CredentialDescriptor[]) => ctap2RequestSize(getAssertionParameters({ rpId: 'agentdesk.example', clientDataHash: new Uint8Array(32), allowList: list, options: { up: false } })),
  makeCredential: (list: CredentialDescriptor[]) =>
    ctap2RequestSize(makeCredentialParameters({
      clientDataHash: new Uint8Array(32),
      rp: { id: 'agentdesk.example', name: 'AgentDesk' },
      user: { id: new Uint8Array(32), name: 'ana@acme.test', displayName: 'Ana Agent' },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      excludeList: list,
      pinUvAuthParam: new Uint8Array(32),
      pinUvAuthProtocol: 2,
    })),
};

for (const [name, sizeOf] of Object.entries(requests)) {
  test(`${name}: every batch fits maxMsgSize and the count, none could take the next id, nothing fitting is lost`, () => {
    fc.assert(
      fc.property(descriptorList, fc.integer({ min: 200, max: 7609 }), fc.integer({ min: 1, max: 25 }), (list, maxSize, maxCount) => {
        const base = sizeOf([]);
        fc.pre(base <= maxSize);
        const { batches, unfit } = fitCredentialList(list, base, maxSize, maxCount);
        for (const [i, batch] of batches.entries()) {
          assert.ok(batch.length >= 1 && batch.length <= maxCount);
          assert.ok(sizeOf(batch) <= maxSize, `batch of ${sizeOf(batch)} bytes over ${maxSize}`);
          const next = batches[i + 1]?.[0];
          if (next && batch.length < maxCount) assert.ok(sizeOf([...batch, next]) > maxSize, 'a batch is cut only when the next id would not fit');
        }
        for (const descriptor of unfit) assert.ok(sizeOf([descriptor]) > maxSize);
        assert.equal(batches.flat().length + unfit.length, list.length);
      }),
      { numRuns: 300 },
    );
  });
}

test('the keys from issue 13: maxMsgSize 1200, 20 ids per list, 64-byte ids', () => {
  const ids = Array.from({ length: 20 }, (_, i): CredentialDescriptor => ({ type: 'public-key', id: new Uint8Array(64).fill(i) }));
  const base = requests.getAssertion([]);
  assert.ok(requests.getAssertion(ids) > 1200, 'the whole 20-id probe does not fit');
  const { batches } = fitCredentialList(ids, base, 1200, 20);
  assert.equal(batches.length, 2);
  for (const batch of batches) assert.ok(requests.getAssertion(batch) <= 1200);
});
