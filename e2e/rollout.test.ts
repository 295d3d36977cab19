// Rolling 2FA out in Chromium: the deployment-day banner for users without a method and the
// admin's countdown; security activity with "This wasn't me" and the admins' alert; and a
// forced enrolment from a new device that asks for the admin's enrolment code. Every screen is
// checked with axe (recordScreen).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthenticatorCodes } from './support/authenticator-codes.js';
import { openConsole, recordScreen, signIn, signInWithCode } from './support/console-browser.js';
import { IdentityApi, password, seedAccount, type SeededAccount } from './support/identity-api.js';
import { consoleJourney } from './support/journey.js';

const codes = new AuthenticatorCodes();
let account: SeededAccount;
const journey = consoleJourney({}, async ({ server }) => {
  account = await seedAccount(server.url, codes, 'acme', 'Acme Support', 'known_device');
});

test('deployment day: every screen of a user without a method says when, the admin sees the countdown and who is missing', async () => {
  await account.createUser('Ben Agent', 'ben@acme.test');
  const startsAt = new Date(Date.now() + 3 * 86_400_000);
  startsAt.setSeconds(0, 0);
  await account.admin.api.call('PUT', '/account/security-settings', { requireTwoFactor: true, acknowledged: true, startsAt: startsAt.toISOString(), graceSignIns: 2 });

  const ben = await openConsole(journey.browser, journey.server.url);
  await signIn(ben.page, 'acme', 'ben@acme.test');
  const banner = ben.page.getByTestId('deployment-day-banner');
  await banner.waitFor();
  const text = await banner.innerText();
  assert.match(text, /requires two-factor authentication/);
  // The time in the user's own time zone (the browser's), with the weekday.
  const weekday = new Intl.DateTimeFormat(undefined, { weekday: 'long' }).format(startsAt);
  assert.ok(text.includes(weekday), text);
  // The grace the account gives: how often she may still postpone it after that day.
  assert.equal(await banner.getByTestId('deployment-day-grace').innerText(), 'After that you can postpone it 2 more times.');
  await recordScreen(ben.page, 'deployment-day-banner');
  await banner.getByRole('button', { name: 'Set it up now' }).click();
  await ben.page.getByRole('heading', { name: 'My security' }).waitFor();
  // My security says what applies to her and why: from the day, for everyone, any method, her lifetimes.
  const applies = await ben.page.getByTestId('what-applies').innerText();
  assert.match(applies, /Two-factor authentication will be required of you from .+\. It applies to everyone in the account\./);
  assert.ok(applies.includes(weekday), applies);
  assert.match(applies, /Any method counts/);
  assert.match(applies, /You are signed out after \d+ minutes? without activity, and after \d+ hours? at most\./);

  const admin = await openConsole(journey.browser, journey.server.url);
  await signInWithCode(admin.page, 'acme', account.admin.email, account.admin.secret, codes);
  await admin.page.getByRole('heading', { name: 'Authentication' }).waitFor();
  const scheduled = admin.page.getByTestId('deployment-day-scheduled');
  await scheduled.waitFor();
  assert.match(await scheduled.innerText(), /in 3 days|in 2 days 23 hours/);
  assert.match(await admin.page.getByTestId('still-missing').innerText(), /Ben Agent/);
  await recordScreen(admin.page, 'admin-deployment-day', { fullPage: true });
  // The day reads with its time zone.
  const zone = new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' }).formatToParts(startsAt).find((p) => p.type === 'timeZoneName')!.value;
  assert.ok((await scheduled.innerText()).includes(zone), `${zone} in ${await scheduled.innerText()}`);
  // Cancelled from the same page, through the card's one Save, after the unsaved cue.
  await admin.page.getByRole('button', { name: 'Drop the deployment day' }).click();
  assert.match(await admin.page.getByTestId('unsaved-changes').innerText(), /Deployment day: dropped/);
  await admin.page.getByRole('button', { name: 'Save', exact: true }).click();
  assert.match(await admin.page.getByTestId('save-result').innerText(), /deployment day is cancelled/);
  assert.equal(await admin.page.getByTestId('unsaved-changes').count(), 0);
  // The page shows the server's state at once: no scheduled day left, the form to set one.
  assert.equal(await scheduled.count(), 0);
  await admin.page.getByLabel('Require from').waitFor();
  // The banner goes at the user's next look.
  await ben.page.reload();
  await ben.page.getByRole('heading', { name: 'My security' }).waitFor();
  assert.equal(await ben.page.getByTestId('deployment-day-banner').count(), 0);
  await ben.context.close();
  await admin.context.close();
  // The tests below see the account without grace, as before.
  await account.admin.api.call('PUT', '/account/security-settings', { requireTwoFactor: false, acknowledged: false, graceSignIns: 0 });
});

