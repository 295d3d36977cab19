// Sign in with a security key alone in the web console, through Chromium's virtual
// authenticator (a CTAP2 USB key with resident-key storage and user verification): an agent
// registers a key as a passkey, signs out, and signs in again with the key alone; with the
// account's switch off the same button says so and signs nobody in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CDPSession, Page } from 'playwright-core';
import { AuthenticatorCodes } from './support/authenticator-codes.js';
import { openConsole, recordScreen, signIn, signInWithCode } from './support/console-browser.js';
import { IdentityApi, IdentityApiError, password, seedAccount } from './support/identity-api.js';
import { consoleJourney } from './support/journey.js';

const journey = consoleJourney({ openSignup: true });
const codes = new AuthenticatorCodes();

/** A virtual CTAP2 USB key that keeps discoverable credentials and verifies its user (a PIN or fingerprint). */
async function plugInPasskeyCapableKey(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}

test('an agent registers a key as a passkey, signs out, and signs in with the key alone', async () => {
  const account = await seedAccount(journey.server.url, codes);
  await account.admin.api.call('PUT', '/account/security-settings', { requireTwoFactor: false, acknowledged: false, passwordlessSignIn: true });
  await account.createUser('Pia Agent', 'pia@acme.test');

  const { context, page } = await openConsole(journey.browser, journey.server.url);
  const key = await plugInPasskeyCapableKey(page);
  await signIn(page, 'acme', 'pia@acme.test');
  await page.getByTestId('app-home').waitFor();

  await page.getByRole('button', { name: 'Add security key' }).click();
  await page.getByLabel('Name for this key').fill('Desk passkey');
  await page.getByLabel('Use this key to sign in without a password').check();
  await recordScreen(page, 'add-security-key-passwordless', { fullPage: true });
  await page.getByRole('button', { name: 'Add security key' }).click();
  await page.getByTestId('recovery-codes').waitFor();
  await page.getByLabel('I have saved my recovery codes').check();
  await page.getByRole('button', { name: 'Done' }).click();
  await page.getByText('Desk passkey', { exact: true }).waitFor();
  await page.getByText(/Signs you in without a password/).waitFor();
  const { credentials } = await key.cdp.send('WebAuthn.getCredentials', { authenticatorId: key.authenticatorId });
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0]!.isResidentCredential, true, 'the key keeps the credential (a passkey)');

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  // The account only: no email, no password.
  await page.getByLabel('Account').fill('acme');
  await page.getByLabel('Email').fill('');
  await recordScreen(page, 'sign-in-with-security-key');
  await page.getByRole('button', { name: 'Sign in with a security key' }).click();
  await page.getByTestId('app-home').waitFor();
  await page.getByText('Pia Agent').first().waitFor();
  await recordScreen(page, 'signed-in-with-security-key');
  await page.getByText('Desk passkey', { exact: true }).waitFor();

  const audit = await account.admin.api.call<{ events: { action: string; details: { method?: string } }[] }>('GET', '/account/audit-events?limit=20');
  assert.ok(audit.events.some((e) => e.action === 'sign_in.succeeded' && e.details.method === 'passkey'));
  await context.close();
});

test('with passwordless sign-in off, the key alone signs nobody in and the page says why', async () => {
  const account = await seedAccount(journey.server.url, codes, 'globex', 'Globex Care');
  await account.createUser('Ola Agent', 'ola@globex.test');
  const { context, page } = await openConsole(journey.browser, journey.server.url);
  await plugInPasskeyCapableKey(page);
  await page.getByLabel('Account').fill('globex');
  await page.getByRole('button', { name: 'Sign in with a security key' }).click();
  await page.getByTestId('passkey-error').filter({ hasText: 'not turned on for this account' }).waitFor();
  assert.equal(await page.getByTestId('app-home').count(), 0);
  await context.close();
});

test('the admin accepts security keys only while 2FA is required: the same warning lists who has only an app, and they are signed out', async () => {
  const account = await seedAccount(journey.server.url, codes, 'initech', 'Initech Help');
  await account.createUser('Appy Agent', 'appy@initech.test');
  const appy = await IdentityApi.signIn(journey.server.url, 'initech', 'appy@initech.test', password);
  await appy.enrollAuthenticatorApp(codes);
  await account.admin.api.call('PUT', '/account/security-settings', { requireTwoFactor: true, acknowledged: true });
  assert.equal((await appy.call<{ user: { email: string } }>('GET', '/me')).user.email, 'appy@initech.test');

  const { context, page } = await openConsole(journey.browser, journey.server.url);
  await plugInPasskeyCapableKey(page);
  await signInWithCode(page, 'initech', account.admin.email, account.admin.secret, codes);
  // The admin's own key first: accepting security keys only needs one.
  await page.goto('/#/security');
  await page.getByRole('button', { name: 'Add security key' }).click();
  await page.getByLabel('Name for this key').fill('Admin key');
  await page.getByRole('button', { name: 'Add security key' }).click();
  await page.getByText('Admin key', { exact: true }).waitFor();

  await page.goto('/#/admin/security');
  await page.getByRole('heading', { name: 'Authentication' }).waitFor();
  await page.getByRole('group', { name: 'Accepted second factors' }).getByRole('radio', { name: 'Security keys only' }).check();
  await page.getByText('Everyone without a security key will be signed out').waitFor();
  await page.getByTestId('enforcement-impact').waitFor();
  await recordScreen(page, 'admin-security-keys-only-impact', { fullPage: true });
  const warning = page.getByRole('region', { name: 'Everyone without a security key will be signed out' });
  assert.match(await warning.innerText(), /Appy Agent \(appy@initech\.test\) — authenticator app only/);
  const save = page.getByRole('button', { name: 'Save', exact: true });
  assert.equal(await save.isDisabled(), true, 'not before "I understand"');
  await page.getByLabel('I understand').check();
  await recordScreen(page, 'admin-security-keys-only-warning', { fullPage: true });
  await save.click();
  const result = page.getByTestId('save-result');
  await result.waitFor();
  assert.match(await result.innerText(), /signed out \(1 session ended\)/);
  assert.match(await result.innerText(), /Only security keys are accepted/);
  await assert.rejects(appy.call('GET', '/me'), (e: unknown) => e instanceof IdentityApiError && e.status === 401);
  await context.close();
});
