import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_MESSAGE_SIZE, MessageAssembler, encodeMessage, parseFrame } from './ctaphid-frames.js';
import { decodeCbor, decodeCborMap, encodeCbor } from './cbor.js';
import { CtapHidError, CtapProtocolError } from './errors.js';
import { parseAuthenticatorData } from './authenticator-data.js';

const CID = 0x11223344;
const report = fc.uint8Array({ minLength: 64, maxLength: 64 });
const anyLengthReport = fc.uint8Array({ minLength: 0, maxLength: 80 });

/** Feeds reports; every outcome must be a message, "need more", or a CtapHidError. */
function feed(assembler: MessageAssembler, reports: Uint8Array[]): { messages: number; errors: number } {
  let messages = 0;
  let errors = 0;
  for (const r of reports) {
    try {
      if (assembler.push(r)) messages++;
    } catch (error) {
      if (!(error instanceof CtapHidError)) throw error;
      errors++;
    }
  }
  return { messages, errors };
}

test('encode then assemble is the identity for every size up to the maximum', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: MAX_MESSAGE_SIZE }), fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0, max: 255 }), (size, cmd, fill) => {
      const payload = new Uint8Array(size).fill(fill);
      const reports = encodeMessage(CID, cmd, payload);
      assert.ok(reports.length <= 129);
      const assembler = new MessageAssembler(CID);
      let out;
      for (const r of reports) out = assembler.push(r) ?? out;
      assert.equal(out?.cmd, cmd);
      assert.deepEqual(out?.payload, payload);
    }),
    { numRuns: 200 },
  );
});

test('random reports: only messages or typed CtapHidErrors, bounded time, bounded memory', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(report, anyLengthReport), { maxLength: 300 }), (reports) => {
      const started = Date.now();
      // Some reports carry our channel id so the assembler does real work.
      const ours = reports.map((r, i) => (i % 2 === 0 && r.length === 64 ? (new DataView(r.buffer, r.byteOffset).setUint32(0, CID), r) : r));
      feed(new MessageAssembler(CID), ours);
      assert.ok(Date.now() - started < 1_000);
    }),
    { numRuns: 300 },
  );
});

test('truncated messages never complete; the next message start is a typed interruption', () => {
  fc.assert(
    fc.property(fc.integer({ min: 58, max: MAX_MESSAGE_SIZE }), fc.nat(), (size, cut) => {
      const reports = encodeMessage(CID, 0x10, new Uint8Array(size));
      const kept = reports.slice(0, 1 + (cut % (reports.length - 1)));
      const assembler = new MessageAssembler(CID);
      assert.equal(feed(assembler, kept).messages, 0);
      assert.ok(assembler.inProgress);
      assert.throws(() => assembler.push(encodeMessage(CID, 0x10, new Uint8Array(1))[0]!), (e: unknown) => e instanceof CtapHidError && e.reason === 'interrupted');
    }),
  );
});

test('oversized announcements are refused at the first frame', () => {
  fc.assert(
    fc.property(fc.integer({ min: MAX_MESSAGE_SIZE + 1, max: 0xffff }), (length) => {
      const r = new Uint8Array(64);
      new DataView(r.buffer).setUint32(0, CID);
      r[4] = 0x90;
      new DataView(r.buffer).setUint16(5, length);
      assert.throws(() => new MessageAssembler(CID).push(r), (e: unknown) => e instanceof CtapHidError && e.reason === 'message_too_large');
    }),
  );
});