test('Security Settings never shows stale state: a day dropped by "require now", the form back after turning off, a change made elsewhere, the deployment day arriving', async () => {
  const startsAt = new Date(Date.now() + 2 * 86_400_000);
  startsAt.setSeconds(0, 0);
  await account.admin.api.call('PUT', '/account/security-settings', { requireTwoFactor: true, acknowledged: true, startsAt: startsAt.toISOString() });
  const admin = await openConsole(journey.browser, journey.server.url);
  await signInWithCode(admin.page, 'acme', account.admin.email, account.admin.secret, codes);
  const scheduled = admin.page.getByTestId('deployment-day-scheduled');
  await scheduled.waitFor();
  const requireSwitch = admin.page.getByRole('switch', { name: 'Require two-factor authentication' });

  // Require now: the scheduled day is gone from the page (no Move or Drop left).
  await requireSwitch.click();
  await admin.page.getByTestId('unsaved-badge').waitFor();
  await admin.page.getByLabel('I understand').check();
  await admin.page.getByRole('button', { name: 'Save', exact: true }).click();
  await admin.page.getByTestId('save-result').waitFor();
  assert.equal(await requireSwitch.getAttribute('aria-checked'), 'true');
  assert.equal(await scheduled.count(), 0);
  assert.equal(await admin.page.getByRole('button', { name: 'Drop the deployment day' }).count(), 0);

  // Off again: the deployment-day form is back without a reload.
  await requireSwitch.click();
  await admin.page.getByRole('button', { name: 'Save', exact: true }).click();
  await admin.page.getByTestId('save-result').getByText('no longer required').waitFor();
  await admin.page.getByLabel('Require from').waitFor();

  // Another admin (here: the API) turns it on: the open page follows the pushed account.updated.
  await account.admin.api.call('PUT', '/account/security-settings', { requireTwoFactor: true, acknowledged: true });
  await admin.page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { getAttribute(n: string): string } | null } }).document.querySelector('[role=switch][aria-labelledby=require-2fa-label]')?.getAttribute('aria-checked') === 'true');
  assert.equal(await admin.page.getByLabel('Require from').count(), 0);

  // "Security keys only" while the admin herself has only an app: said before she saves, Save held.
  await admin.page.getByLabel('Security keys only').check();
  assert.match(await admin.page.getByTestId('needs-own-key').innerText(), /your authenticator app no longer confirms your own sign-in/);
  assert.equal(await admin.page.getByRole('button', { name: 'Save', exact: true }).isDisabled(), true);
  await recordScreen(admin.page, 'admin-keys-only-needs-own-key');
  await admin.page.getByRole('button', { name: 'Discard changes' }).click();
  assert.equal(await admin.page.getByTestId('needs-own-key').count(), 0);

  // The deployment day arrives while the page is open: the server pushes account.updated then,
  // so the switch turns On and the scheduled day goes, without a reload.
  await account.admin.api.call('PUT', '/account/security-settings', { requireTwoFactor: false, acknowledged: false });
  await admin.page.getByLabel('Require from').waitFor();
  await account.admin.api.call('PUT', '/account/security-settings', { requireTwoFactor: true, acknowledged: true, startsAt: new Date(Date.now() + 4000).toISOString() });
  await scheduled.waitFor();
  assert.equal(await requireSwitch.getAttribute('aria-checked'), 'false');
  await admin.page.waitForFunction(
    () => (globalThis as unknown as { document: { querySelector(s: string): { getAttribute(n: string): string } | null } }).document.querySelector('[role=switch][aria-labelledby=require-2fa-label]')?.getAttribute('aria-checked') === 'true',
    undefined,
    { timeout: 15_000 },
  );
  assert.equal(await scheduled.count(), 0);
  await account.admin.api.call('PUT', '/account/security-settings', { requireTwoFactor: false, acknowledged: false });
  await admin.context.close();
});

