// One identity service and one Chromium per test file: started before its tests, closed after.
import { mkdirSync } from 'node:fs';
import { after, afterEach, before } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from './console-browser.js';
import { startTestServer, type TestServer } from './test-server.js';

export interface Journey {
  readonly server: TestServer;
  readonly browser: Browser;
}

/** `setUp` runs once both are up (in the same hook: node 20 does not order separate root hooks). */
export function consoleJourney(options: { openSignup?: boolean } = {}, setUp?: (journey: Journey) => Promise<void>): Journey {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  before(async () => {
    server = await startTestServer(options);
    browser = await launchChromium();
    await setUp?.(journey);
  });
  // A failed test leaves what each open page showed: its text on stderr (what CI prints) and a
  // screenshot under test-results/failures/, so a failure seen once can be read afterwards.
  afterEach(async (t) => {
    // `passed` is on node 20.13+ and 22+; its types here are older.
    if ((t as { passed?: boolean }).passed !== false || !browser) return;
    const pages = browser.contexts().flatMap((context) => context.pages());
    mkdirSync('test-results/failures', { recursive: true });
    for (const [i, page] of pages.entries()) {
      const name = `${t.name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60)}-${i}`;
      try {
        await page.screenshot({ path: `test-results/failures/${name}.png`, fullPage: true, timeout: 5_000 });
        const text = await page.locator('body').innerText({ timeout: 5_000 });
        process.stderr.write(`--- page ${i} of the failed test "${t.name}" at ${page.url()}:\n${text.slice(0, 3_000)}\n---\n`);
      } catch (error) {
        process.stderr.write(`--- page ${i} of the failed test "${t.name}" could not be read: ${String(error)}\n`);
      }
    }
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the journey is used before its before() hook ran');
    return value;
  };
  const journey: Journey = {
    get server() {
      return started(server);
    },
    get browser() {
      return started(browser);
    },
  };
  return journey;
}
