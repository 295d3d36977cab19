// First run of a fresh server: the console opens straight on creating the organisation and its
// admin, after which signup is closed and its link gone; the whole sign-in is done with the
// keyboard alone. A server with open signup keeps offering the link.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openConsole, recordScreen } from './support/console-browser.js';
import { IdentityApi, password } from './support/identity-api.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { consoleJourney } from './support/journey.js';

const journey = consoleJourney();


test('the first account is created from the console, then signed in to with the keyboard only', async () => {
  const { context, page } = await openConsole(journey.browser, journey.server.url);
  // No account yet: straight to creating one, with a word of welcome and no way back to a
  // sign-in nobody could use.
  await page.getByRole('heading', { name: 'Create an account' }).waitFor();
  assert.equal(
    await page.getByTestId('first-run-welcome').innerText(),
    'Welcome to AgentDesk. Create your organisation’s account and its first administrator.',
  );
  assert.equal(await page.getByRole('button', { name: 'Back to sign in' }).count(), 0);
  await recordScreen(page, 'first-run-welcome');
  await page.getByLabel('Organisation name').fill('Initech Help Desk');
  await page.getByLabel('Account short name').fill('initech');
  await page.getByLabel('Your name').fill('Peter Admin');
  await page.getByLabel('Your email').fill('peter@initech.test');
  await page.getByLabel('Password').fill(password);
  await recordScreen(page, 'create-account', { fullPage: true });
  await page.getByRole('button', { name: 'Create account' }).click();

  const focusedId = () => page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id);
  // Back on sign-in, told the account exists, with its short name and the admin's email filled
  // in and the cursor in the password field.
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.getByTestId('account-created').innerText(), 'Your account “initech” is ready. Sign in with the password you just chose.');
  assert.equal(await page.getByLabel('Account').inputValue(), 'initech');
  assert.equal(await page.getByLabel('Email').inputValue(), 'peter@initech.test');
  assert.equal(await focusedId(), 'sign-in-password');
  await recordScreen(page, 'first-run-account-created');
  // An account exists now: signup is closed, and the link with it.
  assert.equal(await page.getByRole('button', { name: 'Create an account' }).count(), 0);
  // Tab order is account, email, password, submit.
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focusedId(), 'sign-in-email');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focusedId(), 'sign-in-account');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await focusedId(), 'sign-in-password');
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
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.getByLabel('Account').inputValue(), 'initech', 'the last account is remembered');
  // A fresh load asks the server again: still no link, and no first-run screen.
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Create an account' }).count(), 0);
  assert.equal(await page.getByTestId('first-run-welcome').count(), 0);
  await context.close();
});

test('with open signup the link stays once accounts exist, and opens the form without the first-run welcome', async () => {
  const open = await startTestServer({ openSignup: true });
  try {
    await new IdentityApi(open.url).call('POST', '/accounts', {
      name: 'Hooli Support',
      slug: 'hooli',
      admin: { name: 'Gavin Admin', email: 'gavin@hooli.test', password },
    });
    const { context, page } = await openConsole(journey.browser, open.url);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create an account' }).waitFor();
    assert.equal(await page.getByTestId('first-run-welcome').count(), 0);
    await page.getByRole('button', { name: 'Back to sign in' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await context.close();
  } finally {
    await open.close();
  }
});
