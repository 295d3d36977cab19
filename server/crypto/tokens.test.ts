import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId, newTimeOrderedId, newToken } from './tokens.js';

// The random bytes come from a pool refilled 4 KiB at a time: no byte may be handed out twice,
// across refills too (1,000 tokens of 32 bytes go through the pool eight times).
test('tokens and ids are never repeated, across the random pool refills, and have their full length', () => {
  const tokens = Array.from({ length: 1000 }, () => newToken());
  assert.equal(new Set(tokens).size, tokens.length);
  for (const token of tokens) assert.equal(Buffer.from(token, 'base64url').length, 32);
  const ids = Array.from({ length: 1000 }, () => newId());
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.equal(Buffer.from(id, 'base64url').length, 12);
  // Bytes handed out twice would show as two tokens sharing a half.
  const halves = new Set(tokens.map((t) => Buffer.from(t, 'base64url').subarray(0, 16).toString('hex')));
  assert.equal(halves.size, tokens.length);
  const ordered = Array.from({ length: 500 }, () => newTimeOrderedId(1_800_000_000_000));
  assert.equal(new Set(ordered).size, ordered.length);
  assert.deepEqual([...ordered].sort(), ordered);
});