test('interleaved channels: our message comes out intact whatever other channels send', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2000 }), fc.array(fc.tuple(fc.integer({ min: 1, max: 0xfffffffe }).filter((c) => c !== CID), fc.uint8Array({ maxLength: 400 })), { maxLength: 5 }), fc.nat(), (size, others, seed) => {
      const ours = encodeMessage(CID, 0x10, new Uint8Array(size).fill(0xab));
      const noise = others.flatMap(([cid, data]) => encodeMessage(cid, 0x10, data));
      const mixed = [...ours];
      noise.forEach((r, i) => mixed.splice((seed + i * 7) % (mixed.length + 1), 0, r));
      // Our own frames must stay in order: only noise moves.
      const assembler = new MessageAssembler(CID);
      let result;
      for (const r of mixed) result = assembler.push(r) ?? result;
      assert.equal(result?.payload.length, size);
    }),
    { numRuns: 200 },
  );
});

test('reordered or duplicated continuation frames are typed sequence errors', () => {
  fc.assert(
    fc.property(fc.integer({ min: 57 + 59 * 2 + 1, max: MAX_MESSAGE_SIZE }), fc.nat(), (size, pick) => {
      const reports = encodeMessage(CID, 0x10, new Uint8Array(size));
      const i = 1 + (pick % (reports.length - 2));
      const swapped = [...reports];
      [swapped[i], swapped[i + 1]] = [swapped[i + 1]!, swapped[i]!];
      const assembler = new MessageAssembler(CID);
      assert.throws(() => swapped.forEach((r) => assembler.push(r)), (e: unknown) => e instanceof CtapHidError && e.reason === 'invalid_sequence');
    }),
  );
});

test('frames are parsed by type bit, and non-64-byte reports are refused', () => {
  assert.equal(parseFrame(encodeMessage(CID, 0x06, new Uint8Array(8))[0]!).kind, 'init');
  assert.throws(() => parseFrame(new Uint8Array(65)), (e: unknown) => e instanceof CtapHidError && e.reason === 'invalid_report');
});

test('CBOR decoding of arbitrary bytes: a value or a CtapProtocolError, never anything else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
      const started = Date.now();
      try {
        decodeCbor(bytes);
      } catch (error) {
        assert.ok(error instanceof CtapProtocolError, String(error));
      }
      assert.ok(Date.now() - started < 1_000);
    }),
    { numRuns: 2000 },
  );
});

test('CBOR: truncations of valid answers and deep nesting are typed errors', () => {
  fc.assert(
    fc.property(fc.object({ maxDepth: 3 }), fc.nat(), (value, cut) => {
      const bytes = encodeCbor(value);
      if (bytes.length < 2) return;
      const truncated = bytes.subarray(0, cut % bytes.length);
      try {
        decodeCbor(truncated);
      } catch (error) {
        assert.ok(error instanceof CtapProtocolError);
      }
    }),
  );
  const deep = new Uint8Array(7000).fill(0x81); // arrays nested 7000 deep
  assert.throws(() => decodeCbor(deep), CtapProtocolError);
  assert.throws(() => decodeCbor(Uint8Array.of(0x9f, 0x01, 0xff)), CtapProtocolError); // indefinite length
  assert.throws(() => decodeCbor(Uint8Array.of(0xa2, 0x01, 0x01, 0x01, 0x02)), CtapProtocolError); // duplicate key
  assert.throws(() => decodeCborMap(Uint8Array.of(0x01)), CtapProtocolError);
});

test('authenticator data parser: random bytes give data or a CtapProtocolError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      try {
        parseAuthenticatorData(bytes);
      } catch (error) {
        assert.ok(error instanceof CtapProtocolError, String(error));
      }
    }),
    { numRuns: 1000 },
  );
});

test('canonical CTAP2 encoding: integer keys ascending, then negatives, shorter text keys first', () => {
  const bytes = encodeCbor(new Map<unknown, unknown>([[-2, 0], [3, 0], [-1, 0], [1, 0]]));
  assert.equal(Buffer.from(bytes).toString('hex'), 'a4010003002000210' + '0');
  const options = encodeCbor({ uv: true, rk: true, up: false, clientPin: true });
  assert.equal(Buffer.from(options).toString('hex'), 'a462726bf5627570f4627576f569636c69656e7450696ef5');
});
