// No DOM types in the Node tsconfig: functions run by page.evaluate cast globalThis to this.
interface BrowserGlobals {
  open(url: string): unknown;
  location: { href: string; protocol: string };
  localStorage: Record<string, string>;
  sessionStorage: Record<string, string>;
  document: { cookie: string };
}

// The desktop journeys in the real Electron app, driven by Playwright's Electron support: the
// locked-down window, sign-in and the pushed sign-out when an admin requires 2FA, the session
// restored from the keychain after a restart, a security key (the software authenticator over
// UDP) registered and used with its PIN, and the first run on the embedded server.
// Runs where an Electron binary is installed; elsewhere the suite prints one skip line.
import assert from 'node:assert/strict';
import { reserveFreeUdpPort } from '../server/free-port.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test, type TestContext } from 'node:test';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { buildDesktop } from '../main/build/build-desktop.js';
import { findElectronBinary } from '../main/build/electron-binary.js';
import { SoftAuthenticator } from '../main/security-keys/testing/soft-authenticator.js';
import { serveOverUdp } from '../main/security-keys/testing/udp-simulator.js';
import { AuthenticatorCodes } from './support/authenticator-codes.js';
import { password, seedAccount } from './support/identity-api.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const electron = findElectronBinary();
const skip = electron.found ? false : `desktop (Electron) tests skipped: the Electron binary is not installed (${electron.reason})`;

interface DesktopApp {
  app: ElectronApplication;
  window: Page;
  output: () => string;
  close(): Promise<void>;
}

async function launchDesktop(env: Record<string, string>, userDataDir: string): Promise<DesktopApp> {
  if (!electron.found) throw new Error('no Electron binary');
  const app = await _electron.launch({
    executablePath: electron.path,
    // As root (containers), Chromium's OS sandbox cannot start; the renderer sandbox flag still applies.
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), root],
    cwd: root,
    env: { ...process.env, AGENTDESK_USER_DATA_DIR: userDataDir, AGENTDESK_SERVER_LOG_LEVEL: 'warn', ...env } as Record<string, string>,
  });
  let output = '';
  app.process().stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  app.process().stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const window = await app.firstWindow();
  await window.waitForLoadState('domcontentloaded');
  return { app, window, output: () => output, close: () => app.close() };
}

