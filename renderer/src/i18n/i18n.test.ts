/// <reference types="node" />
// The catalogues and the screens: every language says everything English says, in messages
// that parse; and no screen that has been converted writes a user-visible word outside them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import ts from 'typescript';
import { catalogues, currentLocale, followUserLanguage, getIntl, setLocale, t } from './index';
import { en } from './messages/en';
import { formattingLocale, locales, matchLocale, pickLocale } from './locales';
import { describeError } from '../api/error-messages';
import { describeSessionRevoked } from '../session-revoked-reasons';
import { ApiError } from '../../../contract/api-error';
import { countdownText } from '../rollout/when';
import { describeMethod } from '../method-names';

const src = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Screens not yet converted to the catalogues: still English-only, listed here so the count is
 * honest. Each must still hold a bare string (the test below fails once one is converted and
 * still listed): converting a file means taking it off this list. Every .tsx file of
 * renderer/src is converted now (51 of 51): a new screen is checked from its first line.
 */
const notYetConverted: string[] = [];

/** Attributes a person reads or hears, on elements and on our components that pass them on. */
const visibleAttributes = new Set(['aria-label', 'aria-description', 'aria-placeholder', 'aria-roledescription', 'aria-valuetext', 'placeholder', 'title', 'alt', 'label', 'hint', 'doneLabel', 'intro', 'confirmLabel']);

const hasWord = (text: string) => /\p{L}/u.test(text);

/** String literals that end up on screen from a JSX expression: the branches of ?:, the right of &&, ||, ??. */
function visibleStrings(node: ts.Expression): ts.Node[] {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return hasWord(node.text) ? [node] : [];
  if (ts.isTemplateExpression(node)) return hasWord(node.head.text + node.templateSpans.map((s) => s.literal.text).join('')) ? [node] : [];
  if (ts.isParenthesizedExpression(node)) return visibleStrings(node.expression);
  if (ts.isConditionalExpression(node)) return [...visibleStrings(node.whenTrue), ...visibleStrings(node.whenFalse)];
  if (ts.isBinaryExpression(node) && [ts.SyntaxKind.AmpersandAmpersandToken, ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken].includes(node.operatorToken.kind)) {
    return visibleStrings(node.right);
  }
  return [];
}

