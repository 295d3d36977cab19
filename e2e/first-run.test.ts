// First run of a fresh server: an organisation and its admin are created from the console,
// and the whole sign-in is done with the keyboard alone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium, openConsole, recordScreen } from './support/console-browser.js';
import { password } from './support/identity-api.js';
import { startTestServer, type TestServer } from './support/test-server.js';

let server: TestServer;
let browser: Browser;

before(async () => {
  server = await startTestServer();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the first account is created from the console, then signed in to with the keyboard only', async () => {
  const { context, page } = await openConsole(browser, server.url);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByRole('heading', { name: 'Create an account' }).waitFor();
  await page.getByLabel('Organisation name').fill('Initech Help Desk');
  await page.getByLabel('Account short name').fill('initech');
  await page.getByLabel('Your name').fill('Peter Admin');
  await page.getByLabel('Your email').fill('peter@initech.test');
  await page.getByLabel('Password').fill(password);
  await recordScreen(page, 'create-account', { fullPage: true });
  await page.getByRole('button', { name: 'Create account' }).click();

  const focusedId = () => page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id);
  // Back on sign-in with the account remembered; Tab order is account, email, password, submit.
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await focusedId(), 'sign-in-account');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('initech');
  await page.keyboard.press('Tab');
  assert.equal(await focusedId(), 'sign-in-email');
  await page.keyboard.type('peter@initech.test');
  await page.keyboard.press('Tab');
  await page.keyboard.type('wrong password');
  await page.keyboard.press('Enter');
  await page.getByText('The account, email or password is not right.').waitFor();
  await recordScreen(page, 'sign-in-wrong-password');
  await page.getByLabel('Password').focus();
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');

  // An admin without 2FA, not required: straight in, with the suggestion to turn it on.
  await page.getByTestId('app-home').waitFor();
  await page.getByText('Protect your account').waitFor();
  await page.reload();
  await page.getByTestId('app-home').waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.getByLabel('Account').inputValue(), 'initech', 'the last account is remembered');
  await context.close();
});
