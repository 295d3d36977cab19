// Remembered personal devices in the web console (issue 21): the admin lets a personal device
// skip the second step for 7 days; an agent says "This is my own computer", ticks "Don't ask
// again", signs out and back in without the second step; another browser is still asked; the
// agent forgets the device in My security and is asked again. Checked with axe (recordScreen).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthenticatorCodes } from './support/authenticator-codes.js';
import { openConsole, recordScreen, signIn, signInWithCode } from './support/console-browser.js';
import { IdentityApi, password, seedAccount } from './support/identity-api.js';
import { consoleJourney } from './support/journey.js';

const journey = consoleJourney();
const codes = new AuthenticatorCodes();

test('an agent remembers her own computer for 7 days, another browser is asked, and forgetting it asks again', async () => {
  const account = await seedAccount(journey.server.url, codes);
  await account.createUser('Ana Agent', 'ana@acme.test');
  const anaSecret = await (await IdentityApi.signIn(journey.server.url, 'acme', 'ana@acme.test', password)).enrollAuthenticatorApp(codes);

  // The admin turns remembering on: 7 days.
  const admin = await openConsole(journey.browser, journey.server.url);
  await signInWithCode(admin.page, 'acme', account.admin.email, account.admin.secret, codes);
  await admin.page.getByRole('button', { name: 'Sessions and networks' }).click();
  const lifetimes = admin.page.getByRole('region', { name: 'Session lifetimes' });
  await lifetimes.getByLabel('Let a personal device skip the second step for this many days').fill('7');
  await lifetimes.getByRole('button', { name: 'Save', exact: true }).click();
  await lifetimes.getByTestId('save-result').waitFor();
  assert.equal((await account.admin.api.call<{ rememberDeviceDays: number }>('GET', '/account/session-policy')).rememberDeviceDays, 7);
  await admin.context.close();

  // Her own computer: the console treats it as shared until she says otherwise.
  const own = await openConsole(journey.browser, journey.server.url);
  await signIn(own.page, 'acme', 'ana@acme.test');
  const code = own.page.getByLabel('Code from your authenticator app');
  await code.waitFor();
  const ownComputer = own.page.getByLabel('This is my own computer');
  const dontAsk = own.page.getByLabel("Don't ask again on this device for 7 days");
  assert.equal(await ownComputer.isChecked(), false, 'shared unless she says otherwise');
  assert.equal(await dontAsk.count(), 0, 'no tick box before she says it is hers');
  await ownComputer.check();
  assert.equal(await dontAsk.isChecked(), false, 'unticked by default');
  await dontAsk.check();
  await recordScreen(own.page, 'second-step-remember-device');
  await code.fill(await codes.next(anaSecret));
  await own.page.getByTestId('app-home').waitFor();

  // Signed out and in again on the same computer: no second step.
  await own.page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await signIn(own.page, 'acme', 'ana@acme.test');
  await own.page.getByTestId('app-home').waitFor();
  assert.equal(await own.page.getByLabel('Code from your authenticator app').count(), 0);

  // Another browser (another device) is asked, and offered nothing until she says it is hers.
  const other = await openConsole(journey.browser, journey.server.url);
  await signIn(other.page, 'acme', 'ana@acme.test');
  await other.page.getByLabel('Code from your authenticator app').waitFor();
  assert.equal(await other.page.getByLabel('This is my own computer').isChecked(), false);
  await other.context.close();

  // My security → Remembered devices: she forgets it.
  await own.page.getByRole('button', { name: 'My security' }).click();
  const devices = own.page.getByTestId('remembered-devices');
  await devices.getByText(/^Remembered until /).waitFor();
  await recordScreen(own.page, 'my-security-remembered-devices', { fullPage: true });
  await devices.getByRole('button', { name: /^Forget (?!all)/ }).click();
  await devices.getByText(/will ask for the second step again\./).waitFor();
  await devices.getByText('No device skips the second step.').waitFor();

  // The next sign-in on her computer asks the second step again.
  await own.page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await signIn(own.page, 'acme', 'ana@acme.test');
  await own.page.getByLabel('Code from your authenticator app').waitFor();
  assert.equal(await own.page.getByLabel('This is my own computer').isChecked(), true, 'the device stays declared hers');
  await own.context.close();
});
