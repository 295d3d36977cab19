// Debian's Chromium driven by playwright-core: one browser per test file, one context per
// person, a small desktop window, an axe check and a screenshot for every screen.
import { mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { password } from './identity-api.js';
import type { AuthenticatorCodes } from './authenticator-codes.js';

// Every run saves its screenshots under test-results/; the README's pictures in docs/screenshots
// are refreshed only on request (AGENTDESK_UPDATE_SCREENSHOTS=1 npm test), so a test run leaves
// the work tree clean.
export const screenshotDir = process.env.AGENTDESK_UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : 'test-results/screenshots';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-gpu'],
  });
}

export async function openConsole(browser: Browser, url: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 900, height: 640 }, baseURL: url });
  const page = await context.newPage();
  await page.goto('/');
  return { context, page };
}

/** Fails on any serious or critical axe violation, and saves the screen for the README. */
export async function recordScreen(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(serious, [], `accessibility violations on screen "${name}"`);
  mkdirSync(screenshotDir, { recursive: true });
  // A whole-page picture starts at the top: scrolled, the sticky header would land mid-page.
  if (options.fullPage) await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
  await page.screenshot({ path: `${screenshotDir}/${name}.png`, fullPage: options.fullPage ?? false });
}

export async function fillSignIn(page: Page, account: string, email: string): Promise<void> {
  await page.getByLabel('Account').fill(account);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
}

export async function signIn(page: Page, account: string, email: string): Promise<void> {
  await fillSignIn(page, account, email);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Signs in someone with an authenticator app, through the second step. */
export async function signInWithCode(page: Page, account: string, email: string, secret: string, codes: AuthenticatorCodes): Promise<void> {
  await signIn(page, account, email);
  await page.getByLabel('Code from your authenticator app').fill(await codes.next(secret));
  await page.getByTestId('app-home').waitFor();
}

export async function readSetupSecret(page: Page): Promise<string> {
  const secret = await page.getByTestId('totp-secret').getAttribute('data-secret');
  assert.ok(secret, 'the setup key is on the page');
  return secret;
}
