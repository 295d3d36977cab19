// Single sign-on in the web console, in Chromium, against a real OpenID Provider (oidc-provider
// on a loopback port, its login programmatic): the account typed on the sign-in screen shows a
// "Sign in with <provider>" button; the page goes to the provider and comes back signed in. A
// user the account does not know comes back to the sign-in screen told why, in words.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startOpenIdProvider, type TestOpenIdProvider } from '../server/testing/oidc-provider.js';
import { AuthenticatorCodes } from './support/authenticator-codes.js';
import { openConsole, recordScreen } from './support/console-browser.js';
import { seedAccount } from './support/identity-api.js';
import { consoleJourney } from './support/journey.js';

let op: TestOpenIdProvider | undefined;
const journey = consoleJourney({ openSignup: true }, async (started) => {
  op = await startOpenIdProvider({ redirectUris: [`${started.server.url}/api/v1/sso/oidc/callback`] });
});
after(async () => {
  await op?.close();
});
const codes = new AuthenticatorCodes();

/** The test OpenID Provider as the account's "Okta", its MFA trusted, no just-in-time users. */
async function addOkta(account: Awaited<ReturnType<typeof seedAccount>>, provider: NonNullable<typeof op>) {
  await account.admin.api.call('POST', '/account/identity-providers', {
    type: 'oidc',
    name: 'Okta',
    issuer: provider.issuer,
    clientId: provider.clientId,
    clientSecret: provider.clientSecret,
    trustMfa: true,
    jitProvisioning: false,
  });
}

test('an agent signs in with the account\'s identity provider; an unknown user is told why', async () => {
  const provider = op!;
  const account = await seedAccount(journey.server.url, codes);
  await addOkta(account, provider);
  await account.createUser('Sam Agent', 'sam@acme.test');
  provider.users.set('sam', { email: 'sam@acme.test', email_verified: true, name: 'Sam Agent' });
  provider.users.set('stranger', { email: 'stranger@acme.test', email_verified: true });

  const { context, page } = await openConsole(journey.browser, journey.server.url);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.getByTestId('sso-sign-in').count(), 0, 'no button before an account is typed');
  await page.getByLabel('Account').fill('acme');
  const button = page.getByRole('button', { name: 'Sign in with Okta' });
  await button.waitFor();
  await recordScreen(page, 'sign-in-with-identity-provider');
  provider.nextLogin = { accountId: 'sam', amr: ['pwd', 'otp'] };
  await button.click();
  // The provider said two factors and the admin trusts it: straight in.
  await page.getByTestId('app-home').waitFor();
  assert.equal(new URL(page.url()).origin, journey.server.url, 'back on the console');
  await context.close();

  // A fresh browser (no session at the provider), a user this account does not have.
  const other = await openConsole(journey.browser, journey.server.url);
  await other.page.getByLabel('Account').fill('acme');
  provider.nextLogin = { accountId: 'stranger', amr: ['pwd'] };
  await other.page.getByRole('button', { name: 'Sign in with Okta' }).click();
  await other.page.getByText('No user of this account has the email your identity provider gave. Ask your administrator to invite you.').waitFor();
  await other.page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(new URL(other.page.url()).hash, '#/sign-in', 'said once: the code is gone from the address');
  await other.context.close();
});

test('under enforcement with grace, an agent sent to enrolment by single sign-on may say "Not now"', async () => {
  const provider = op!;
  const account = await seedAccount(journey.server.url, codes, 'globex', 'Globex Support');
  await addOkta(account, provider);
  await account.admin.api.call('PUT', '/account/security-settings', { requireTwoFactor: true, acknowledged: true, graceSignIns: 2 });
  await account.createUser('Gia Agent', 'gia@globex.test');
  provider.users.set('gia', { email: 'gia@globex.test', email_verified: true, name: 'Gia Agent' });

  const { context, page } = await openConsole(journey.browser, journey.server.url);
  await page.getByLabel('Account').fill('globex');
  // The provider did one factor and she has no method: she must enrol, or postpone it.
  provider.nextLogin = { accountId: 'gia', amr: ['pwd'] };
  await page.getByRole('button', { name: 'Sign in with Okta' }).click();
  const notNow = page.getByRole('button', { name: 'Not now (2 sign-ins left)' });
  await notNow.waitFor();
  await recordScreen(page, 'enrolment-after-sso-with-grace');
  await notNow.click();
  await page.getByTestId('app-home').waitFor();
  // My security says what applies to her: required, and how long she may still put it off.
  await page.getByRole('button', { name: 'My security' }).click();
  const applies = page.getByTestId('what-applies');
  await applies.waitFor();
  const text = await applies.innerText();
  assert.match(text, /Two-factor authentication is required/, text);
  assert.ok(text.includes('You can still postpone setting it up: 1 sign-in left.'), text);
  await context.close();
});
