// The mail catalogues: every language says everything English says, in ICU messages that parse
// and take the same arguments; and a mail rendered in another language holds no English
// sentence (every word of a mail comes from its catalogue, none from code).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { LANGUAGES } from './languages.js';
import { en } from './messages/en.js';
import { mailCatalogues, renderTemplate, type TemplateData, type TemplateName } from './templates.js';

test('every mail catalogue has exactly the keys of English', () => {
  const keys = Object.keys(en).sort();
  for (const language of LANGUAGES) assert.deepEqual(Object.keys(mailCatalogues[language]).sort(), keys, language);
});

/** The arguments a message takes, and for each select the options it offers. */
function argumentsOf(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const element of elements) {
    if (element.type === TYPE.argument || element.type === TYPE.number) into.add(element.value);
    if (element.type === TYPE.date || element.type === TYPE.time) into.add(`${element.value}:${element.type === TYPE.date ? 'date' : 'time'}:${String(element.style)}`);
    if (element.type === TYPE.plural || element.type === TYPE.select) {
      into.add(`${element.value}:{${Object.keys(element.options).sort().join('|')}}`);
      for (const option of Object.values(element.options)) argumentsOf(option.value, into);
    }
  }
  return into;
}

test('every mail message parses as ICU and takes the same arguments (and select options) as the English one', () => {
  for (const language of LANGUAGES) {
    for (const [id, message] of Object.entries(mailCatalogues[language])) {
      let parsed: MessageFormatElement[];
      try {
        parsed = parse(message, { ignoreTag: true });
      } catch (error) {
        assert.fail(`${language} ${id}: ${(error as Error).message}`);
      }
      assert.deepEqual([...argumentsOf(parsed)].sort(), [...argumentsOf(parse(en[id as keyof typeof en], { ignoreTag: true }))].sort(), `${language} ${id}`);
      assert.ok(message.trim().length > 0, `${language} ${id} is empty`);
    }
  }
});

test('the translations are translations: only the signature reads the same as English', () => {
  for (const language of ['pt-PT', 'pt-BR', 'es'] as const) {
    const same = Object.keys(en).filter((id) => mailCatalogues[language][id as keyof typeof en] === en[id as keyof typeof en]);
    assert.deepEqual(same.sort(), ['mail.signature', 'security.happened'], language);
  }
  assert.match(mailCatalogues['pt-PT']['passwordReset.button'], /palavra-passe/);
  assert.match(mailCatalogues['pt-BR']['passwordReset.button'], /senha/);
});

const when = new Date('2026-03-02T09:05:00Z');
const samples: { [K in TemplateName]: TemplateData[K][] } = {
  invitation: [{ accountName: 'Acme', userName: 'Zé', invitedBy: 'Ana', link: 'https://desk.example/#/invitation?token=x', expiresAt: when }],
  password_reset: [true, false].map((sentByAdmin) => ({ accountName: 'Acme', userName: 'Zé', link: 'https://desk.example/#/reset-password?token=x', expiresAt: when, sentByAdmin })),
  security_notification: [
    ...['method_added', 'method_removed'].flatMap((kind) => ['totp', 'security_key'].map((type) => ({ kind, details: { type, name: 'Blue' } }))),
    ...['recovery_codes_regenerated', 'two_factor_reset', 'new_device_sign_in', 'enrollment_code_redeemed', 'something_new'].map((kind) => ({ kind, details: {} })),
    { kind: 'password_changed', details: { byResetLink: true } },
    { kind: 'password_changed', details: {} },
  ].flatMap((activity) => [undefined, 'https://desk.example/#/security?activity=1'].map((notMeLink) => ({ accountName: 'Acme', userName: 'Zé', activity, when, notMeLink }))),
  not_me_alert: ['192.0.2.7', null].map((address) => ({
    accountName: 'Acme',
    adminName: 'Ana',
    userName: 'Zé',
    userEmail: 'ze@acme.test',
    activity: { kind: 'new_device_sign_in', details: {} },
    happenedAt: when,
    address,
    reportedAt: when,
    consoleLink: 'https://desk.example/#/admin/security',
  })),
};

/** English words of the catalogue's sentences, for spotting one that leaked into another language. */
const englishFragments = Object.values(en)
  .flatMap((message) => message.split(/\{[^{}]*\}|[{}]/))
  .map((part) => part.trim())
  .filter((part) => /[a-z]{3,} [a-z]{3,}/i.test(part));

test('a mail in another language holds no English sentence, in its subject, text or HTML; its dates are in that language', () => {
  for (const language of ['pt-PT', 'pt-BR', 'es'] as const) {
    for (const name of Object.keys(samples) as TemplateName[]) {
      for (const data of samples[name]) {
        const mail = renderTemplate(name, data as never, { language });
        for (const part of [mail.subject, mail.text, mail.html]) {
          for (const fragment of englishFragments) assert.ok(!part.includes(fragment), `${language} ${name}: "${fragment}" in ${part}`);
        }
        assert.doesNotMatch(mail.text, /March|UTC\+|GMT/, `${language} ${name}`);
      }
    }
  }
  assert.match(renderTemplate('invitation', samples.invitation[0]!, { language: 'es' }).text, /2 de marzo de 2026 a las 9:05 UTC/);
  assert.match(renderTemplate('invitation', samples.invitation[0]!, { language: 'pt-BR' }).text, /2 de março de 2026.*09:05 UTC/);
  // A time zone, when one is known, is used and named.
  assert.match(renderTemplate('invitation', samples.invitation[0]!, { language: 'pt-PT', timeZone: 'Atlantic/Azores' }).text, /2 de março de 2026.*08:05 (?:GMT-1|AZOT)/);
});
