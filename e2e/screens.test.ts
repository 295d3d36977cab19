// Screens of issue 14: where focus lands on the second step, recovery codes that survive a
// reload (and a warning before leaving them), how a new method is announced, the narrow
// (400 px), wide (1600 px) and dark layouts with axe, My security following the account's
// setting as it changes, and "Your sessions". (The lock-out screen: second-step.test.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { AuthenticatorCodes } from './support/authenticator-codes.js';
import { readSetupSecret, recordScreen, signIn, signInWithCode } from './support/console-browser.js';
import { IdentityApi, password, seedAccount, type SeededAccount } from './support/identity-api.js';
import { consoleJourney } from './support/journey.js';

let account: SeededAccount;
const codes = new AuthenticatorCodes();
const journey = consoleJourney({}, async ({ server }) => {
  account = await seedAccount(server.url, codes);
});

async function open(options: { width?: number; height?: number; dark?: boolean } = {}) {
  const context = await journey.browser.newContext({
    viewport: { width: options.width ?? 900, height: options.height ?? 640 },
    baseURL: journey.server.url,
    colorScheme: options.dark ? 'dark' : 'light',
  });
  const page = await context.newPage();
  await page.goto('/');
  return { context, page };
}

/** A user with an authenticator app; returns its secret. */
async function agentWithApp(name: string, email: string): Promise<string> {
  await account.createUser(name, email);
  const api = await IdentityApi.signIn(journey.server.url, account.slug, email, password);
  const secret = await api.enrollAuthenticatorApp(codes);
  await api.call('DELETE', '/sessions/current');
  return secret;
}

const isFocused = (page: Page, label: string) => page.getByLabel(label).evaluate((el) => el === (el.ownerDocument as { activeElement: unknown }).activeElement);

/** Nothing on the page is wider than the window: no sideways scrolling. */
async function assertNoSidewaysScroll(page: Page, screen: string): Promise<void> {
  const { scrollWidth, clientWidth } = await page.evaluate(() => {
    const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth };
  });
  assert.ok(scrollWidth <= clientWidth, `${screen}: the page is ${scrollWidth} px wide in a ${clientWidth} px window`);
}

test('the second step puts the cursor in the code field, not on the heading', async () => {
  const secret = await agentWithApp('Fay Agent', 'fay@acme.test');
  const { context, page } = await open();
  await signIn(page, account.slug, 'fay@acme.test');
  await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
  assert.equal(await isFocused(page, 'Code from your authenticator app'), true);
  // Typing straight away works: nothing to click first.
  await page.keyboard.type(await codes.next(secret));
  await page.getByTestId('app-home').waitFor();
  await context.close();
});

test('a new authenticator app reads as English; its recovery codes warn before a reload and are there again after it, until saved', async () => {
  await account.createUser('Gus Agent', 'gus@acme.test');
  const { context, page } = await open();
  await signIn(page, account.slug, 'gus@acme.test');
  await page.getByTestId('app-home').waitFor();
  await page.getByRole('button', { name: 'My security' }).click();
  await page.getByRole('button', { name: 'Add authenticator app' }).click();
  const secret = await readSetupSecret(page);
  await page.getByLabel('6-digit code from the app').fill(await codes.next(secret));
  const shown = page.getByTestId('recovery-codes');
  await shown.waitFor();
  await page.getByText('Authenticator app added.', { exact: true }).waitFor();
  assert.equal(await page.getByText('Authenticator app “Authenticator app” added.').count(), 0);
  const before = await shown.innerText();

  // The page asks before it goes; accepted, the same codes come back after the reload.
  let asked = '';
  page.once('dialog', (dialog) => {
    asked = dialog.type();
    void dialog.accept();
  });
  await page.getByLabel('I have saved my recovery codes').focus(); // a user gesture, which Chromium wants before asking
  await page.mouse.click(5, 5);
  await page.reload();
  assert.equal(asked, 'beforeunload');
  await shown.waitFor();
  assert.equal(await shown.innerText(), before);
  assert.equal((await shown.innerText()).split('\n').filter(Boolean).length, 10);

  // Confirmed: gone from the tab, and a reload asks nothing.
  await page.getByLabel('I have saved my recovery codes').check();
  await page.getByRole('button', { name: 'Done' }).click();
  await page.getByText('10 of 10 recovery codes left.').waitFor();
  assert.equal(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { length: number } }).sessionStorage.length), 0);
  let askedAgain = false;
  page.once('dialog', (dialog) => {
    askedAgain = true;
    void dialog.dismiss();
  });
  await page.reload();
  await page.getByTestId('app-home').waitFor();
  assert.equal(askedAgain, false);
  assert.equal(await shown.count(), 0);
  await context.close();
});