async function signIn(page: Page, account: string, email: string): Promise<void> {
  await page.getByLabel('Account').fill(account);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

describe('AgentDesk desktop (Electron)', { skip }, () => {
  let server: TestServer;
  const codes = new AuthenticatorCodes();
  const userDataDirs: string[] = [];
  const userData = () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentdesk-desktop-'));
    userDataDirs.push(dir);
    return dir;
  };

  before(async () => {
    await buildDesktop({ quiet: true });
    server = await startTestServer({ openSignup: true });
  });
  after(async () => {
    await server?.close();
    for (const dir of userDataDirs) rmSync(dir, { recursive: true, force: true });
  });

  test('the window is sandboxed and isolated, cannot navigate or open windows, and sees only window.agentdesk', async () => {
    const desktop = await launchDesktop({ AGENTDESK_SERVER_URL: server.url }, userData());
    try {
      const shown = await desktop.app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().map((w) => w.webContents.getURL()));
      assert.deepEqual(shown, ['app://agentdesk/index.html']);

      const page = desktop.window;
      const globals = await page.evaluate(() => ({
        require: typeof (globalThis as { require?: unknown }).require,
        process: typeof (globalThis as { process?: unknown }).process,
        api: Object.entries((globalThis as unknown as { agentdesk: Record<string, unknown> }).agentdesk).map(([name, value]) => `${name}:${typeof value}`),
      }));
      assert.equal(globals.require, 'undefined');
      assert.equal(globals.process, 'undefined');
      assert.ok(globals.api.length >= 20 && globals.api.every((entry) => entry.endsWith(':function')), globals.api.join(', '));
      assert.ok(!globals.api.some((entry) => /^(send|invoke|ipcRenderer)/.test(entry)), 'no generic channel access');

      // Navigation and new windows are refused; the network is closed to the renderer.
      const opened = await page.evaluate(() => (globalThis as unknown as BrowserGlobals).open('https://example.com') === null);
      assert.equal(opened, true);
      await page.evaluate(() => {
        (globalThis as unknown as BrowserGlobals).location.href = 'https://example.com/';
      });
      await page.waitForTimeout(500);
      assert.equal(page.url().startsWith('app://agentdesk/'), true);
      assert.equal(desktop.app.windows().length, 1);
      const fetched = await page.evaluate(() => fetch(`${(globalThis as unknown as BrowserGlobals).location.protocol}//example.com/`).then(() => 'reached', () => 'blocked'));
      assert.equal(fetched, 'blocked');
    } finally {
      await desktop.close();
    }
  });

  test('an agent signed in on the desktop is signed out at once when the admin requires 2FA', async () => {
    const account = await seedAccount(server.url, codes);
    await account.createUser('Ana Agent', 'ana@acme.test');
    const desktop = await launchDesktop({ AGENTDESK_SERVER_URL: server.url }, userData());
    try {
      await signIn(desktop.window, 'acme', 'ana@acme.test');
      await desktop.window.getByTestId('app-home').waitFor();
      const savedAt = Date.now();
      await account.admin.api.call('PUT', '/account/security-settings', { requireTwoFactor: true, acknowledged: true });
      const reason = desktop.window.getByTestId('signed-out-reason');
      await reason.waitFor({ timeout: 1000 });
      assert.ok(Date.now() - savedAt < 1000);
      assert.equal(await reason.innerText(), 'Your administrator now requires two-factor authentication. Sign in to set it up.');
      await signIn(desktop.window, 'acme', 'ana@acme.test');
      await desktop.window.getByRole('heading', { name: 'Set up two-factor authentication' }).waitFor();
    } finally {
      await desktop.close();
    }
  });

  test('the session comes back after a restart, and not after signing out', async (t: TestContext) => {
    const account = await seedAccount(server.url, codes, 'initech', 'Initech Help');
    await account.createUser('Ben Agent', 'ben@initech.test');
    const dir = userData();
    let desktop = await launchDesktop({ AGENTDESK_SERVER_URL: server.url }, dir);
    await signIn(desktop.window, 'initech', 'ben@initech.test');
    await desktop.window.getByTestId('app-home').waitFor();
    const inMemory = /no OS keychain available/.test(desktop.output());
    await desktop.close();
    if (inMemory) {
      t.skip('no OS keychain on this machine: the session was kept in memory only, as designed');
      return;
    }
    desktop = await launchDesktop({ AGENTDESK_SERVER_URL: server.url }, dir);
    try {
      await desktop.window.getByTestId('app-home').waitFor();
      await desktop.window.getByRole('button', { name: 'Sign out', exact: true }).click();
      await desktop.window.getByRole('heading', { name: 'Sign in' }).waitFor();
    } finally {
      await desktop.close();
    }
    desktop = await launchDesktop({ AGENTDESK_SERVER_URL: server.url }, dir);
    try {
      await desktop.window.getByRole('heading', { name: 'Sign in' }).waitFor();
    } finally {
      await desktop.close();
    }
  });

  test('a security key over the UDP simulator is registered, then used with its PIN for the second step', async () => {
    const account = await seedAccount(server.url, codes, 'umbrella', 'Umbrella Care');
    await account.createUser('Kim Agent', 'kim@umbrella.test');
    const key = new SoftAuthenticator({ pin: '4711' });
    const listen = await reserveFreeUdpPort();
    const simulator = await serveOverUdp(key, { host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: listen });
    const desktop = await launchDesktop(
      { AGENTDESK_SERVER_URL: server.url, AGENTDESK_SECURITY_KEY_UDP: `127.0.0.1:${simulator.address.port}`, AGENTDESK_SECURITY_KEY_UDP_LISTEN: `127.0.0.1:${listen}` },
      userData(),
    );
    try {
      const page = desktop.window;
      await signIn(page, 'umbrella', 'kim@umbrella.test');
      await page.getByTestId('app-home').waitFor();
      await page.getByRole('button', { name: 'Add security key' }).click();
      await page.getByLabel('Name for this key').fill('Desk key');
      await page.getByRole('button', { name: 'Add security key' }).click();
      await page.getByTestId('recovery-codes').waitFor();
      await page.getByLabel('I have saved my recovery codes').check();
      await page.getByRole('button', { name: 'Done' }).click();
      await page.getByText('Desk key', { exact: true }).waitFor();
      assert.equal(key.credentials.size, 1);

      // The account now demands user verification: the key's PIN, asked for by the desktop.
      await account.admin.api.call('PUT', '/account/security-settings', { requireTwoFactor: false, acknowledged: false, userVerification: 'required' });
      await page.getByRole('button', { name: 'Sign out', exact: true }).click();
      await signIn(page, 'umbrella', 'kim@umbrella.test');
      await page.getByRole('button', { name: 'Use security key' }).click();
      await page.getByLabel('Security key PIN').fill('0000');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByText('Wrong PIN.').waitFor();
      await page.getByLabel('Security key PIN').fill('4711');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByTestId('app-home').waitFor();
    } finally {
      await desktop.close();
      await simulator.close();
    }
  });

  test('first run on the embedded server creates the account and its admin', async () => {
    const desktop = await launchDesktop({ AGENTDESK_SERVER_URL: '' }, userData());
    try {
      const page = desktop.window;
      assert.match(desktop.output(), /embedded identity service on http:\/\/localhost:\d+/);
      // No account yet: the app opens on creating one, with its welcome.
      await page.getByTestId('first-run-welcome').waitFor();
      await page.getByLabel('Organisation name').fill('Hooli Support');
      await page.getByLabel('Account short name').fill('hooli');
      await page.getByLabel('Your name').fill('Gavin Admin');
      await page.getByLabel('Your email').fill('gavin@hooli.test');
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Create an account' }).count(), 0, 'signup closed with the first account');
      await signIn(page, 'hooli', 'gavin@hooli.test');
      await page.getByTestId('app-home').waitFor();
      // Screens have addresses on app://agentdesk/ too: a reload stays on the admin's users.
      await page.getByRole('button', { name: 'Users' }).click();
      assert.match(page.url(), /^app:\/\/agentdesk\/.*#\/admin\/users$/);
      await page.reload();
      await page.getByRole('heading', { name: 'Admin' }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Users' }).getAttribute('aria-current'), 'page');
      // The token is main's: nothing of it reaches the renderer's storage.
      const stored = await page.evaluate(() => {
        const b = globalThis as unknown as BrowserGlobals;
        return JSON.stringify({ ...b.localStorage }) + JSON.stringify({ ...b.sessionStorage }) + b.document.cookie;
      });
      assert.equal(stored, '{}{}');
    } finally {
      await desktop.close();
    }
  });
});
