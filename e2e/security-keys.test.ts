// Security keys in the web console through Chromium's virtual authenticator (a CTAP2 key on
// USB, with user verification): register one, cancel a ceremony, then sign in by touching it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CDPSession, Page } from 'playwright-core';
import { AuthenticatorCodes } from './support/authenticator-codes.js';
import { openConsole, recordScreen, signIn } from './support/console-browser.js';
import { seedAccount } from './support/identity-api.js';
import { consoleJourney } from './support/journey.js';

// Two accounts on one server: open signup lets the second be created.
const journey = consoleJourney({ openSignup: true });

const codes = new AuthenticatorCodes();

/** A virtual CTAP2 USB key; `touched: false` makes it wait for a touch that never comes. */
async function plugInSecurityKey(page: Page, touched = true): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'usb',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: touched,
    },
  });
  return { cdp, authenticatorId };
}

test('an agent registers a security key, and signs in with it', async () => {
  const account = await seedAccount(journey.server.url, codes);
  await account.createUser('Kim Agent', 'kim@acme.test');

  const { context, page } = await openConsole(journey.browser, journey.server.url);
  const untouchedKey = await plugInSecurityKey(page, false);
  await signIn(page, 'acme', 'kim@acme.test');
  await page.getByTestId('app-home').waitFor();

  await page.getByRole('button', { name: 'Add security key' }).click();
  await page.getByLabel('Name for this key').fill('Blue YubiKey');
  await recordScreen(page, 'add-security-key', { fullPage: true });

  // The key waits for a touch: the prompt shows, and Cancel ends the ceremony.
  await page.getByRole('button', { name: 'Add security key' }).click();
  await page.getByText('Touch your security key').waitFor();
  await recordScreen(page, 'security-key-touch', { fullPage: true });
  await page.getByRole('status').filter({ hasText: 'Touch your security key' }).getByRole('button', { name: 'Cancel' }).click();
  await page.getByText('The security key request was cancelled or timed out.').waitFor();

  // Now a key that answers the touch at once.
  await untouchedKey.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: untouchedKey.authenticatorId });
  const key = await plugInSecurityKey(page);
  await page.getByRole('button', { name: 'Add security key' }).click();
  await page.getByTestId('recovery-codes').waitFor();
  await page.getByLabel('I have saved my recovery codes').check();
  await page.getByRole('button', { name: 'Done' }).click();
  await page.getByText('Blue YubiKey', { exact: true }).waitFor();
  await page.getByText(/^Security key · Added/).waitFor();
  const { credentials } = await key.cdp.send('WebAuthn.getCredentials', { authenticatorId: key.authenticatorId });
  assert.equal(credentials.length, 1);
  await recordScreen(page, 'my-security-security-key');

  await page.getByRole('button', { name: 'Rename Blue YubiKey' }).click();
  await page.getByLabel('New name for Blue YubiKey').fill('Desk YubiKey');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Desk YubiKey', { exact: true }).waitFor();

  // Sign out and in again: the second step offers the key first (last used first).
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await signIn(page, 'acme', 'kim@acme.test');
  await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
  await page.getByRole('button', { name: 'Use security key' }).waitFor();
  await recordScreen(page, 'second-step-security-key');
  await page.getByRole('button', { name: 'Use security key' }).click();
  await page.getByTestId('app-home').waitFor();
  await page.getByText(/Last used (?!Never)/).waitFor();

  await context.close();
});

test('enrollment required: a new agent sets up a security key at first sign-in', async () => {
  const account = await seedAccount(journey.server.url, codes, 'globex', 'Globex Care');
  await account.admin.api.call('PUT', '/account/security-settings', { requireTwoFactor: true, acknowledged: true });
  await account.createUser('Lee Agent', 'lee@globex.test');

  const { context, page } = await openConsole(journey.browser, journey.server.url);
  await plugInSecurityKey(page);
  await signIn(page, 'globex', 'lee@globex.test');
  await page.getByRole('heading', { name: 'Set up two-factor authentication' }).waitFor();
  await page.getByRole('button', { name: /Security key/ }).click();
  await page.getByLabel('Name for this key').fill('Desk key');
  await recordScreen(page, 'enrollment-security-key', { fullPage: true });
  await page.getByRole('button', { name: 'Add security key' }).click();
  await page.getByTestId('recovery-codes').waitFor();
  await page.getByLabel('I have saved my recovery codes').check();
  await page.getByRole('button', { name: 'Continue to AgentDesk' }).click();
  await page.getByTestId('app-home').waitFor();
  await page.getByText('Desk key', { exact: true }).waitFor();

  await context.close();
});
