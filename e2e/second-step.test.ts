// The second step when things go wrong: a wrong code, a recovery code instead of the phone,
// throttling after repeated wrong codes, and an admin resetting a user's 2FA while they work.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { AuthenticatorCodes } from './support/authenticator-codes.js';
import { openConsole, recordScreen, signIn, signInWithCode } from './support/console-browser.js';
import { IdentityApi, password, seedAccount, type SeededAccount } from './support/identity-api.js';
import { consoleJourney } from './support/journey.js';

let account: SeededAccount;
const codes = new AuthenticatorCodes();
const journey = consoleJourney({}, async ({ server }) => {
  account = await seedAccount(server.url, codes);
});

/** A user with an authenticator app; returns its secret and the recovery codes shown once. */
async function agentWithAuthenticatorApp(name: string, email: string): Promise<{ secret: string; recoveryCodes: string[] }> {
  await account.createUser(name, email);
  const api = await IdentityApi.signIn(journey.server.url, account.slug, email, password);
  const setup = await api.call<{ id: string; secret: string }>('POST', '/me/methods/totp', {});
  const confirmed = await api.call<{ recoveryCodes: string[] }>('POST', `/me/methods/totp/${setup.id}/confirm`, { code: await codes.next(setup.secret) });
  await api.call('DELETE', '/sessions/current');
  return { secret: setup.secret, recoveryCodes: confirmed.recoveryCodes };
}

async function typeCode(page: Page, code: string): Promise<void> {
  const answered = page.waitForResponse((r) => r.url().endsWith('/sessions/current/second-factor'));
  await page.getByLabel('Code from your authenticator app').fill(code);
  await answered;
}

test('a wrong code is explained; a recovery code signs in once; recovery codes can be regenerated; an admin reset signs the user out', async () => {
  const dan = await agentWithAuthenticatorApp('Dan Agent', 'dan@acme.test');
  const { context, page } = await openConsole(journey.browser, journey.server.url);
  await signIn(page, account.slug, 'dan@acme.test');
  await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();

  await typeCode(page, codes.wrong(dan.secret));
  await page.getByText('That code is not right.').waitFor();
  await recordScreen(page, 'second-step-wrong-code');

  await page.getByRole('button', { name: 'Use a recovery code' }).click();
  await page.getByLabel('Recovery code').fill(dan.recoveryCodes[0]!);
  await recordScreen(page, 'second-step-recovery-code');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByTestId('app-home').waitFor();
  await page.getByText('9 of 10 recovery codes left.').waitFor();

  // A used recovery code does not work twice.
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await signIn(page, account.slug, 'dan@acme.test');
  await page.getByRole('button', { name: 'Use a recovery code' }).click();
  await page.getByLabel('Recovery code').fill(dan.recoveryCodes[0]!);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText('That code is not right.').waitFor();
  await page.getByLabel('Recovery code').fill(dan.recoveryCodes[1]!);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByTestId('app-home').waitFor();

  // New recovery codes replace the old ones.
  await page.getByRole('button', { name: 'Generate new recovery codes' }).click();
  const fresh = page.getByTestId('recovery-codes');
  await fresh.waitFor();
  const freshCodes = (await fresh.innerText()).split('\n').filter(Boolean);
  assert.equal(freshCodes.length, 10);
  assert.ok(!freshCodes.includes(dan.recoveryCodes[2]!));
  await page.getByLabel('I have saved my recovery codes').check();
  await page.getByRole('button', { name: 'Done' }).click();
  await page.getByText('10 of 10 recovery codes left.').waitFor();

  // The admin resets Dan's 2FA (lost phone): Dan's window is signed out with the reason.
  const admin = await openConsole(journey.browser, journey.server.url);
  await signInWithCode(admin.page, account.slug, account.admin.email, account.admin.secret, codes);
  await admin.page.getByRole('button', { name: 'Users' }).click();
  // Each row's actions are in its menu; the confirmation and the result show next to the row.
  await admin.page.getByRole('button', { name: 'Actions for Dan Agent' }).click();
  await admin.page.getByRole('menu', { name: 'Actions for Dan Agent' }).getByRole('menuitem', { name: 'Reset two-factor' }).click();
  await recordScreen(admin.page, 'admin-reset-2fa-confirm');
  await admin.page.getByRole('button', { name: 'Reset', exact: true }).click();
  await admin.page.getByText('Two-factor authentication reset: 1 method removed, 1 session signed out.').waitFor();
  const reason = page.getByTestId('signed-out-reason');
  await reason.waitFor({ timeout: 1000 });
  assert.equal(await reason.innerText(), 'Your administrator reset your two-factor authentication. Sign in to set it up again.');

  await admin.context.close();
  await context.close();
});

test('repeated wrong codes lock the second step: the screen counts down, says to ask an administrator, offers no recovery code, and clears itself when the lock ends', async () => {
  const eve = await agentWithAuthenticatorApp('Eve Agent', 'eve@acme.test');
  const { context, page } = await openConsole(journey.browser, journey.server.url);
  // The page's clock can be moved on to the lock's end (time still flows as usual until then).
  await page.clock.install();
  await page.reload();
  await signIn(page, account.slug, 'eve@acme.test');
  await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
  for (let attempt = 1; attempt <= 5; attempt++) {
    await typeCode(page, codes.wrong(eve.secret));
    await page.getByText('That code is not right.').waitFor();
  }
  // The sixth try is refused without being checked, even with the right code: a lock-out
  // (429 too_many_attempts, locked), which recovery codes share.
  await typeCode(page, await codes.next(eve.secret));
  const locked = page.getByTestId('locked-out');
  await locked.waitFor();
  assert.match(await locked.innerText(), /sign-in is locked\. Ask your administrator to lift the lock-out, or wait\. Try again in \d+:\d{2}\./);
  assert.equal(await page.getByRole('button', { name: 'Use a recovery code' }).count(), 0);
  assert.equal(await page.getByLabel('Code from your authenticator app').count(), 0);
  await recordScreen(page, 'second-step-locked-out');
  // It counts down...
  const countdown = page.getByTestId('lock-countdown');
  const first = await countdown.innerText();
  await page.clock.runFor(2_000);
  await page.waitForFunction((before) => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('[data-testid=lock-countdown]')?.textContent !== before, first);
  // ...and when the lock ends the form is back, without a reload.
  await page.clock.fastForward('02:00:00');
  await page.getByLabel('Code from your authenticator app').waitFor();
  assert.equal(await locked.count(), 0);
  await context.close();
});
