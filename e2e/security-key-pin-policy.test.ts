// Admin → Security Settings → Authentication → "Security keys: ask for the key's PIN": the admin
// makes every security key ask for its PIN (or fingerprint), confirming a fresh second factor
// first; the keys the next user sets up are then asked for user verification, and the change
// is in the audit log. Nobody is signed out by it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthenticatorCodes } from './support/authenticator-codes.js';
import { openConsole, recordScreen, signInWithCode } from './support/console-browser.js';
import { IdentityApi, password, seedAccount } from './support/identity-api.js';
import { consoleJourney } from './support/journey.js';

const journey = consoleJourney();

const codes = new AuthenticatorCodes();

test('the admin makes security keys always ask for their PIN; the next user is asked for user verification', async () => {
  const account = await seedAccount(journey.server.url, codes);
  await account.createUser('Ana Agent', 'ana@acme.test');
  const ana = await IdentityApi.signIn(journey.server.url, 'acme', 'ana@acme.test', password);
  const before = await ana.call<{ authenticatorSelection: { userVerification: string } }>('POST', '/me/methods/security-keys/options', {});
  assert.equal(before.authenticatorSelection.userVerification, 'discouraged', 'by default a touch is enough');

  const admin = await openConsole(journey.browser, journey.server.url);
  await signInWithCode(admin.page, 'acme', account.admin.email, account.admin.secret, codes);
  await admin.page.getByRole('heading', { name: 'Authentication' }).waitFor();
  assert.match(admin.page.url(), /#\/admin\/security$/);

  const policy = admin.page.getByRole('group', { name: 'Security keys: ask for the key’s PIN' });
  const whenDemanded = policy.getByRole('radio', { name: 'Only when the key demands it' });
  const always = policy.getByRole('radio', { name: 'Always' });
  assert.equal(await whenDemanded.isChecked(), true, 'the default');
  const save = admin.page.getByRole('button', { name: 'Save' });
  assert.equal(await save.isDisabled(), true, 'nothing to save yet');
  await always.check();
  assert.equal(await save.isEnabled(), true);
  await recordScreen(admin.page, 'admin-security-key-pin-policy', { fullPage: true });

  // A sensitive change: with the second factor no longer recent, the dialog asks for it.
  journey.server.setReauthenticationWindow(1);
  await save.click();
  const dialog = admin.page.getByRole('dialog', { name: 'Confirm it’s you' });
  await dialog.waitFor();
  journey.server.setReauthenticationWindow(10 * 60_000);
  await dialog.getByLabel('Code from your authenticator app').fill(await codes.next(account.admin.secret));
  const result = admin.page.getByTestId('save-result');
  await result.waitFor();
  assert.equal(await result.innerText(), 'Security keys now always ask for their PIN or fingerprint.');
  assert.equal(await admin.page.getByRole('switch', { name: 'Require two-factor authentication' }).getAttribute('aria-checked'), 'false');

  // The server has it, and the next key anyone sets up must verify its user.
  const settings = await account.admin.api.call<{ requireTwoFactor: boolean; userVerification: string }>('GET', '/account/security-settings');
  assert.deepEqual({ requireTwoFactor: settings.requireTwoFactor, userVerification: settings.userVerification }, { requireTwoFactor: false, userVerification: 'required' });
  await account.createUser('Kim Agent', 'kim@acme.test');
  const kim = await IdentityApi.signIn(journey.server.url, 'acme', 'kim@acme.test', password);
  const options = await kim.call<{ authenticatorSelection: { userVerification: string } }>('POST', '/me/methods/security-keys/options', {});
  assert.equal(options.authenticatorSelection.userVerification, 'required');
  // Nobody was signed out by it.
  assert.equal((await ana.call<{ user: { email: string } }>('GET', '/me')).user.email, 'ana@acme.test');

  // A reload keeps the screen and shows the saved choice; the audit log names the change.
  await admin.page.reload();
  await admin.page.getByRole('heading', { name: 'Authentication' }).waitFor();
  assert.equal(await always.isChecked(), true);
  await admin.page.getByRole('button', { name: 'Audit log' }).click();
  assert.match(admin.page.url(), /#\/admin\/audit$/);
  // Newest first: the change just saved.
  const change = admin.page.getByRole('row', { name: /Changed security settings/ }).first();
  await change.waitFor();
  assert.match(await change.innerText(), /Alice Admin[\s\S]*Security-key PIN: when the key demands it → always/);

  await admin.context.close();
});