test('at 400 px in the dark theme nothing scrolls sideways and every screen keeps axe\'s contrast rules; at 1600 px the page uses the width', async () => {
  const { context, page } = await open({ width: 400, height: 800, dark: true });
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await assertNoSidewaysScroll(page, 'sign-in');
  await recordScreen(page, 'dark-narrow-sign-in');
  await signIn(page, account.slug, account.admin.email);
  await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
  await assertNoSidewaysScroll(page, 'second step');
  await recordScreen(page, 'dark-narrow-second-step');
  await page.getByLabel('Code from your authenticator app').fill(await codes.next(account.admin.secret));
  await page.getByRole('heading', { name: 'Authentication' }).waitFor();
  await assertNoSidewaysScroll(page, 'security settings');
  await recordScreen(page, 'dark-narrow-admin-security-settings', { fullPage: true });
  await page.getByRole('button', { name: 'Users' }).click();
  await page.getByText('alice@acme.test').filter({ visible: true }).first().waitFor();
  await assertNoSidewaysScroll(page, 'users');
  await recordScreen(page, 'dark-narrow-admin-users', { fullPage: true });
  await page.getByRole('button', { name: 'Audit log' }).click();
  await page.getByRole('heading', { name: 'Audit log' }).waitFor();
  await page.getByText('Created the account').filter({ visible: true }).first().waitFor();
  await assertNoSidewaysScroll(page, 'audit log');
  await page.getByRole('button', { name: 'My security' }).click();
  await page.getByRole('heading', { name: 'Two-factor methods' }).waitFor();
  await assertNoSidewaysScroll(page, 'my security');
  await recordScreen(page, 'dark-narrow-my-security', { fullPage: true });
  // The light theme at 400 px too.
  await page.emulateMedia({ colorScheme: 'light' });
  await assertNoSidewaysScroll(page, 'my security (light)');
  await recordScreen(page, 'narrow-my-security', { fullPage: true });
  await context.close();

  const wide = await open({ width: 1600, height: 900 });
  await signInWithCode(wide.page, account.slug, account.admin.email, account.admin.secret, codes);
  await wide.page.getByRole('button', { name: 'My security' }).click();
  await wide.page.getByRole('heading', { name: 'Two-factor methods' }).waitFor();
  const contentWidth = await wide.page.getByTestId('app-home').evaluate((el) => el.getBoundingClientRect().width);
  assert.ok(contentWidth > 1200, `the content is ${Math.round(contentWidth)} px wide on a 1600 px screen`);
  const methods = await wide.page.getByRole('heading', { name: 'Two-factor methods' }).boundingBox();
  const recovery = await wide.page.getByRole('heading', { name: 'Recovery codes' }).boundingBox();
  assert.ok(methods && recovery && recovery.x > methods.x + 400, 'the cards sit side by side');
  await recordScreen(wide.page, 'wide-my-security');
  await wide.context.close();
});

