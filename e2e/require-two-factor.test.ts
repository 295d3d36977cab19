// The seed journey of the help article, in a real browser: an admin requires two-factor
// authentication; an agent without a method is signed out at once, with the reason, and must
// enroll at the next sign-in; an agent who already has a method is left alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthenticatorCodes } from './support/authenticator-codes.js';
import { openConsole, readSetupSecret, recordScreen, signIn, signInWithCode, fillSignIn } from './support/console-browser.js';
import { IdentityApi, password, seedAccount } from './support/identity-api.js';
import { consoleJourney } from './support/journey.js';

const journey = consoleJourney();

/** What the timing code uses of a page's globals (the e2e tsconfig has no DOM types). */
interface BrowserTimer {
  document: { body: unknown; querySelector(selector: string): unknown };
  performance: { timeOrigin: number; now(): number; getEntriesByType(type: 'resource'): { name: string; startTime: number; responseEnd: number }[] };
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: { childList: boolean; subtree: boolean }): void; disconnect(): void };
  signedOutAt?: number;
  clickedAt?: number;
}

const codes = new AuthenticatorCodes();

test('requiring 2FA signs out the agent without a method at once, who then enrolls; the agent with a method stays', async () => {
  const account = await seedAccount(journey.server.url, codes);
  await account.createUser('Ana Agent', 'ana@acme.test');
  await account.createUser('Ben Agent', 'ben@acme.test');
  const ben = await IdentityApi.signIn(journey.server.url, 'acme', 'ben@acme.test', password);
  const benSecret = await ben.enrollAuthenticatorApp(codes);

  // Ana, no method: signed in straight away, and invited to turn 2FA on.
  const ana = await openConsole(journey.browser, journey.server.url);
  await ana.page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await fillSignIn(ana.page, 'acme', 'ana@acme.test');
  await recordScreen(ana.page, 'sign-in');
  await ana.page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await ana.page.getByTestId('app-home').waitFor();
  await ana.page.getByText('Protect your account').waitFor();
  await recordScreen(ana.page, 'my-security-no-method');
  await ana.page.evaluate(() => {
    (globalThis as unknown as { beforeEnforcement: boolean }).beforeEnforcement = true;
  });

  // Ben, with a method: through the second step.
  const benWindow = await openConsole(journey.browser, journey.server.url);
  await signInWithCode(benWindow.page, 'acme', 'ben@acme.test', benSecret, codes);

  // Alice: Admin → Security Settings → Authentication → Require two-factor authentication.
  const admin = await openConsole(journey.browser, journey.server.url);
  await signIn(admin.page, 'acme', account.admin.email);
  await admin.page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
  await recordScreen(admin.page, 'second-step-authenticator-app');
  await admin.page.getByLabel('Code from your authenticator app').fill(await codes.next(account.admin.secret));
  await admin.page.getByRole('heading', { name: 'Admin' }).waitFor();
  await admin.page.getByRole('heading', { name: 'Authentication' }).waitFor();
  await recordScreen(admin.page, 'admin-security-settings');

  const toggle = admin.page.getByRole('switch', { name: 'Require two-factor authentication' });
  assert.equal(await toggle.getAttribute('aria-checked'), 'false');
  await toggle.click();
  const impact = admin.page.getByTestId('enforcement-impact');
  // The count of who is signed in now arrives a moment after the count of who must set up 2FA.
  await impact.filter({ hasText: /signed in now/ }).waitFor();
  assert.match(await impact.innerText(), /1 user must set up two-factor authentication; 1 of them is signed in now and will be signed out/);
  const names = admin.page.getByRole('list', { name: 'Users who must set up two-factor authentication' });
  assert.match(await names.innerText(), /Ana Agent/);
  assert.doesNotMatch(await names.innerText(), /Ben Agent|Alice/);
  const save = admin.page.getByRole('button', { name: 'Save' });
  assert.equal(await save.isDisabled(), true, 'Save waits for "I understand"');
  await admin.page.getByLabel('I understand').check();
  assert.equal(await save.isEnabled(), true);
  await recordScreen(admin.page, 'admin-require-2fa-warning', { fullPage: true });

  // The promise is "back at sign-in within a second of the save". Both ends are timed inside the
  // browsers, on the wall clock they share: when the admin's page got the save's answer, and when
  // Ana's page showed the reason. Timing from here instead would also count the click, the
  // request and the test runner's own delays, which a loaded CI machine stretches.
  await ana.page.evaluate(() => {
    const page = globalThis as unknown as BrowserTimer;
    const observer = new page.MutationObserver(() => {
      if (!page.document.querySelector('[data-testid="signed-out-reason"]')) return;
      page.signedOutAt = page.performance.timeOrigin + page.performance.now();
      observer.disconnect();
    });
    observer.observe(page.document.body, { childList: true, subtree: true });
  });
  await admin.page.evaluate(() => {
    const page = globalThis as unknown as BrowserTimer;
    page.clickedAt = page.performance.now();
  });
  await save.click();
  // Ana's window goes back to sign-in with the reason, pushed by the server, without a reload.
  const reason = ana.page.getByTestId('signed-out-reason');
  await reason.waitFor({ timeout: 15_000 });
  assert.equal(await reason.innerText(), 'Your administrator now requires two-factor authentication. Sign in to set it up.');
  assert.equal(await ana.page.evaluate(() => (globalThis as unknown as { beforeEnforcement?: boolean }).beforeEnforcement), true, 'no reload');

  const result = admin.page.getByTestId('save-result');
  await result.waitFor();
  const answeredAt = await admin.page.evaluate(() => {
    const page = globalThis as unknown as BrowserTimer;
    const save = page.performance
      .getEntriesByType('resource')
      .filter((e) => e.name.endsWith('/api/v1/account/security-settings') && e.startTime >= (page.clickedAt ?? 0))
      .at(-1);
    return save ? page.performance.timeOrigin + save.responseEnd : null;
  });
  const signedOutAt = await ana.page.evaluate(() => (globalThis as unknown as BrowserTimer).signedOutAt ?? null);
  assert.ok(answeredAt !== null && signedOutAt !== null, 'both moments were recorded');
  assert.ok(signedOutAt - answeredAt < 1000, `back at sign-in ${Math.round(signedOutAt - answeredAt)} ms after the save was answered`);
  assert.match(await result.innerText(), /1 user must set up two-factor authentication; 1 of them was signed in and was signed out \(1 session ended\)/);
  await recordScreen(admin.page, 'admin-require-2fa-saved');
  await recordScreen(ana.page, 'sign-in-signed-out-reason');

  // Ben was not signed out: his window still works.
  await benWindow.page.getByRole('button', { name: 'My security' }).click();
  await benWindow.page.getByRole('heading', { name: 'Two-factor methods' }).waitFor();
  await benWindow.page.reload();
  await benWindow.page.getByTestId('app-home').waitFor();

  // Ana signs in again and must set up a method before anything else.
  await signIn(ana.page, 'acme', 'ana@acme.test');
  await ana.page.getByRole('heading', { name: 'Set up two-factor authentication' }).waitFor();
  await ana.page.getByText('Acme Support requires two-factor authentication').waitFor();
  await recordScreen(ana.page, 'enrollment-choose-method');
  await ana.page.getByRole('button', { name: /Authenticator app/ }).click();
  // The focus moves to the new step's heading, not back to the page.
  await ana.page.getByRole('heading', { name: 'Set up an authenticator app' }).waitFor();
  assert.equal(await ana.page.evaluate(() => (globalThis as unknown as { document: { activeElement: { tagName: string; textContent: string } } }).document.activeElement.textContent), 'Set up an authenticator app');
  const secret = await readSetupSecret(ana.page);
  await ana.page.getByRole('img', { name: /QR code/ }).waitFor();
  await recordScreen(ana.page, 'enrollment-authenticator-app', { fullPage: true });

  // A wrong code first: a clear message, and the field is ready for another try.
  await ana.page.getByLabel('6-digit code from the app').fill(codes.wrong(secret));
  await ana.page.getByText('That code did not match').waitFor();
  await recordScreen(ana.page, 'enrollment-wrong-code', { fullPage: true });
  await ana.page.getByLabel('6-digit code from the app').fill(await codes.next(secret));

  const recoveryCodes = ana.page.getByTestId('recovery-codes');
  await recoveryCodes.waitFor();
  assert.equal(await recoveryCodes.getByRole('listitem').count(), 10);
  await recordScreen(ana.page, 'enrollment-recovery-codes', { fullPage: true });
  const continueButton = ana.page.getByRole('button', { name: 'Continue to AgentDesk' });
  assert.equal(await continueButton.isDisabled(), true, 'recovery codes must be saved first');
  await ana.page.getByLabel('I have saved my recovery codes').check();
  await continueButton.click();
  await ana.page.getByTestId('app-home').waitFor();
  await ana.page.getByRole('heading', { name: 'My security' }).waitFor();
  await ana.page.getByText('Authenticator app ·').waitFor();
  await recordScreen(ana.page, 'my-security');

  // The admin sees everyone's status and the audit entry with its counts.
  await admin.page.getByRole('button', { name: 'Users' }).click();
  const anaRow = admin.page.getByRole('row', { name: /Ana Agent/ });
  await anaRow.getByText('Authenticator app', { exact: true }).waitFor();
  await recordScreen(admin.page, 'admin-users');
  // The screen is in the address: a reload stays on it.
  assert.match(admin.page.url(), /#\/admin\/users$/);
  await admin.page.reload();
  await admin.page.getByRole('row', { name: /Ana Agent/ }).getByText('Authenticator app', { exact: true }).waitFor();
  assert.equal(await admin.page.getByRole('button', { name: 'Users' }).getAttribute('aria-current'), 'page');
  await admin.page.getByRole('button', { name: 'Audit log' }).click();
  await admin.page.getByRole('table').waitFor();
  assert.match(admin.page.url(), /#\/admin\/audit$/);
  assert.match(await admin.page.getByRole('table').innerText(), /Alice Admin/);
  await recordScreen(admin.page, 'admin-audit-log');
  // Back and forward move between the screens, as in any web page.
  await admin.page.goBack();
  await admin.page.getByRole('row', { name: /Ana Agent/ }).waitFor();
  assert.match(admin.page.url(), /#\/admin\/users$/);
  await admin.page.goForward();
  await admin.page.getByRole('heading', { name: 'Audit log' }).waitFor();
  assert.match(admin.page.url(), /#\/admin\/audit$/);

  for (const window of [ana, benWindow, admin]) await window.context.close();
});
