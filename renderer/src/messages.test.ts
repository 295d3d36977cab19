/// <reference types="node" />
// What the screens say, on plain Node (no DOM needed): every revocation reason of the contract
// gets its own sentence, a lock-out names its length and the way out, and a method added under
// its default name reads as English.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './api/api-error';
import { describeError } from './api/error-messages';
import { describeMethod } from './method-names';
import { describeSessionRevoked } from './session-revoked-reasons';

test('each reason the server gives for ending a session has a sentence of its own', () => {
  const reasons = ['two_factor_required', 'security_key_required', 'two_factor_reset', 'signed_out', 'expired', 'second_factor_added', 'signed_out_elsewhere', 'deactivated', 'password_changed', 'not_me'];
  const generic = describeSessionRevoked('something_new');
  const sentences = reasons.map(describeSessionRevoked);
  for (const [i, sentence] of sentences.entries()) assert.notEqual(sentence, generic, reasons[i]);
  assert.equal(new Set(sentences).size, reasons.length, 'no two reasons read the same');
  assert.equal(describeSessionRevoked('second_factor_added'), 'Two-factor authentication was set up on your account from another sign-in. Sign in again.');
  assert.equal(describeSessionRevoked('toString'), generic, 'no prototype names');
});

test('a lock-out says how long, to ask an admin, and is not the short throttle', () => {
  const locked = describeError(ApiError.from({ code: 'too_many_attempts', message: 'x', status: 429, retryAfterSeconds: 900, locked: true }));
  assert.equal(locked, 'Too many wrong attempts: sign-in to this account is locked for 15 minutes. Ask your administrator to lift the lock-out, or try again then.');
  assert.match(describeError(ApiError.from({ code: 'too_many_attempts', retryAfterSeconds: 7200, locked: true })), /locked for 2 hours/);
  assert.equal(describeError(ApiError.from({ code: 'too_many_attempts', retryAfterSeconds: 30 })), 'Too many attempts. Try again in 30 seconds.');
});

test('"Authenticator app added", not "Authenticator app “Authenticator app” added"', () => {
  assert.equal(describeMethod({ type: 'totp', name: 'Authenticator app' }), 'Authenticator app');
  assert.equal(describeMethod({ type: 'security_key', name: 'security key ' }), 'Security key');
  assert.equal(describeMethod({ type: 'security_key', name: 'Blue YubiKey' }), 'Security key “Blue YubiKey”');
  assert.equal(describeMethod({ type: 'totp', name: 'Phone' }), 'Authenticator app “Phone”');
});