/** Whether this server pushes account.updated yet (contract item 6), asked on a stream of our own. */
async function serverPushesAccountUpdates(token: string, save: () => Promise<unknown>): Promise<boolean> {
  const controller = new AbortController();
  const response = await fetch(`${journey.server.url}/api/v1/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  const reader = response.body!.getReader();
  let text = '';
  const seen = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return false;
      text += new TextDecoder().decode(value);
      if (text.includes('event: account.updated')) return true;
    }
  })().catch(() => false);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await save();
  const result = await Promise.race([seen, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000))]);
  controller.abort();
  return result;
}

test('My security follows the account setting the moment an admin saves it (account.updated)', async (t) => {
  const ivy = await agentWithApp('Ivy Agent', 'ivy@acme.test');
  const admin = await IdentityApi.signIn(journey.server.url, account.slug, account.admin.email, password);
  await admin.call('POST', '/sessions/current/second-factor', { method: 'totp', code: await codes.next(account.admin.secret) });
  const setRequired = (requireTwoFactor: boolean) => admin.call('PUT', '/account/security-settings', { requireTwoFactor, acknowledged: true });
  const adminToken = (admin as unknown as { token: string }).token;
  if (!(await serverPushesAccountUpdates(adminToken, () => setRequired(false)))) {
    t.skip('this server does not push account.updated yet');
    return;
  }

  const { context, page } = await open();
  await signInWithCode(page, account.slug, 'ivy@acme.test', ivy, codes);
  await page.getByRole('button', { name: 'My security' }).click();
  const remove = page.getByRole('button', { name: /^Remove / });
  await remove.waitFor();
  assert.equal(await remove.isEnabled(), true);
  await setRequired(true);
  // No reload, no click: the pushed event brings the new setting.
  await page.getByText('This is your only method and your administrator requires two-factor authentication').waitFor({ timeout: 2000 });
  assert.equal(await remove.isEnabled(), false);
  await setRequired(false);
  await page.getByText('This is your only method').waitFor({ state: 'detached', timeout: 2000 });
  assert.equal(await remove.isEnabled(), true);
  await context.close();
});

test('Your sessions: every sign-in listed with this device marked; one signed out from here, then everywhere else', async (t) => {
  const jo = await agentWithApp('Jo Agent', 'jo@acme.test');
  const elsewhere = await IdentityApi.signIn(journey.server.url, account.slug, 'jo@acme.test', password);
  await elsewhere.call('POST', '/sessions/current/second-factor', { method: 'totp', code: await codes.next(jo) });
  const listed = await elsewhere.call('GET', '/me/sessions').catch(() => null);
  if (!listed?.sessions) {
    t.skip('this server does not list sessions yet (GET /me/sessions)');
    return;
  }
  const other = await open();
  await signInWithCode(other.page, account.slug, 'jo@acme.test', jo, codes);
  const { context, page } = await open();
  await signInWithCode(page, account.slug, 'jo@acme.test', jo, codes);
  await page.getByRole('button', { name: 'My security' }).click();
  const card = page.getByTestId('my-sessions');
  await card.getByText('This device').waitFor();
  const rows = card.getByRole('listitem');
  assert.ok((await rows.count()) >= 3, 'this browser, the other browser and the API sign-in');
  assert.equal(await card.getByText('This device').count(), 1);
  await assertNoSidewaysScroll(page, 'your sessions');
  await recordScreen(page, 'my-sessions', { fullPage: true });

  // Sign out the other browser from here: the feedback sits on its row, and that browser is
  // back at sign-in with the reason.
  const firstOther = rows.filter({ hasNot: page.getByText('This device') }).first();
  await firstOther.getByRole('button', { name: /^Sign out / }).click();
  await firstOther.getByText(/^Signed out /).waitFor();
  // Everywhere else: the rest go, this one stays.
  await card.getByRole('button', { name: 'Sign out everywhere else' }).click();
  await card.getByText(/Signed out \d+ other sessions?\.|You were not signed in anywhere else\./).waitFor();
  await other.page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 5000 });
  assert.equal(await other.page.getByTestId('signed-out-reason').innerText(), 'This session was ended from “Your sessions” on another device. Sign in again.');
  await assert.rejects(elsewhere.call('GET', '/me'), /401/);
  assert.equal((await card.getByRole('listitem').count()), 1);
  await page.getByTestId('app-home').waitFor();
  await other.context.close();
  await context.close();
});
