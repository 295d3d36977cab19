import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CtapHidDevice } from './ctaphid.js';
import { BROADCAST_CID, CtapHidCommand, CtapHidErrorCode, MAX_MESSAGE_SIZE, encodeMessage, parseFrame } from './ctaphid-frames.js';
import { CtapHidError, SecurityKeyError } from './errors.js';
import { createMemoryLink, type DevicePort } from './transport/memory.js';

// A scripted device: each test decides exactly which reports the key sends back.
function scriptedKey(onMessage: (port: DevicePort, frame: ReturnType<typeof parseFrame>, report: Uint8Array) => void) {
  const { host, device } = createMemoryLink();
  device.onReport((report) => onMessage(device, parseFrame(report), report));
  return host;
}
const CID = 0x01020304;
const fast = { initTimeoutMs: 200, idleTimeoutMs: 200, cancelGraceMs: 100 };

function initReply(nonce: Uint8Array, cid = CID, capabilities = 0x05): Uint8Array {
  const p = new Uint8Array(17);
  p.set(nonce, 0);
  new DataView(p.buffer).setUint32(8, cid);
  p.set([2, 5, 4, 3, capabilities], 12);
  return p;
}
function answerInit(port: DevicePort, frame: ReturnType<typeof parseFrame>, cid = CID): boolean {
  if (frame.kind === 'init' && frame.cmd === CtapHidCommand.INIT) {
    for (const r of encodeMessage(BROADCAST_CID, CtapHidCommand.INIT, initReply(frame.data.subarray(0, 8), cid))) port.send(r);
    return true;
  }
  return false;
}

test('INIT allocates a channel, skipping answers with another application\'s nonce', async () => {
  const transport = scriptedKey((port, frame) => {
    if (frame.kind !== 'init' || frame.cmd !== CtapHidCommand.INIT) return;
    for (const r of encodeMessage(BROADCAST_CID, CtapHidCommand.INIT, initReply(new Uint8Array(8).fill(9), 0x0badcafe))) port.send(r);
    for (const r of encodeMessage(BROADCAST_CID, CtapHidCommand.INIT, initReply(frame.data.subarray(0, 8)))) port.send(r);
  });
  // A generous INIT timeout: on a loaded machine 200 ms can pass before both answers are read.
  const device = await CtapHidDevice.open(transport, { ...fast, initTimeoutMs: 2_000 });
  assert.equal(device.cid, CID);
  assert.deepEqual(device.info, { protocolVersion: 2, versionMajor: 5, versionMinor: 4, versionBuild: 3, capabilities: 0x05 });
  assert.ok(device.supportsCbor && device.supportsWink && device.supportsMsg);
});

test('INIT answered only with foreign nonces: nonce_mismatch, in bounded time', async () => {
  const transport = scriptedKey((port, frame) => {
    if (frame.kind === 'init') for (const r of encodeMessage(BROADCAST_CID, CtapHidCommand.INIT, initReply(new Uint8Array(8)))) port.send(r);
  });
  await assert.rejects(CtapHidDevice.open(transport, fast), (e: unknown) => e instanceof CtapHidError && e.reason === 'nonce_mismatch');
});

test('INIT allocating the broadcast channel is refused', async () => {
  const transport = scriptedKey((port, frame) => answerInit(port, frame, BROADCAST_CID));
  await assert.rejects(CtapHidDevice.open(transport, fast), (e: unknown) => e instanceof CtapHidError && e.reason === 'invalid_init_response');
});

test('silent device: INIT times out and the transport is closed again (issue 13)', async () => {
  const transport = scriptedKey(() => undefined);
  await assert.rejects(CtapHidDevice.open(transport, fast), (e: unknown) => e instanceof CtapHidError && e.reason === 'no_init_answer');
  await assert.rejects(transport.write(new Uint8Array(64)), (e: unknown) => e instanceof CtapHidError && e.reason === 'closed');
});

test('INIT refused with CTAPHID_ERROR: typed device_error and the transport is closed again', async () => {
  const transport = scriptedKey((port, frame) => {
    if (frame.kind === 'init') for (const r of encodeMessage(BROADCAST_CID, CtapHidCommand.ERROR, Uint8Array.of(CtapHidErrorCode.INVALID_CMD))) port.send(r);
  });
  await assert.rejects(CtapHidDevice.open(transport, fast), (e: unknown) => e instanceof CtapHidError && e.reason === 'device_error');
  await assert.rejects(transport.write(new Uint8Array(64)), (e: unknown) => e instanceof CtapHidError && e.reason === 'closed');
});

test('PING of the largest message round-trips across 129 frames; other channels and keepalives are skipped', async () => {
  let received: Uint8Array | undefined;
  let assembled: Uint8Array[] = [];
  const transport = scriptedKey((port, frame, report) => {
    if (answerInit(port, frame)) return;
    assembled.push(report);
    if (frame.kind === 'init') received = undefined;
    const total = frame.kind === 'init' ? frame.length : undefined;
    if (total !== undefined && assembled.length === 1 && total > 57) return;
    if (assembled.length < 129) return;
    // Echo: noise on another channel, a keepalive, then the answer.
    for (const r of encodeMessage(0x99999999, CtapHidCommand.PING, new Uint8Array(100))) port.send(r);
    for (const r of encodeMessage(CID, CtapHidCommand.KEEPALIVE, Uint8Array.of(1))) port.send(r);
    const payload = new Uint8Array(MAX_MESSAGE_SIZE);
    let offset = 0;
    for (const r of assembled) {
      const f = parseFrame(r);
      const take = Math.min(f.data.length, MAX_MESSAGE_SIZE - offset);
      payload.set(f.data.subarray(0, take), offset);
      offset += take;
    }
    received = payload;
    assembled = [];
    for (const r of encodeMessage(CID, CtapHidCommand.PING, payload)) port.send(r);
  });
  const device = await CtapHidDevice.open(transport, fast);
  const data = new Uint8Array(MAX_MESSAGE_SIZE).map((_, i) => i * 7);
  const keepalives: number[] = [];
  const echo = await device.call(CtapHidCommand.PING, data, { onKeepalive: (s) => keepalives.push(s) });
  assert.deepEqual(echo, data);
  assert.deepEqual(received, data);
  assert.deepEqual(keepalives, [1]);
});