/** "file:line: text" for every bare user-visible string in a .tsx file. */
export function bareStrings(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const report = (node: ts.Node, text: string) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    found.push(`${relative(src, file)}:${line + 1}: ${text.trim().replace(/\s+/g, ' ')}`);
  };
  const visit = (node: ts.Node) => {
    if (ts.isJsxText(node) && hasWord(node.text)) report(node, node.text);
    if (ts.isJsxExpression(node) && node.expression && (ts.isJsxElement(node.parent) || ts.isJsxFragment(node.parent))) {
      for (const literal of visibleStrings(node.expression)) report(literal, literal.getText(source));
    }
    if (ts.isJsxAttribute(node) && visibleAttributes.has(node.name.getText(source)) && node.initializer) {
      const value = node.initializer;
      if (ts.isStringLiteral(value) && hasWord(value.text)) report(value, `${node.name.getText(source)}="${value.text}"`);
      if (ts.isJsxExpression(value) && value.expression) for (const literal of visibleStrings(value.expression)) report(literal, `${node.name.getText(source)}=${literal.getText(source)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function tsxFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsxFiles(path);
    return name.endsWith('.tsx') ? [path] : [];
  });
}

const allScreens = tsxFiles(src).map((file) => relative(src, file).split(sep).join('/'));

test('every catalogue has exactly the keys of English', () => {
  const keys = Object.keys(en).sort();
  for (const locale of locales) assert.deepEqual(Object.keys(catalogues[locale]).sort(), keys, locale);
});

function argumentsOf(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const element of elements) {
    if (element.type === TYPE.argument || element.type === TYPE.number || element.type === TYPE.date || element.type === TYPE.time) into.add(element.value);
    if (element.type === TYPE.plural || element.type === TYPE.select) {
      into.add(element.value);
      for (const option of Object.values(element.options)) argumentsOf(option.value, into);
    }
    if (element.type === TYPE.tag) {
      into.add(`<${element.value}>`);
      argumentsOf(element.children, into);
    }
  }
  return into;
}

test('every message parses as ICU and takes the same values as the English one', () => {
  for (const locale of locales) {
    for (const [id, message] of Object.entries(catalogues[locale])) {
      let parsed: MessageFormatElement[];
      try {
        parsed = parse(message);
      } catch (error) {
        assert.fail(`${locale} ${id}: ${(error as Error).message}`);
      }
      assert.deepEqual([...argumentsOf(parsed)].sort(), [...argumentsOf(parse(en[id as keyof typeof en]))].sort(), `${locale} ${id}`);
      assert.ok(message.trim().length > 0, `${locale} ${id} is empty`);
    }
  }
});

test('the translations are translations: Portuguese of Portugal and of Brazil differ where they should', () => {
  assert.notEqual(catalogues['pt-PT']['signIn.password'], catalogues.en['signIn.password']);
  assert.match(catalogues['pt-PT']['signIn.password'], /palavra-passe/i);
  assert.match(catalogues['pt-BR']['signIn.password'], /senha/i);
  assert.match(catalogues['pt-PT']['error.email_taken'], /utilizador/);
  assert.match(catalogues['pt-BR']['error.email_taken'], /usuário/);
  assert.match(catalogues.es['signIn.password'], /contraseña/i);
  const same = (locale: 'pt-PT' | 'pt-BR' | 'es') => Object.keys(en).filter((id) => hasWord(en[id as keyof typeof en].replace(/\{[^{}]*\}/g, '')) && catalogues[locale][id as keyof typeof en] === en[id as keyof typeof en]);
  // The brand and a protocol's name read the same in every language (and "Email" in Portugal); nothing else may.
  const everywhere = ['app.brand', 'enrolCode.placeholder', 'idp.typeOidc', 'idp.typeSaml'];
  // Portugal writes "Email" as English does.
  const emails = Object.keys(en).filter((id) => en[id as keyof typeof en] === 'Email');
  const alike = { 'pt-PT': [...everywhere, ...emails], 'pt-BR': everywhere, es: everywhere };
  for (const locale of ['pt-PT', 'pt-BR', 'es'] as const) assert.deepEqual(same(locale).sort(), alike[locale].sort(), locale);
});

test('the language follows the system: pt by region, es-* is Spanish, anything else English', () => {
  assert.equal(pickLocale(['pt-BR', 'en']), 'pt-BR');
  assert.equal(pickLocale(['pt-PT']), 'pt-PT');
  assert.equal(pickLocale(['pt']), 'pt-PT');
  assert.equal(pickLocale(['pt-AO']), 'pt-PT');
  assert.equal(pickLocale(['es-MX']), 'es');
  assert.equal(pickLocale(['es-419']), 'es');
  assert.equal(pickLocale(['fr-FR', 'es-ES', 'en']), 'es', 'the first language we have');
  assert.equal(pickLocale(['de-DE', 'fr']), 'en');
  assert.equal(pickLocale([]), 'en');
  assert.equal(matchLocale('not a tag!'), null);
  assert.equal(formattingLocale('es'), 'es', 'no system languages on Node: the chosen one');
});

test('error codes, session endings, counts and dates speak the chosen language', () => {
  try {
    setLocale('pt-PT');
    assert.equal(describeError(ApiError.from({ code: 'invalid_credentials' })), 'A conta, o email ou a palavra-passe não estão corretos.');
    assert.match(describeError(ApiError.from({ code: 'too_many_attempts', retryAfterSeconds: 900, locked: true })), /bloqueado durante 15 minutos/);
    assert.equal(describeError(ApiError.from({ code: 'too_many_attempts', retryAfterSeconds: 1 })), 'Demasiadas tentativas. Tente novamente daqui a 1 segundo.');
    assert.match(describeSessionRevoked('not_me'), /Não fui eu/);
    assert.equal(describeMethod({ type: 'security_key', name: 'Security key' }), 'Chave de segurança', 'a default name in any language is the default');
    assert.equal(describeMethod({ type: 'totp', name: 'Telefone' }), 'Aplicação de autenticação “Telefone”');
    setLocale('pt-BR');
    assert.match(describeError(ApiError.from({ code: 'email_taken' })), /usuário/);
    assert.equal(countdownText(new Date(Date.now() + 86_400_000 + 3_600_000 + 1).toISOString()), 'em 1 dia 1 hora');
    setLocale('es');
    assert.equal(describeSessionRevoked('expired'), 'Su sesión caducó. Vuelva a iniciar sesión.');
    assert.equal(t('duration.minutes', { count: 2 }), '2 minutos');
    assert.match(getIntl().formatDate(new Date('2026-03-02T09:00:00Z'), { month: 'long', timeZone: 'UTC' }), /marzo/);
    assert.equal(describeError(ApiError.from({ code: 'no_such_code', message: 'raw' })), 'raw', 'an unknown code keeps the server’s words');
  } finally {
    setLocale('en');
  }
  assert.equal(describeError(ApiError.from({ code: 'invalid_credentials' })), 'The account, email or password is not right.');
});

test('no bare user-visible string in JSX outside the not-yet-converted screens', () => {
  for (const listed of notYetConverted) assert.ok(allScreens.includes(listed), `${listed} is listed but does not exist`);
  const bare = allScreens.filter((file) => !notYetConverted.includes(file)).flatMap((file) => bareStrings(join(src, file)));
  assert.deepEqual(bare, [], 'write these in renderer/src/i18n/messages');
  // The list only shrinks: a converted file still listed fails here.
  const clean = notYetConverted.filter((file) => bareStrings(join(src, file)).length === 0);
  assert.deepEqual(clean, [], 'converted: take these off notYetConverted');
  console.log(`i18n: ${allScreens.length - notYetConverted.length} of ${allScreens.length} .tsx files converted; ${notYetConverted.length} not yet`);
});

test('the bare-string check finds text, visible attributes and shown literals, and not ids or comparisons', () => {
  const probe = join(tmpdir(), `bare-strings-probe-${process.pid}.tsx`);
  const body = `export const X = ({ busy, way }: { busy: boolean; way: string }) => (
  <div aria-label="Menu" data-testid="menu" className="a b">
    Hello
    {busy ? 'Saving…' : null}
    {way === 'totp' ? <b title={\`Tip \${way}\`} /> : null}
    <img alt="" />
    {' · '}
  </div>
);`;
  writeFileSync(probe, body);
  try {
    assert.deepEqual(
      bareStrings(probe).map((line) => line.replace(/^.*?:\d+: /, '')),
      ['aria-label="Menu"', 'Hello', "'Saving…'", 'title=`Tip ${way}`'],
    );
  } finally {
    rmSync(probe);
  }
});

test('at sign-in the user\'s own language (kept on the server) wins over the device\'s; none leaves the device\'s', () => {
  try {
    setLocale('en');
    followUserLanguage('es');
    assert.equal(currentLocale(), 'es');
    followUserLanguage(null);
    assert.equal(currentLocale(), 'es', 'null: the device decides, nothing changes');
    followUserLanguage('fr');
    assert.equal(currentLocale(), 'es', 'not one of ours: ignored');
    followUserLanguage('pt-BR');
    assert.equal(t('signIn.password'), catalogues['pt-BR']['signIn.password']);
  } finally {
    setLocale('en');
  }
});
