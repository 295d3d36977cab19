// Every main screen in every language and both themes (issue 19): the console walked in en,
// pt-PT, pt-BR and es (the browser's language, Chromium's `locale`), each screen state checked
// in the light and the dark theme with axe (no serious or critical violation), with <html lang>
// following the language, no text cut off or pushed sideways by the longer Portuguese and
// Spanish words (at 1280 and at 400 px), and no English sentence left on a page in another language. A table of
// screen x language x theme -> violations by impact is printed at the end (and written to
// test-results/languages-axe.md); the pt-PT and es screens are saved for the README.
//
// One server and one browser; one account per language, so each walk sets the account's rules
// (a deployment day, then 2FA required now) without touching another's; a state per page
// navigation or click, the sign-ins only where a screen belongs to another person.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import type { BrowserContext, Page } from 'playwright-core';
import { AuthenticatorCodes } from './support/authenticator-codes.js';
import { screenshotDir } from './support/console-browser.js';
import { IdentityApi, password, seedAccount } from './support/identity-api.js';
import { consoleJourney } from './support/journey.js';

type Locale = 'en' | 'pt-PT' | 'pt-BR' | 'es';
type Catalogue = Record<string, string>;
type Theme = 'light' | 'dark';

/** Each language, the browser language that picks it, and the people of its account. */
const languages: { locale: Locale; browser: string; slug: string; account: string; agent: string; locked: string; newcomer: string; invitee: string }[] = [
  { locale: 'en', browser: 'en-US', slug: 'words-en', account: 'Acme Support', agent: 'Rita Agent', locked: 'Luis Locked', newcomer: 'Nuno Newcomer', invitee: 'Ines Invited' },
  { locale: 'pt-PT', browser: 'pt-PT', slug: 'words-pt-pt', account: 'Apoio ao Cliente Lisboa', agent: 'Rita Agente', locked: 'Luís Bloqueado', newcomer: 'Nuno Novato', invitee: 'Inês Convidada' },
  { locale: 'pt-BR', browser: 'pt-BR', slug: 'words-pt-br', account: 'Atendimento São Paulo', agent: 'Rita Atendente', locked: 'Luís Bloqueado', newcomer: 'Nuno Novato', invitee: 'Inês Convidada' },
  { locale: 'es', browser: 'es-ES', slug: 'words-es', account: 'Atención al Cliente Madrid', agent: 'Rita Agente', locked: 'Luis Bloqueado', newcomer: 'Nuño Novato', invitee: 'Inés Invitada' },
];

/** The screens saved for the README (light), and the few also saved in the dark theme. */
const pictured = new Set(['sign-in', 'second-step', 'locked', 'accept-invitation', 'my-security', 'deployment-day-banner', 'enrolment-choose', 'enrolment-app', 'admin-security-settings-impact', 'admin-security-settings-deployment-day', 'admin-users-row-menu', 'admin-audit-log']);
const picturedDark = new Set(['sign-in', 'my-security', 'admin-users-row-menu']);
const picturedLocales = new Set<Locale>(['pt-PT', 'es']);
/** The window: a laptop's; each state is also looked at 400 px wide for cut-off text. */
const viewport = { width: 1280, height: 800 };

const codes = new AuthenticatorCodes();
const journey = consoleJourney({ openSignup: true });

const catalogueFiles: Record<Locale, [string, string]> = {
  en: ['en.ts', 'en'],
  'pt-PT': ['pt-PT.ts', 'ptPT'],
  'pt-BR': ['pt-BR.ts', 'ptBR'],
  es: ['es.ts', 'es'],
};
/** The renderer's own catalogues: the test finds every button and field by its words in each language. */
async function loadCatalogue(locale: Locale): Promise<Catalogue> {
  const [file, name] = catalogueFiles[locale];
  const module = (await import(new URL(`../renderer/src/i18n/messages/${file}`, import.meta.url).href)) as Record<string, Catalogue>;
  const catalogue = module[name];
  assert.ok(catalogue, `${file} exports ${name}`);
  return catalogue;
}

// --- what each state found ---------------------------------------------------------------