test('a message over the maximum size is refused before sending', async () => {
  const transport = scriptedKey((port, frame) => answerInit(port, frame));
  const device = await CtapHidDevice.open(transport, fast);
  await assert.rejects(device.call(CtapHidCommand.PING, new Uint8Array(MAX_MESSAGE_SIZE + 1)), (e: unknown) => e instanceof CtapHidError && e.reason === 'message_too_large');
});

test('CTAPHID_ERROR becomes a typed device_error; CHANNEL_BUSY is retried', async () => {
  let busy = 2;
  const transport = scriptedKey((port, frame) => {
    if (answerInit(port, frame)) return;
    if (frame.kind !== 'init') return;
    if (frame.cmd === CtapHidCommand.WINK) {
      for (const r of encodeMessage(CID, CtapHidCommand.ERROR, Uint8Array.of(CtapHidErrorCode.INVALID_CMD))) port.send(r);
    } else if (busy-- > 0) {
      for (const r of encodeMessage(CID, CtapHidCommand.ERROR, Uint8Array.of(CtapHidErrorCode.CHANNEL_BUSY))) port.send(r);
    } else {
      for (const r of encodeMessage(CID, frame.cmd, Uint8Array.of(42))) port.send(r);
    }
  });
  const device = await CtapHidDevice.open(transport, fast);
  await assert.rejects(device.wink(), (e: unknown) => e instanceof CtapHidError && e.reason === 'device_error' && e.hidErrorCode === CtapHidErrorCode.INVALID_CMD);
  assert.deepEqual(await device.ping(Uint8Array.of(1)), Uint8Array.of(42));
});

test('key that stops mid-message: timeout, not a hang', async () => {
  const transport = scriptedKey((port, frame) => {
    if (answerInit(port, frame)) return;
    port.send(encodeMessage(CID, CtapHidCommand.PING, new Uint8Array(200))[0]!);
  });
  const device = await CtapHidDevice.open(transport, fast);
  const started = Date.now();
  await assert.rejects(device.ping(new Uint8Array(1)), (e: unknown) => e instanceof CtapHidError && e.reason === 'timeout');
  assert.ok(Date.now() - started < 1_000);
});

test('answers out of sequence or for another command are typed errors', async () => {
  let mode: 'seq' | 'cmd' = 'seq';
  const transport = scriptedKey((port, frame) => {
    if (answerInit(port, frame)) return;
    if (frame.kind !== 'init') return;
    if (mode === 'seq') {
      const [first, , second] = encodeMessage(CID, CtapHidCommand.PING, new Uint8Array(200));
      port.send(first!);
      port.send(second!);
    } else {
      for (const r of encodeMessage(CID, CtapHidCommand.WINK, new Uint8Array())) port.send(r);
    }
  });
  const device = await CtapHidDevice.open(transport, fast);
  await assert.rejects(device.ping(new Uint8Array(1)), (e: unknown) => e instanceof CtapHidError && e.reason === 'invalid_sequence');
  mode = 'cmd';
  await assert.rejects(device.ping(new Uint8Array(1)), (e: unknown) => e instanceof CtapHidError && e.reason === 'unexpected_command');
});

test('keepalives forever: the transaction deadline still ends it, with a CANCEL sent', async () => {
  let cancels = 0;
  let timer: NodeJS.Timeout | undefined;
  const transport = scriptedKey((port, frame) => {
    if (answerInit(port, frame)) return;
    if (frame.kind === 'init' && frame.cmd === CtapHidCommand.CANCEL) {
      cancels++;
      clearInterval(timer);
      return;
    }
    timer = setInterval(() => port.send(encodeMessage(CID, CtapHidCommand.KEEPALIVE, Uint8Array.of(2))[0]!), 10);
  });
  const device = await CtapHidDevice.open(transport, fast);
  await assert.rejects(device.call(CtapHidCommand.CBOR, Uint8Array.of(4), { timeoutMs: 150 }), (e: unknown) => e instanceof CtapHidError && e.reason === 'timeout');
  await new Promise((resolve) => setImmediate(resolve));
  clearInterval(timer);
  assert.equal(cancels, 1);
});

test('abort without the key confirming: cancelled after the grace period', async () => {
  const transport = scriptedKey((port, frame) => answerInit(port, frame));
  const device = await CtapHidDevice.open(transport, fast);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 20);
  await assert.rejects(device.call(CtapHidCommand.CBOR, Uint8Array.of(4), { signal: controller.signal }), (e: unknown) => e instanceof SecurityKeyError && e.code === 'cancelled');
});

test('unplugged mid-transaction: typed closed error', async () => {
  const { host, device: port } = createMemoryLink();
  port.onReport((report) => answerInit(port, parseFrame(report)));
  const device = await CtapHidDevice.open(host, fast);
  setTimeout(() => host.unplug(), 20);
  await assert.rejects(device.call(CtapHidCommand.CBOR, Uint8Array.of(4)), (e: unknown) => e instanceof CtapHidError && e.reason === 'closed');
});
