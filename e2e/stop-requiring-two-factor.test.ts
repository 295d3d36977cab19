// While two-factor authentication is required an agent cannot remove their last method; an
// admin turning the requirement off (after re-authenticating) signs nobody out, lets the agent
// turn 2FA off, and new users are no longer asked to set it up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthenticatorCodes } from './support/authenticator-codes.js';
import { openConsole, recordScreen, signIn, signInWithCode } from './support/console-browser.js';
import { IdentityApi, IdentityApiError, password, seedAccount } from './support/identity-api.js';
import { consoleJourney } from './support/journey.js';

const journey = consoleJourney();

const codes = new AuthenticatorCodes();

test('last method kept while required; turning the requirement off signs nobody out and stops asking new users', async () => {
  const account = await seedAccount(journey.server.url, codes);
  await account.createUser('Ben Agent', 'ben@acme.test');
  const benApi = await IdentityApi.signIn(journey.server.url, 'acme', 'ben@acme.test', password);
  const benSecret = await benApi.enrollAuthenticatorApp(codes);
  await account.admin.api.call('PUT', '/account/security-settings', { requireTwoFactor: true, acknowledged: true });

  // Ben's only method cannot go while 2FA is required: the screen says why, the server refuses.
  const ben = await openConsole(journey.browser, journey.server.url);
  await signInWithCode(ben.page, 'acme', 'ben@acme.test', benSecret, codes);
  const remove = ben.page.getByRole('button', { name: 'Remove Authenticator app' });
  assert.equal(await remove.isDisabled(), true);
  await ben.page.getByText('This is your only method and your administrator requires two-factor authentication').waitFor();
  await recordScreen(ben.page, 'my-security-last-method-required');
  const { methods } = await benApi.call<{ methods: { id: string }[] }>('GET', '/me');
  await assert.rejects(benApi.call('DELETE', `/me/methods/${methods[0]!.id}`), (error: IdentityApiError) => error.code === 'last_method_required');

  // Alice turns it off. The server wants a fresh second factor for that: the dialog asks.
  const admin = await openConsole(journey.browser, journey.server.url);
  await signInWithCode(admin.page, 'acme', account.admin.email, account.admin.secret, codes);
  const toggle = admin.page.getByRole('switch', { name: 'Require two-factor authentication' });
  await admin.page.getByRole('heading', { name: 'Authentication' }).waitFor();
  assert.equal(await toggle.getAttribute('aria-checked'), 'true');
  await toggle.click();
  await admin.page.getByText('If you stop requiring two-factor authentication, nobody is signed out.').waitFor();
  await recordScreen(admin.page, 'admin-stop-requiring-2fa');

  journey.server.setReauthenticationWindow(1);
  await admin.page.getByRole('button', { name: 'Save' }).click();
  const dialog = admin.page.getByRole('dialog', { name: 'Confirm it’s you' });
  await dialog.waitFor();
  journey.server.setReauthenticationWindow(10 * 60_000);
  await recordScreen(admin.page, 'reauthentication');
  await dialog.getByLabel('Code from your authenticator app').fill(await codes.next(account.admin.secret));
  const result = admin.page.getByTestId('save-result');
  await result.waitFor();
  assert.equal(await result.innerText(), 'Two-factor authentication is no longer required. Nobody was signed out.');
  assert.equal(await toggle.getAttribute('aria-checked'), 'false');

  // Ben is still signed in, and may now turn 2FA off by removing his method.
  await ben.page.getByRole('button', { name: 'Admin' }).count().then((n) => assert.equal(n, 0));
  await ben.page.reload();
  await ben.page.getByTestId('app-home').waitFor();
  await ben.page.getByRole('button', { name: 'Remove Authenticator app' }).click();
  await ben.page.getByRole('group', { name: /Confirm removing/ }).getByRole('button', { name: 'Remove' }).click();
  await ben.page.getByText('You have no second factor yet.').waitFor();

  // Someone added now is not asked to set up 2FA.
  await admin.page.getByRole('button', { name: 'Users' }).click();
  // Added by invitation: Cleo chooses her own password from the link the admin hands over.
  await admin.page.getByRole('button', { name: 'Add a user' }).click();
  const addDialog = admin.page.getByRole('dialog', { name: 'Add a user' });
  await addDialog.getByLabel('Name').fill('Cleo Agent');
  await addDialog.getByLabel('Email').fill('cleo@acme.test');
  await admin.page.keyboard.press('Enter');
  const link = await admin.page.getByLabel('Invitation link for Cleo Agent').inputValue();
  await recordScreen(admin.page, 'admin-add-user', { fullPage: true });
  const accepted = await fetch(`${journey.server.url}/api/v1/invitations/accept`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: new URL(link.replace('#/', '')).searchParams.get('token'), password }),
  });
  assert.equal(accepted.status, 200);

  const cleo = await openConsole(journey.browser, journey.server.url);
  await signIn(cleo.page, 'acme', 'cleo@acme.test');
  await cleo.page.getByTestId('app-home').waitFor();
  await cleo.page.getByText('Protect your account').waitFor();
  assert.equal(await cleo.page.getByRole('heading', { name: 'Set up two-factor authentication' }).count(), 0);

  for (const window of [ben, admin, cleo]) await window.context.close();
});
