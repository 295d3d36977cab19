// Sign in with a security key alone in the web console, through Chromium's virtual
// authenticator (a CTAP2 USB key with resident-key storage and user verification): an agent
// registers a key as a passkey, signs out, and signs in again with the key alone; with the
// account's switch off the same button says so and signs nobody in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CDPSession, Page } from 'playwright-core';
import { AuthenticatorCodes } from './support/authenticator-codes.js';
import { openConsole, recordScreen, signIn } from './support/console-browser.js';
import { seedAccount } from './support/identity-api.js';
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
