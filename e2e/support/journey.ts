// One identity service and one Chromium per test file: started before its tests, closed after.
import { after, before } from 'node:test';
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
