// RFC 6238 test vectors (Appendix B, SHA-1) for the reference implementation the tests use,
// and the server's TOTP check graded against it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base32Decode, totpAt, totpCode } from '../testing/totp-reference.js';
import { matchTotp, newTotpSecret } from './totp.js';

const rfcKey = Buffer.from('12345678901234567890');
const vectors: [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

test('the reference TOTP matches the RFC 6238 SHA-1 vectors', () => {
  for (const [seconds, expected] of vectors) assert.equal(totpAt(rfcKey, seconds * 1000, { digits: 8 }), expected);
});

test('the server accepts the RFC vector codes (6 digits) for their step and the steps either side', () => {
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // base32 of the RFC's 20-byte key
  assert.deepEqual(base32Decode(secret), rfcKey);
  for (const [seconds, expected] of vectors) {
    const code = expected.slice(2);
    const step = Math.floor(seconds / 30);
    assert.equal(matchTotp(secret, code, null, seconds * 1000), step);
    assert.equal(matchTotp(secret, code, null, seconds * 1000 + 30_000), step, 'previous step accepted');
    assert.equal(matchTotp(secret, code, null, seconds * 1000 - 30_000), step, 'next step accepted');
    assert.equal(matchTotp(secret, code, null, seconds * 1000 + 61_000), null, 'two steps late refused');
  }
});

test('a code is refused for a step at or before the last accepted one (replay)', () => {
  const secret = newTotpSecret();
  const now = Date.now();
  const code = totpCode(secret, now);
  const step = matchTotp(secret, code, null, now)!;
  assert.equal(matchTotp(secret, code, step, now), null);
  assert.equal(matchTotp(secret, code, step - 1, now), step);
});

test('new secrets are 160 bits of base32', () => {
  const secret = newTotpSecret();
  assert.equal(base32Decode(secret).length, 20);
  assert.notEqual(newTotpSecret(), secret);
});

test('malformed codes are refused without throwing', () => {
  const secret = newTotpSecret();
  for (const code of ['', '12345', '1234567', 'abcdef', '12 345', '١٢٣٤٥٦']) assert.equal(matchTotp(secret, code, null), null);
});
