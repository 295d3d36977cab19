/// <reference types="node" />
// What the screens say, on plain Node (no DOM needed): every revocation reason of the contract
// gets its own sentence, a lock-out names its length and the way out, and a method added under
// its default name reads as English.
import { test } from 'node:test';
import type { AccountUser } from '../../contract/answers';
import assert from 'node:assert/strict';
import { ApiError, refusedUntil } from '../../contract/api-error';
import { describeDetailName, describeValue, visibleDetails } from './audit/audit-words';
import { liveLockouts, lockoutKindText, untilText } from './admin-users/lockouts';
import { clockText } from './shared/LockedNotice';
import { setLocale, t } from './i18n';
import { activityText } from './rollout/activity-text';
import { describeError } from './api/error-messages';
import { describeMethod, methodName } from './method-names';
import { describeSessionRevoked } from './session-revoked-reasons';

test('each reason the server gives for ending a session has a sentence of its own', () => {
  const reasons = ['two_factor_required', 'security_key_required', 'two_factor_reset', 'signed_out', 'expired', 'second_factor_added', 'signed_out_elsewhere', 'deactivated', 'password_changed', 'not_me', 'signed_out_by_admin'];
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

// Issue 19: a counter regression reached the agent as the WebAuthn library's English.
test('a key refused as a possible copy says so, whatever the server worded; a silent key says to replug it', () => {
  const copy = ApiError.from({ code: 'security_key_rejected', message: 'Response counter value 2 was lower than expected 4', status: 400, reason: 'counter_regression' });
  assert.equal(describeError(copy), 'This key may be a copy: ask your administrator.');
  assert.equal(describeError(ApiError.from({ code: 'security_key_rejected', message: 'x', status: 400 })), 'That security key was not accepted. Try another key or method.');
  assert.equal(describeError(ApiError.from({ code: 'security_key_not_responding', message: 'x' })), 'The security key is not responding. Unplug it and plug it in again.');
});

test('"Authenticator app added", not "Authenticator app “Authenticator app” added"', () => {
  assert.equal(describeMethod({ type: 'totp', name: 'Authenticator app' }), 'Authenticator app');
  assert.equal(describeMethod({ type: 'security_key', name: 'security key ' }), 'Security key');
  assert.equal(describeMethod({ type: 'security_key', name: 'Blue YubiKey' }), 'Security key “Blue YubiKey”');
  assert.equal(describeMethod({ type: 'totp', name: 'Phone' }), 'Authenticator app “Phone”');
});

test('security activity names a method once when it kept its default name', () => {
  assert.equal(activityText({ kind: 'method_added', details: { type: 'totp', name: 'Authenticator app' } }), 'Authenticator app added');
  assert.equal(activityText({ kind: 'method_removed', details: { type: 'security_key', name: 'Blue YubiKey' } }), 'Security key “Blue YubiKey” removed');
});

test('counts use the plural rules: "0 sessions", "1 session", never "session(s)"', () => {
  // ICU plurals from the catalogue (renderer/src/i18n), formatted by the platform's Intl.
  const sessions = (n: number) => t('sessions.signedOutOthers', { count: n });
  assert.deepEqual([0, 1, 2, 1204].map(sessions), ['Signed out 0 other sessions.', 'Signed out 1 other session.', 'Signed out 2 other sessions.', 'Signed out 1,204 other sessions.']);
});

test('a lock counts down as a clock reads, from lockedUntil when the server gives it, else from retryAfterSeconds', () => {
  assert.equal(clockText(161_000), '2:41');
  assert.equal(clockText(59_001), '1:00');
  assert.equal(clockText(3_725_000), '1:02:05');
  assert.equal(clockText(-5), '0:00');
  const now = Date.parse('2026-12-07T10:00:00Z');
  const until = '2026-12-07T10:02:41Z';
  assert.equal(refusedUntil(ApiError.from({ code: 'too_many_attempts', retryAfterSeconds: 900, locked: true, lockedUntil: until }), now), Date.parse(until));
  assert.equal(refusedUntil(ApiError.from({ code: 'too_many_attempts', retryAfterSeconds: 30 }), now), now + 30_000);
  assert.equal(refusedUntil(ApiError.from({ code: 'too_many_attempts' }), now), null);
  assert.equal(refusedUntil(ApiError.from({ code: 'invalid_code', retryAfterSeconds: 30 }), now), null);
});

test("a user's lock-outs on the Users row: each kind in words with its end; an older server's lockedUntil alone still shows", () => {
  const base: AccountUser = { id: 'u', name: 'Dana', email: 'd@x', role: 'agent', status: 'active', twoFactorEnabled: true, methodTypes: ['totp'], methodCount: 1, createdAt: '', lastSignInAt: null, language: null, lockedUntil: null };
  const now = Date.parse('2026-12-07T10:00:00Z');
  const later = '2026-12-07T10:30:00Z';
  const listed = { ...base, lockedUntil: null, lockouts: [{ kind: 'device', until: later, deviceId: 'd1' }, { kind: 'enrollment_code', until: '2026-12-07T09:00:00Z' }] };
  assert.deepEqual(liveLockouts(listed, now).map((l) => l.kind), ['device'], 'a lock already over is left out');
  assert.deepEqual(liveLockouts({ ...base, lockedUntil: later }, now), [{ kind: 'new_devices', until: later }]);
  assert.deepEqual(liveLockouts({ ...base, lockedUntil: null }, now), []);
  assert.equal(lockoutKindText('device'), 'Sign-in on one device');
  assert.equal(lockoutKindText('some_new_kind'), 'Some new kind');
  assert.match(untilText(later, new Date(now)), /^until \d{1,2}[:.]\d{2}/);
});

test('audit details read as words: no raw keys, no "on → on", policies named', () => {
  assert.equal(describeDetailName('lockedUntil'), 'Locked until');
  assert.equal(describeDetailName('someNewDetail'), 'Some new detail');
  assert.equal(describeDetailName('scope'), 'What was locked');
  assert.equal(describeValue('device', 'scope'), 'sign-in on one device');
  assert.equal(describeValue({ from: 'security_keys', to: 'any' }, 'secondFactorPolicy'), 'security keys only → authenticator apps and security keys');
  assert.deepEqual(
    visibleDetails({ requireTwoFactor: { from: true, to: true }, secondFactorPolicy: { from: 'any', to: 'security_keys' }, deviceId: 'x' }).map(([k]) => k),
    ['secondFactorPolicy'],
  );
});

test('under "security keys only" the signed-out app user is told it is a key they lack', () => {
  assert.equal(describeSessionRevoked('security_key_required'), 'Your administrator now requires a security key. Sign in and add one to keep using AgentDesk.');
});

// Issue 19 (the walk in every language, e2e/languages.test.ts): a method kept under its default
// name showed the server's English ("Authenticator app") on a Portuguese My security and audit log.
test('a default method name reads in the current language, on My security and in the audit log; a name of the user’s own stays', () => {
  setLocale('pt-PT');
  try {
    assert.equal(methodName({ type: 'totp', name: 'Authenticator app' }), 'Aplicação de autenticação');
    assert.equal(methodName({ type: 'security_key', name: 'Llave de seguridad' }), 'Chave de segurança');
    assert.equal(methodName({ type: 'totp', name: 'Telemóvel da Rita' }), 'Telemóvel da Rita');
    assert.equal(describeValue('Authenticator app', 'name'), 'Aplicação de autenticação');
    assert.equal(describeValue('Rita Agente', 'name'), 'Rita Agente');
  } finally {
    setLocale('en');
  }
});
