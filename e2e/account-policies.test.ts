// Admin → Sessions and networks: the admin shortens session lifetimes (a session idle past the new
// limit ends at once) and limits sign-in to the office network; a list that leaves out the admin's
// own address is refused in words, and nothing is saved. Checked with axe (recordScreen).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthenticatorCodes } from './support/authenticator-codes.js';
import { openConsole, recordScreen, signInWithCode } from './support/console-browser.js';
import { IdentityApi, password, seedAccount } from './support/identity-api.js';
import { consoleJourney } from './support/journey.js';

const journey = consoleJourney();
const codes = new AuthenticatorCodes();

test('the admin sets session lifetimes and the sign-in networks; a rule that leaves her out is refused', async () => {
  const account = await seedAccount(journey.server.url, codes);
  await account.createUser('Ana Agent', 'ana@acme.test');
  const ana = await IdentityApi.signIn(journey.server.url, 'acme', 'ana@acme.test', password);

  const admin = await openConsole(journey.browser, journey.server.url);
  await signInWithCode(admin.page, 'acme', account.admin.email, account.admin.secret, codes);
  await admin.page.getByRole('button', { name: 'Sessions and networks' }).click();
  assert.match(admin.page.url(), /#\/admin\/policies$/);

  // Session lifetimes: the server's defaults shown, then shortened.
  const lifetimes = admin.page.getByRole('region', { name: 'Session lifetimes' });
  const idle = lifetimes.getByLabel('Sign out after this many minutes without activity');
  await idle.waitFor();
  assert.equal(await idle.inputValue(), '480');
  const saveLifetimes = lifetimes.getByRole('button', { name: 'Save', exact: true });
  assert.equal(await saveLifetimes.isDisabled(), true, 'nothing to save yet');
  await idle.fill('10');
  assert.equal(await saveLifetimes.isDisabled(), true, 'under 15 minutes cannot be saved');
  await idle.fill('15');
  await lifetimes.getByLabel('Sign out this many hours after sign-in, whatever happens').fill('2');
  await lifetimes.getByText('Idle limit: 15 minutes').waitFor();
  await recordScreen(admin.page, 'admin-sessions-and-networks', { fullPage: true });
  await saveLifetimes.click();
  const saved = lifetimes.getByTestId('save-result');
  await saved.waitFor();
  assert.match(await saved.innerText(), /Sessions now end after 15 minutes without activity and 2 hours after sign-in\./);
  const policy = await account.admin.api.call<{ idleMinutes: number; absoluteHours: number }>('GET', '/account/session-policy');
  assert.deepEqual({ idleMinutes: policy.idleMinutes, absoluteHours: policy.absoluteHours }, { idleMinutes: 15, absoluteHours: 2 });
  assert.equal((await ana.call<{ user: { email: string } }>('GET', '/me')).user.email, 'ana@acme.test', 'a session in use goes on');

  // Sign-in networks: a list without the admin's own address is refused, nothing saved.
  const networks = admin.page.getByRole('region', { name: 'Sign-in networks' });
  const list = networks.getByLabel('Allowed networks, one per line');
  const saveNetworks = networks.getByRole('button', { name: 'Save', exact: true });
  await list.fill('10.9.0.0/16');
  await saveNetworks.click();
  await networks.getByText('Your own address is not in these networks: saving them would sign you out. Add your network first.').waitFor();
  assert.deepEqual((await account.admin.api.call<{ allowedNetworks: string[] }>('GET', '/account/network-policy')).allowedNetworks, []);

  await list.fill('10.9.0.0/16\n127.0.0.1\n::1');
  await saveNetworks.click();
  const networksSaved = networks.getByTestId('save-result');
  await networksSaved.waitFor();
  assert.equal(await networksSaved.innerText(), 'Sign-in is now allowed only from 3 networks.');
  assert.deepEqual((await account.admin.api.call<{ allowedNetworks: string[] }>('GET', '/account/network-policy')).allowedNetworks, ['10.9.0.0/16', '127.0.0.1/32', '::1/128']);
  assert.equal(await list.inputValue(), '10.9.0.0/16\n127.0.0.1/32\n::1/128', 'the list as the server keeps it');

  // Both changes are in the audit log, in words.
  await admin.page.getByRole('button', { name: 'Audit log' }).click();
  await admin.page.getByRole('row', { name: /Changed the sign-in networks/ }).first().waitFor();
  await admin.page.getByRole('row', { name: /Changed session lifetimes/ }).first().waitFor();
  await admin.context.close();
});
