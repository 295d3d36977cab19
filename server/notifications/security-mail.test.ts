// The security email's sentence for each change reads as English: the right article, and a
// method under its default name not named twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeActivity } from './security-mail.js';

test('"An authenticator app was added", not "A authenticator app “Authenticator app” was added"', () => {
  assert.equal(describeActivity('method_added', { type: 'totp', name: 'Authenticator app' }), 'An authenticator app was added as a second factor of your account');
  assert.equal(describeActivity('method_added', { type: 'security_key', name: 'Security key' }), 'A security key was added as a second factor of your account');
  assert.equal(describeActivity('method_added', { type: 'security_key', name: 'Blue YubiKey' }), 'A security key “Blue YubiKey” was added as a second factor of your account');
  assert.equal(describeActivity('method_removed', { type: 'totp', name: 'authenticator app ' }), 'The authenticator app was removed from your account');
});
