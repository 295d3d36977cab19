// Admin → Single sign-on, in Chromium, against a real OpenID Provider (oidc-provider on a loopback
// port): the admin adds a provider (its discovery read on save), tests it (every check passes),
// turns SSO only on naming herself break-glass, and an agent's password stops working while the
// admin's still does. Turning it on without naming anyone cannot be saved. Checked with axe (recordScreen).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startOpenIdProvider, type TestOpenIdProvider } from '../server/testing/oidc-provider.js';
import { metadataXml } from '../server/testing/saml-idp.js';
import { newSigningKey } from '../server/testing/signing-key.js';
import { AuthenticatorCodes } from './support/authenticator-codes.js';
import { openConsole, recordScreen, signInWithCode } from './support/console-browser.js';
import { password, seedAccount } from './support/identity-api.js';
import { consoleJourney } from './support/journey.js';

let op: TestOpenIdProvider | undefined;
const journey = consoleJourney({}, async (started) => {
  op = await startOpenIdProvider({ redirectUris: [`${started.server.url}/api/v1/sso/oidc/callback`] });
});
after(async () => {
  await op?.close();
});
const codes = new AuthenticatorCodes();

test('the admin adds an identity provider and turns SSO only on with herself as break-glass; an agent password stops working', async () => {
  const provider = op!;
  const account = await seedAccount(journey.server.url, codes);
  await account.createUser('Ana Agent', 'ana@acme.test');
  const passwordSignIn = (email: string) =>
    fetch(`${journey.server.url}/api/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account: 'acme', email, password }) });

  const admin = await openConsole(journey.browser, journey.server.url);
  await signInWithCode(admin.page, 'acme', account.admin.email, account.admin.secret, codes);
  await admin.page.getByRole('button', { name: 'Single sign-on', exact: true }).click();
  assert.match(admin.page.url(), /#\/admin\/sso$/);

  const providers = admin.page.getByRole('region', { name: 'Identity providers' });
  await providers.getByText('No identity provider yet.').waitFor();
  await providers.getByRole('button', { name: 'Add an identity provider' }).click();
  await providers.getByLabel('Name').fill('Okta');
  await providers.getByLabel('Issuer').fill(provider.issuer);
  await providers.getByLabel('Client ID').fill(provider.clientId);
  await providers.getByLabel('Client secret').fill(provider.clientSecret);
  await providers.getByLabel('Trust this provider’s multi-factor authentication').check();
  await recordScreen(admin.page, 'admin-identity-provider-form', { fullPage: true });
  await providers.getByRole('button', { name: 'Add provider' }).click();
  await providers.getByRole('cell', { name: 'Okta', exact: true }).waitFor();
  assert.match(await providers.getByLabel('Sign-in link for agents').inputValue(), /#\/sign-in\?account=acme$/);
  const listed = await account.admin.api.call<{ providers: { name: string; trustMfa: boolean }[] }>('GET', '/account/identity-providers');
  assert.deepEqual(listed.providers.map((p) => [p.name, p.trustMfa]), [['Okta', true]]);

  // Test it before agents depend on it: every check a sign-in needs passes against the real provider.
  await providers.getByRole('button', { name: 'Test Okta' }).click();
  const testResult = providers.getByRole('region', { name: 'Test of Okta' });
  await testResult.getByText('Every check passed.').waitFor();
  const checks = testResult.getByRole('listitem');
  assert.deepEqual(await checks.evaluateAll((items) => items.map((li) => [li.getAttribute('data-check'), li.querySelector('.provider-check-mark')?.textContent])), [
    ['oidc.discovery', '✓'],
    ['oidc.issuer', '✓'],
    ['oidc.authorization_endpoint', '✓'],
    ['oidc.token_endpoint', '✓'],
    ['oidc.client_credentials', '✓'],
    ['oidc.jwks', '✓'],
  ]);
  await testResult.getByText('Client ID and secret', { exact: true }).waitFor();
  await recordScreen(admin.page, 'admin-identity-provider-test', { fullPage: true });
  await testResult.getByRole('button', { name: 'Close the test' }).click();
  await testResult.waitFor({ state: 'detached' });

  // A SAML 2.0 provider from its metadata XML; the screen then gives what to tell that IdP.
  const idpKey = await newSigningKey('Entra test');
  await providers.getByRole('button', { name: 'Add an identity provider' }).click();
  await providers.getByLabel('SAML 2.0').check();
  await providers.getByLabel('Name').fill('Entra ID');
  await providers.getByLabel('Identity provider metadata (XML)').fill(metadataXml('https://sts.example.test/entra', 'https://login.example.test/saml2', idpKey.certificate));
  await providers.getByRole('button', { name: 'Add provider' }).click();
  await providers.getByRole('cell', { name: 'Entra ID', exact: true }).waitFor();
  assert.match(await providers.getByLabel('Assertion consumer service (reply) URL').inputValue(), /\/api\/v1\/sso\/saml\/acs$/);
  const samlListed = await account.admin.api.call<{ providers: { name: string; type: string; serviceProvider?: { entityId: string } }[] }>('GET', '/account/identity-providers');
  const entra = samlListed.providers.find((p) => p.name === 'Entra ID');
  assert.equal(entra?.type, 'saml');
  assert.equal(await providers.getByLabel('Entity ID (audience) and metadata address').inputValue(), entra?.serviceProvider?.entityId);
  await recordScreen(admin.page, 'admin-single-sign-on-saml', { fullPage: true });

  // SSO only: nobody named cannot be saved; naming herself saves it.
  const ssoOnly = admin.page.getByRole('region', { name: 'Single sign-on only' });
  await ssoOnly.getByRole('switch', { name: 'Sign in only through an identity provider' }).click();
  const save = ssoOnly.getByRole('button', { name: 'Save', exact: true });
  assert.equal(await save.isDisabled(), true, 'no break-glass admin: nothing to save');
  await ssoOnly.getByLabel(/Alice Admin/).check();
  await recordScreen(admin.page, 'admin-sso-only', { fullPage: true });
  await save.click();
  const saved = ssoOnly.getByTestId('save-result');
  await saved.waitFor();
  assert.equal(await saved.innerText(), 'Single sign-on only is on. 1 break-glass admin keeps a password.');

  const agent = await passwordSignIn('ana@acme.test');
  assert.equal(agent.status, 403);
  assert.equal(((await agent.json()) as { error: { code: string } }).error.code, 'sso_only');
  assert.equal((await passwordSignIn(account.admin.email)).status, 201, 'the break-glass admin keeps her password');

  await admin.page.getByRole('button', { name: 'Audit log' }).click();
  await admin.page.getByRole('row', { name: /Changed single sign-on only and the break-glass admins/ }).first().waitFor();
  await admin.context.close();
});