test("security activity lists what changed, unread first; \"This wasn't me\" signs the user out and alerts the admins", async () => {
  await account.createUser('Dee Agent', 'dee@acme.test');
  const deeApi = await IdentityApi.signIn(journey.server.url, 'acme', 'dee@acme.test', password);
  const secret = await deeApi.enrollAuthenticatorApp(codes);
  const dee = await openConsole(journey.browser, journey.server.url);
  await signInWithCode(dee.page, 'acme', 'dee@acme.test', secret, codes);
  const activity = dee.page.getByTestId('security-activity');
  await activity.waitFor();
  await activity.getByText(/Authenticator app added/).first().waitFor();
  // The default name is not said twice.
  assert.doesNotMatch(await activity.innerText(), /Authenticator app “Authenticator app”/);
  await recordScreen(dee.page, 'my-security-activity', { fullPage: true });
  await activity.getByRole('button', { name: 'This wasn’t me' }).first().click();
  await activity.getByRole('button', { name: 'Yes, this wasn’t me' }).click();
  // Every session ends, this one too: back to sign-in.
  await dee.page.getByRole('button', { name: 'Sign in', exact: true }).waitFor({ timeout: 5000 });

  const admin = await openConsole(journey.browser, journey.server.url);
  await signInWithCode(admin.page, 'acme', account.admin.email, account.admin.secret, codes);
  const alerts = admin.page.getByTestId('security-alerts');
  await alerts.waitFor();
  assert.match(await alerts.innerText(), /Dee Agent/);
  await recordScreen(admin.page, 'admin-security-alert');
  await dee.context.close();
  await admin.context.close();
});

test('a forced enrolment from a new device asks for an enrolment code; with the admin’s code the methods are offered', async () => {
  await account.admin.api.call('PUT', '/account/security-settings', { requireTwoFactor: true, acknowledged: true });
  await account.createUser('Cara Agent', 'cara@acme.test');
  const cara = await openConsole(journey.browser, journey.server.url);
  await signIn(cara.page, 'acme', 'cara@acme.test');
  const form = cara.page.getByTestId('enrollment-code-form');
  await form.waitFor();
  assert.match(await form.innerText(), /Ask your administrator for an enrolment code/);
  assert.equal(await cara.page.getByRole('button', { name: /Authenticator app/ }).count(), 0);
  await recordScreen(cara.page, 'enrollment-code-required');

  const { users } = await account.admin.api.call<{ users: { id: string; email: string }[] }>('GET', '/account/users?q=cara');
  const caraId = users.find((u) => u.email === 'cara@acme.test')!.id;
  const wrong = form.getByLabel('Enrolment code');
  await wrong.fill('AAAAA-AAAAA');
  await form.getByRole('button', { name: 'Continue' }).click();
  await form.getByText('That enrolment code is not right').waitFor();
  const issued = await account.admin.api.call<{ code: string }>('POST', `/account/users/${caraId}/enrollment-code`, {});
  await wrong.fill(issued.code.toLowerCase());
  await form.getByRole('button', { name: 'Continue' }).click();
  await cara.page.getByRole('button', { name: /Authenticator app/ }).waitFor();
  await recordScreen(cara.page, 'enrollment-after-code');
  await cara.context.close();
});