interface Finding {
  state: string;
  locale: Locale;
  theme: Theme;
  impacts: Record<'critical' | 'serious' | 'moderate' | 'minor', number>;
  /** Serious or critical violations, and the other faults this walk fails on, in words. */
  faults: string[];
  /** The moderate and minor rules that failed, for the table's notes. */
  lesser: string[];
}
const findings: Finding[] = [];
const states: string[] = [];

/** Elements whose text is cut off (overflow hidden with more inside) or a page wider than the window. */
async function cutOffText(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: any }).document;
    const view = globalThis as unknown as { getComputedStyle(el: unknown): any };
    const out: string[] = [];
    const root = doc.documentElement;
    if (root.scrollWidth > root.clientWidth) out.push(`the page is ${root.scrollWidth} px wide in a ${root.clientWidth} px window`);
    for (const el of doc.body.querySelectorAll('*')) {
      if (!el.textContent?.trim() || el.clientWidth <= 2 || el.clientHeight <= 2) continue;
      const style = view.getComputedStyle(el);
      if (style.visibility === 'hidden' || style.display === 'none') continue;
      const clipsX = ['hidden', 'clip'].includes(style.overflowX) || style.textOverflow === 'ellipsis';
      const clipsY = ['hidden', 'clip'].includes(style.overflowY);
      // A text input scrolls its own text; the visually-hidden helper is 1 px on purpose.
      if (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') continue;
      if ((clipsX && el.scrollWidth > el.clientWidth + 1) || (clipsY && el.scrollHeight > el.clientHeight + 1)) {
        out.push(`cut off: <${el.tagName.toLowerCase()}${el.className ? ` class="${el.className}"` : ''}> “${el.textContent.trim().slice(0, 60)}”`);
      }
    }
    return out;
  });
}

/** English sentences of the catalogue shown on a page in another language (not translated there). */
async function englishLeftovers(page: Page, en: Catalogue, own: Catalogue): Promise<string[]> {
  const text: string = await page.evaluate(() => (globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText);
  const out: string[] = [];
  for (const [id, english] of Object.entries(en)) {
    // Two words or more without placeholders, and only those the language words differently.
    if (/[{<]/.test(english) || english.split(/\s+/).length < 2 || own[id] === english) continue;
    if (text.includes(english)) out.push(`English left: “${english}” (${id})`);
  }
  return out;
}

async function settle(page: Page): Promise<void> {
  // Two frames: the theme's colours (and the switch's 0.15 s transition) have landed.
  await page.evaluate(() => {
    const frame = (globalThis as unknown as { requestAnimationFrame(callback: () => void): void }).requestAnimationFrame;
    return new Promise<void>((resolve) => frame(() => frame(() => setTimeout(resolve, 200))));
  });
}

interface Walk {
  locale: Locale;
  m: (id: string, values?: Record<string, string | number>) => string;
  en: Catalogue;
  own: Catalogue;
}

/** Checks one screen state in both themes; saves its picture for the README when it is one. */
async function check(walk: Walk, page: Page, state: string): Promise<void> {
  if (!states.includes(state)) states.push(state);
  const lang = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { lang: string } } }).document.documentElement.lang);
  const common: string[] = [];
  if (lang !== walk.locale) common.push(`<html lang="${lang}">, not ${walk.locale}`);
  common.push(...(await cutOffText(page)));
  // The longer Portuguese and Spanish words on a phone-narrow window (400 px) too.
  await page.setViewportSize({ width: 400, height: 800 });
  await settle(page);
  common.push(...(await cutOffText(page)).map((fault) => `at 400 px: ${fault}`));
  await page.setViewportSize(viewport);
  if (walk.locale !== 'en') common.push(...(await englishLeftovers(page, walk.en, walk.own)));
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme });
    await settle(page);
    // Every rule in both themes (the dark one changes only colours, but the table says what ran).
    // axe.run in the page itself: the console has no frames, and the default (run per frame,
    // then finish in a new blank page with axe injected again) doubled the walk's time.
    const results = await new AxeBuilder({ page }).setLegacyMode(true).options({ resultTypes: ['violations'] }).analyze();
    const impacts = { critical: 0, serious: 0, moderate: 0, minor: 0 };
    const faults = [...common];
    const lesser: string[] = [];
    for (const v of results.violations) {
      if (v.impact) impacts[v.impact] += 1;
      if (v.impact === 'moderate' || v.impact === 'minor') lesser.push(`${v.id} (${v.impact})`);
      if (v.impact === 'serious' || v.impact === 'critical') {
        faults.push(`axe ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => `${n.target.join(' ')}${n.failureSummary ? ` [${n.failureSummary.replace(/\s+/g, ' ').slice(0, 160)}]` : ''}`).join('; ')}`);
      }
    }
    findings.push({ state, locale: walk.locale, theme, impacts, faults, lesser });
    if (picturedLocales.has(walk.locale) && (theme === 'light' ? pictured.has(state) : picturedDark.has(state))) {
      const dir = `${screenshotDir}/${walk.locale}`;
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: `${dir}/${theme === 'dark' ? 'dark-' : ''}${state}.png` });
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

