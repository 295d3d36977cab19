// The security email's sentence for each change reads right in every language: the right
// article (ICU select on the method, not "A" glued to any noun), and a method under its default
// name, in any of our languages, not named twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeActivity, mailTranslator } from '../mail/templates.js';

const say = (language: 'en' | 'pt-PT' | 'pt-BR' | 'es', kind: string, details: Record<string, unknown>) => describeActivity(mailTranslator({ language }), { kind, details });

test('"An authenticator app was added", not "A authenticator app “Authenticator app” was added"', () => {
  assert.equal(say('en', 'method_added', { type: 'totp', name: 'Authenticator app' }), 'An authenticator app was added as a second factor of your account');
  assert.equal(say('en', 'method_added', { type: 'security_key', name: 'Security key' }), 'A security key was added as a second factor of your account');
  assert.equal(say('en', 'method_added', { type: 'security_key', name: 'Blue YubiKey' }), 'A security key “Blue YubiKey” was added as a second factor of your account');
  assert.equal(say('en', 'method_removed', { type: 'totp', name: 'authenticator app ' }), 'The authenticator app was removed from your account');
});

test('the article and the agreement follow the method in Portuguese and Spanish; a default name in another language is still the default', () => {
  assert.equal(say('pt-PT', 'method_added', { type: 'security_key', name: 'Security key' }), 'Foi adicionada uma chave de segurança como segundo fator da sua conta');
  assert.equal(say('pt-BR', 'method_added', { type: 'totp', name: 'Aplicação de autenticação' }), 'Um aplicativo autenticador foi adicionado como segundo fator da sua conta');
  // Brazilian Portuguese: the participle agrees with the method ("chave" feminine, "aplicativo" masculine).
  assert.equal(say('pt-BR', 'method_removed', { type: 'security_key', name: 'Chave azul' }), 'A chave de segurança “Chave azul” foi removida da sua conta');
  assert.equal(say('pt-BR', 'method_removed', { type: 'totp', name: 'Aplicativo autenticador' }), 'O aplicativo autenticador foi removido da sua conta');
  assert.equal(say('pt-BR', 'method_added', { type: 'security_key', name: 'Llave de seguridad' }), 'Uma chave de segurança foi adicionada como segundo fator da sua conta');
  assert.equal(say('es', 'method_removed', { type: 'security_key', name: 'Llave azul' }), 'La llave de seguridad “Llave azul” se eliminó de su cuenta');
  assert.equal(say('es', 'password_changed', { byResetLink: true }), 'Su contraseña se cambió con un enlace de restablecimiento');
  assert.equal(say('pt-PT', 'no_such_kind', {}), 'A segurança da sua conta foi alterada');
});
