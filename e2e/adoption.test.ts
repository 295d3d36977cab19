// The Adoption tab in Chromium: the chart is drawn (SVG), its text alternative states the latest
// day and the table gives every day, the split reads in words, the deployment day counts down
// and names who is missing, and "Export CSV" downloads the days. Checked with axe (recordScreen).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { AuthenticatorCodes } from './support/authenticator-codes.js';
import { openConsole, recordScreen, signInWithCode } from './support/console-browser.js';
import { seedAccount, type SeededAccount } from './support/identity-api.js';
import { consoleJourney } from './support/journey.js';

const codes = new AuthenticatorCodes();
let account: SeededAccount;
const journey = consoleJourney({}, async ({ server }) => {
  account = await seedAccount(server.url, codes, 'acme', 'Acme Support');
});

test('adoption: chart with its table, split, deployment-day countdown with who is missing, CSV', async () => {
  await account.createUser('Ben Agent', 'ben@acme.test');
  await account.createUser('Cleo Agent', 'cleo@acme.test');
  const startsAt = new Date(Date.now() + 3 * 86_400_000);
  startsAt.setSeconds(0, 0);
  await account.admin.api.call('PUT', '/account/security-settings', { requireTwoFactor: true, acknowledged: true, startsAt: startsAt.toISOString() });

  const admin = await openConsole(journey.browser, journey.server.url);
  await signInWithCode(admin.page, 'acme', account.admin.email, account.admin.secret, codes);
  await admin.page.getByRole('heading', { name: 'Authentication' }).waitFor();
  await admin.page.getByRole('button', { name: 'Adoption' }).click();
  const panel = admin.page.getByTestId('adoption');
  await panel.getByRole('heading', { name: 'Two-factor adoption' }).waitFor();

  // The chart is drawn, and described in words: the admin of three users has a method.
  await panel.locator('.recharts-surface').first().waitFor();
  assert.match(await panel.locator('figure').innerText(), /1 user of 3 had a second factor \(33%\)/);
  // Its text alternative: every day of the period as a table.
  await panel.getByText('Show the figures as a table').click();
  assert.equal(await panel.getByTestId('adoption-table').locator('tbody tr').count(), 30);
  assert.match(await panel.getByTestId('adoption-split').innerText(), /Authenticator app only: 1 \(33%\)[\s\S]*No method: 2 \(67%\)/);

  const deployment = panel.getByTestId('adoption-deployment');
  assert.match(await deployment.innerText(), /in 3 days|in 2 days 23 hours/);
  assert.match(await deployment.innerText(), /1 of 3 users are ready; 2 are still missing/);
  const missing = await panel.getByTestId('adoption-missing').innerText();
  assert.ok(missing.includes('Ben Agent') && missing.includes('cleo@acme.test'), missing);
  await recordScreen(admin.page, 'admin-adoption', { fullPage: true });

  // The period changes the series; the CSV has one row per day of it.
  await panel.getByLabel('Period').selectOption('7');
  await admin.page.waitForFunction(
    () => (globalThis as unknown as { document: { querySelectorAll(selector: string): { length: number } } }).document.querySelectorAll('[data-testid="adoption-table"] tbody tr').length === 7,
  );
  const [download] = await Promise.all([admin.page.waitForEvent('download'), panel.getByRole('button', { name: 'Export CSV' }).click()]);
  const csv = (await readFile((await download.path())!, 'utf8')).trimEnd().split('\r\n');
  assert.equal(csv[0], 'date,users,with_any_method,with_authenticator_app,with_security_key,with_both');
  assert.equal(csv.length, 8);
  assert.match(csv[7]!, /^\d{4}-\d{2}-\d{2},3,1,1,0,0$/);

  // By group: only its members, over every day, on screen and in the CSV.
  const { users } = await account.admin.api.call<{ users: { id: string; email: string }[] }>('GET', '/account/users?q=ben');
  const { group } = await account.admin.api.call<{ group: { id: string } }>('POST', '/account/groups', { name: 'Supervisors' });
  await account.admin.api.call('PUT', `/account/groups/${group.id}/members`, { userIds: users.map((u) => u.id) });
  await admin.page.reload();
  await panel.getByLabel('Group').selectOption({ label: 'Supervisors' });
  await admin.page.waitForFunction(
    () => /of 1 had a second factor/.test((globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('[data-testid="adoption"] figure')?.textContent ?? ''),
  );
  const [groupDownload] = await Promise.all([admin.page.waitForEvent('download'), panel.getByRole('button', { name: 'Export CSV' }).click()]);
  const groupCsv = (await readFile((await groupDownload.path())!, 'utf8')).trimEnd().split('\r\n');
  assert.match(groupCsv.at(-1)!, /^\d{4}-\d{2}-\d{2},1,0,0,0,0$/);
  await admin.context.close();
});

test('adoption: who is still missing comes 50 at a time; "Show more" appends the rest, in the data layer\'s pages', async () => {
  // Ben and Cleo from the test above, and 49 invited: 51 missing for the deployment day.
  for (let i = 1; i <= 49; i++) await account.admin.api.call('POST', '/account/users', { name: `Invited ${String(i).padStart(2, '0')}`, email: `invited${i}@acme.test`, role: 'agent' });
  const admin = await openConsole(journey.browser, journey.server.url);
  await signInWithCode(admin.page, 'acme', account.admin.email, account.admin.secret, codes);
  await admin.page.getByRole('heading', { name: 'Authentication' }).waitFor();
  await admin.page.getByRole('button', { name: 'Adoption' }).click();
  const panel = admin.page.getByTestId('adoption');
  await panel.getByText('Showing 50 of 51.').waitFor();
  assert.equal(await panel.getByTestId('adoption-missing').locator('tbody tr').count(), 50);
  await panel.getByRole('button', { name: 'Show more' }).click();
  await panel.getByText('Showing 51 of 51.').waitFor();
  const names = await panel.getByTestId('adoption-missing').locator('tbody tr td:first-child').allInnerTexts();
  assert.equal(new Set(names).size, 51, 'no one twice');
  assert.equal(await panel.getByRole('button', { name: 'Show more' }).count(), 0);
  await admin.context.close();
});