// --- the walk ------------------------------------------------------------------------------

async function open(browserLanguage: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await journey.browser.newContext({ viewport, baseURL: journey.server.url, locale: browserLanguage, colorScheme: 'light' });
  const page = await context.newPage();
  await page.goto('/');
  return { context, page };
}

async function signIn(walk: Walk, page: Page, slug: string, email: string): Promise<void> {
  await page.getByLabel(walk.m('signIn.account'), { exact: true }).fill(slug);
  await page.getByLabel(walk.m('signIn.email'), { exact: true }).fill(email);
  await page.getByLabel(walk.m('signIn.password'), { exact: true }).fill(password);
  await page.getByRole('button', { name: walk.m('signIn.submit'), exact: true }).click();
}

async function typeCode(walk: Walk, page: Page, code: string): Promise<void> {
  const answered = page.waitForResponse((r) => r.url().endsWith('/sessions/current/second-factor'));
  await page.getByLabel(walk.m('secondFactor.totp.label')).fill(code);
  await answered;
}

for (const language of languages) {
  test(`every screen in ${language.locale}, light and dark: axe finds nothing serious, <html lang> follows, no text cut off, no English left`, async () => {
    const { locale, slug } = language;
    const own = await loadCatalogue(locale);
    const en = await loadCatalogue('en');
    const m = (id: string, values?: Record<string, string | number>) => {
      const message = own[id];
      assert.ok(message, `no message ${id}`);
      // Plain {name} placeholders only: the test needs no plurals.
      return message.replace(/\{(\w+)\}/g, (whole, key: string) => (values && key in values ? String(values[key]) : whole));
    };
    const walk: Walk = { locale, m, en, own };
    const url = journey.server.url;

    // The account and its people, over the API.
    const account = await seedAccount(url, codes, slug, language.account);
    const admin = account.admin.api;
    const email = (who: string) => `${who.split(' ')[0]!.normalize('NFD').replace(/[^a-zA-Z]/g, '').toLowerCase()}@${slug}.test`;
    const withApp = async (name: string) => {
      await account.createUser(name, email(name));
      const api = await IdentityApi.signIn(url, slug, email(name), password);
      const secret = await api.enrollAuthenticatorApp(codes);
      await api.call('DELETE', '/sessions/current');
      return secret;
    };
    const agentSecret = await withApp(language.agent);
    const lockedSecret = await withApp(language.locked);
    await account.createUser(language.newcomer, email(language.newcomer));
    const invited = await admin.call<{ invitation: { link: string } }>('POST', '/account/users', { name: language.invitee, email: email(language.invitee), role: 'agent' });
    const listed = await admin.call<{ users: { id: string; email: string }[] }>('GET', `/account/users?q=${encodeURIComponent(email(language.agent))}`);
    const agentId = listed.users.find((u) => u.email === email(language.agent))?.id;
    assert.ok(agentId, 'the agent is listed');
    const reset = await admin.call<{ link: string }>('POST', `/account/users/${agentId}/password-reset`);
    const local = (link: string) => link.slice(link.indexOf('/#/'));

    // Before signing in: sign-in, a forgotten password, an invitation's link, a reset link; then
    // the second step and its lock-out.
    const visitor = await open(language.browser);
    const v = visitor.page;
    await v.getByRole('heading', { name: m('signIn.title'), exact: true }).waitFor();
    await check(walk, v, 'sign-in');
    await v.getByRole('button', { name: m('signIn.forgotPassword') }).click();
    await v.getByRole('heading', { name: m('reset.title') }).waitFor();
    await check(walk, v, 'forgot-password');
    await v.getByLabel(m('reset.account'), { exact: true }).fill(slug);
    await v.getByLabel(m('reset.email'), { exact: true }).fill(`nobody@${slug}.test`);
    await v.getByRole('button', { name: m('reset.emailMe') }).click();
    await v.getByText(m('reset.checkEmail')).first().waitFor();
    await check(walk, v, 'forgot-password-sent');
    await v.goto(local(invited.invitation.link));
    await v.getByTestId('invitation-for').waitFor();
    await check(walk, v, 'accept-invitation');
    await v.goto(local(reset.link));
    await v.getByRole('heading', { name: m('reset.chooseNew') }).waitFor();
    await check(walk, v, 'reset-password');
    await v.goto('/');
    await signIn(walk, v, slug, email(language.locked));
    await v.getByRole('heading', { name: m('secondStep.title') }).waitFor();
    await check(walk, v, 'second-step');
    for (let attempt = 1; attempt <= 5; attempt++) await typeCode(walk, v, codes.wrong(lockedSecret));
    await typeCode(walk, v, codes.wrong(lockedSecret));
    await v.getByTestId('locked-out').waitFor();
    await check(walk, v, 'locked');
    await visitor.context.close();

    // The agent: My security, with the language card and the sessions.
    const agent = await open(language.browser);
    await signIn(walk, agent.page, slug, email(language.agent));
    await typeCode(walk, agent.page, await codes.next(agentSecret));
    await agent.page.getByTestId('app-home').waitFor();
    await agent.page.getByTestId('language-select').waitFor();
    await agent.page.getByTestId('my-sessions').getByText(m('sessions.thisDevice')).first().waitFor();
    await check(walk, agent.page, 'my-security');
    await agent.context.close();

    // The admin: Security Settings (the impact warning, then a deployment day), Users with a
    // row's menu open, the audit log.
    const desk = await open(language.browser);
    const a = desk.page;
    await signIn(walk, a, slug, account.admin.email);
    await typeCode(walk, a, await codes.next(account.admin.secret));
    await a.getByRole('heading', { name: m('settings.title') }).waitFor();
    await check(walk, a, 'admin-security-settings');
    await a.getByRole('switch', { name: m('settings.require') }).click();
    await a.getByRole('list', { name: m('impact.listLabel') }).getByText(language.newcomer).waitFor();
    await a.getByTestId('enforcement-impact').filter({ hasText: /\d/ }).waitFor();
    await check(walk, a, 'admin-security-settings-impact');
    await a.getByRole('button', { name: m('settings.discard') }).click();
    const startsAt = new Date(Date.now() + 3 * 86_400_000);
    startsAt.setSeconds(0, 0);
    await admin.call('PUT', '/account/security-settings', { requireTwoFactor: true, acknowledged: true, startsAt: startsAt.toISOString() });
    await a.reload();
    await a.getByTestId('deployment-day-scheduled').waitFor();
    await a.getByTestId('still-missing').getByText(language.newcomer).waitFor();
    await check(walk, a, 'admin-security-settings-deployment-day');
    await a.goto('/#/admin/users');
    await a.getByRole('heading', { name: m('users.title') }).waitFor();
    await a.getByText(email(language.agent)).first().waitFor();
    await check(walk, a, 'admin-users');
    await a.getByLabel(m('users.search'), { exact: true }).fill(language.newcomer.split(' ')[0]!);
    await a.getByText(email(language.agent)).waitFor({ state: 'detached' });
    await a.getByRole('button', { name: m('userRow.actionsFor', { name: language.newcomer }) }).click();
    const menu = a.getByRole('menu', { name: m('userRow.actionsFor', { name: language.newcomer }) });
    await menu.waitFor();
    await menu.getByRole('menuitem').first().hover();
    await check(walk, a, 'admin-users-row-menu');
    await a.keyboard.press('Escape');
    await a.goto('/#/admin/audit');
    await a.getByRole('heading', { name: m('audit.title') }).waitFor();
    await a.getByTestId('audit-table').waitFor();
    await check(walk, a, 'admin-audit-log');
    await a.goto('/#/admin/policies');
    await a.getByRole('heading', { name: m('sessionPolicy.title') }).waitFor();
    await a.getByLabel(m('networks.label')).waitFor();
    await check(walk, a, 'admin-sessions-and-networks');
    await a.goto('/#/admin/adoption');
    await a.getByRole('heading', { name: m('adoption.title') }).waitFor();
    await a.locator('.recharts-surface').first().waitFor();
    await check(walk, a, 'admin-adoption');
    await a.goto('/#/admin/sso');
    await a.getByRole('heading', { name: m('idp.providersTitle') }).waitFor();
    await a.getByText(m('idp.noProviders')).waitFor();
    await check(walk, a, 'admin-single-sign-on');
    await desk.context.close();

    // The newcomer: the deployment-day banner; then 2FA required now signs him out, and the
    // next sign-in is the enrolment (an app, or a key).
    const newcomer = await open(language.browser);
    const n = newcomer.page;
    await signIn(walk, n, slug, email(language.newcomer));
    await n.getByTestId('deployment-day-banner').waitFor();
    await check(walk, n, 'deployment-day-banner');
    await admin.call('PUT', '/account/security-settings', { requireTwoFactor: true, acknowledged: true });
    await n.getByTestId('signed-out-reason').waitFor();
    await check(walk, n, 'sign-in-signed-out');
    await signIn(walk, n, slug, email(language.newcomer));
    await n.getByRole('heading', { name: m('enrol.title') }).waitFor();
    await check(walk, n, 'enrolment-choose');
    await n.getByRole('button', { name: new RegExp(m('enrol.app.title')) }).click();
    await n.getByTestId('totp-secret').waitFor();
    await n.getByRole('img').first().waitFor();
    await check(walk, n, 'enrolment-app');
    await n.getByRole('button', { name: m('common.cancel') }).click();
    await n.getByRole('button', { name: new RegExp(m('enrol.key.title')) }).click();
    await n.getByRole('heading', { name: m('keySetup.title') }).waitFor();
    await check(walk, n, 'enrolment-key');
    await newcomer.context.close();

    const mine = findings.filter((f) => f.locale === locale && f.faults.length);
    assert.deepEqual(mine.map((f) => `${f.state} (${f.theme}): ${f.faults.join(' | ')}`), [], `faults in ${locale}`);
  });
}

/** screen x language x theme -> violations by impact (critical/serious/moderate/minor). */
after(() => {
  const columns = languages.flatMap(({ locale }) => (['light', 'dark'] as const).map((theme) => ({ locale, theme })));
  const cell = (f: Finding | undefined) => (f ? `${f.impacts.critical}/${f.impacts.serious}/${f.impacts.moderate}/${f.impacts.minor}${f.faults.length ? ' ✗' : ''}` : '–');
  const header = `| screen | ${columns.map((c) => `${c.locale} ${c.theme}`).join(' | ')} |`;
  const rows = states.map((state) => `| ${state} | ${columns.map((c) => cell(findings.find((f) => f.state === state && f.locale === c.locale && f.theme === c.theme))).join(' | ')} |`);
  const table = [
    'axe violations by impact: critical/serious/moderate/minor (✗: a fault this walk fails on — axe serious or critical, lang, cut-off text, English left)',
    '',
    header,
    `|---|${columns.map(() => '---').join('|')}|`,
    ...rows,
    '',
    ...states.flatMap((state) => {
      const lesser = [...new Set(findings.filter((f) => f.state === state).flatMap((f) => f.lesser))];
      return lesser.length ? [`${state}: ${lesser.join(', ')}`] : [];
    }),
  ].join('\n');
  console.log(`\n${table}\n`);
  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/languages-axe.md', `${table}\n`);
});
