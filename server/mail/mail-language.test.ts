// Emails in the recipient's language (PRODUCT.md "Languages", issue 19), through a real SMTP
// server: the user's own language first; a user without one gets the language of the request
// that caused the mail (an anonymous forgot-password request's Accept-Language, the inviting
// admin's), else English. Subject, body and dates are all in it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, enrolTotp, linkToken, PASSWORD, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { linkIn, startSmtpInbox, type ReceivedMail, type SmtpInbox } from '../testing/smtp-inbox.js';

describe('mail in the recipient\'s language', () => {
  let server: TestServer;
  let inbox: SmtpInbox;
  let adminToken: string;
  const slug = 'idiomas';

  before(async () => {
    inbox = await startSmtpInbox();
    server = await startTestServer({ openSignup: true, smtpUrl: inbox.url });
    const acc = await createAccount(server, slug);
    const first = await signIn(server, slug, acc.user.email);
    adminToken = (await enrolTotp(server, first.token)).token ?? first.token;
  });
  after(async () => {
    await server.close();
    await inbox.close();
  });

  /** Invites `name` (with `language` if given), accepts the mailed link: an active user. */
  async function activeUser(name: string, language?: string) {
    const email = `${name.toLowerCase()}@${slug}.test`;
    const res = await server.call('POST', '/account/users', { token: adminToken, body: { name, email, role: 'agent', ...(language ? { language } : {}) }, headers: { 'accept-language': 'en' } });
    assert.equal(res.status, 201);
    const invitation = await inbox.waitFor(email);
    const accepted = await server.call('POST', '/invitations/accept', { body: { token: linkToken(linkIn(invitation, 'invitation')), password: PASSWORD } });
    assert.equal(accepted.status, 200);
    return { email, invitation };
  }

  const forgot = (email: string, acceptLanguage: string) => server.call('POST', '/password-resets', { body: { account: slug, email }, headers: { 'accept-language': acceptLanguage } });

  /** Neither the English subject nor the English body of that mail. */
  function notEnglish(mail: ReceivedMail) {
    assert.doesNotMatch(mail.subject, /\b(?:Reset your|invited to|Security change)\b/);
    assert.doesNotMatch(mail.text, /\b(?:Hello|The link works once|Choose)\b/);
  }

  test('a pt-PT user\'s reset mail arrives in Portuguese of Portugal, whatever the asking browser speaks', async () => {
    const { email } = await activeUser('Joana', 'pt-PT');
    assert.equal((await forgot(email, 'en-US,en;q=0.9')).status, 202);
    const mail = await inbox.waitFor(email, (m) => /palavra-passe/.test(m.subject));
    assert.equal(mail.subject, `Reponha a sua palavra-passe do AgentDesk para ${slug} Ltd`);
    assert.match(mail.text, /^Olá, Joana,/);
    assert.match(mail.text, /Alguém \(esperamos que tenha sido você\) pediu para repor a sua palavra-passe/);
    assert.match(mail.text, /Escolher uma nova palavra-passe:\nhttp/);
    // The date in Portuguese, the zone said: "7 de dezembro de 2026, 06:53 UTC" or the like.
    assert.match(mail.text, /até \d{1,2} de [a-zç]+ de \d{4}.{1,4}\d\d:\d\d UTC/);
    assert.match(mail.html, /<html lang="pt-PT">/);
    assert.match(mail.html, /Ou abra este endereço/);
    notEnglish(mail);
    // And the link works.
    const done = await server.call('POST', '/password-resets/complete', { body: { token: linkToken(linkIn(mail, 'reset-password')), newPassword: 'another fine passphrase' } });
    assert.equal(done.status, 200);
  });

  test('an es user\'s invitation arrives in Spanish, though the inviting admin works in English', async () => {
    const { invitation: mail } = await activeUser('Lucia', 'es');
    assert.equal(mail.subject, `Le han invitado a ${slug} Ltd en AgentDesk`);
    assert.match(mail.text, /^Hola, Lucia:/);
    assert.match(mail.text, new RegExp(`Admin ${slug} le ha invitado a iniciar sesión en ${slug} Ltd`));
    assert.match(mail.text, /Elegir su contraseña:\nhttp/);
    assert.match(mail.text, /hasta el \d{1,2} de [a-z]+ de \d{4}( a las |, )\d{1,2}:\d\d UTC/);
    assert.match(mail.html, /<html lang="es">/);
    notEnglish(mail);
  });

  test('a user without a language gets the forgot-password request\'s Accept-Language; a language we do not speak gets English', async () => {
    const { email } = await activeUser('Rafa');
    await forgot(email, 'es-MX,es;q=0.9,en;q=0.5');
    const spanish = await inbox.waitFor(email, (m) => m.subject.startsWith('Restablezca'));
    assert.equal(spanish.subject, `Restablezca su contraseña de AgentDesk para ${slug} Ltd`);
    assert.match(spanish.text, /Alguien \(esperamos que usted\) pidió restablecer su contraseña/);
    notEnglish(spanish);

    await server.db.deleteFrom('throttles').execute();
    await forgot(email, 'pt-BR');
    const brazilian = await inbox.waitFor(email, (m) => m.subject.startsWith('Redefina'));
    assert.match(brazilian.text, /redefinir sua senha/);

    await server.db.deleteFrom('throttles').execute();
    await forgot(email, 'de-DE,fr;q=0.8');
    const english = await inbox.waitFor(email, (m) => m.subject.startsWith('Reset your'));
    assert.match(english.text, /^Hello Rafa,/);
    assert.match(english.text, /until [A-Z][a-z]+ \d{1,2}, \d{4} at \d{1,2}:\d\d [AP]M UTC/);
  });

  test('an invitee without a language is invited in the inviting admin\'s language', async () => {
    await server.call('PUT', '/me/language', { token: adminToken, body: { language: 'pt-BR' } });
    try {
      const res = await server.call('POST', '/account/users', { token: adminToken, body: { name: 'Caio', email: `caio@${slug}.test`, role: 'agent' }, headers: { 'accept-language': 'en' } });
      assert.equal(res.status, 201);
      const mail = await inbox.waitFor(`caio@${slug}.test`);
      assert.equal(mail.subject, `Você foi convidado para ${slug} Ltd no AgentDesk`);
      assert.match(mail.text, /Escolher sua senha/);
    } finally {
      await server.call('PUT', '/me/language', { token: adminToken, body: { language: null } });
    }
    // An admin with no language of their own: their request's Accept-Language.
    await server.call('POST', '/account/users', { token: adminToken, body: { name: 'Pilar', email: `pilar@${slug}.test`, role: 'agent' }, headers: { 'accept-language': 'es-ES' } });
    assert.match((await inbox.waitFor(`pilar@${slug}.test`)).subject, /^Le han invitado/);
  });

  test('a security notification is in the user\'s language, with the method\'s article and agreement right', async () => {
    const { email } = await activeUser('Tiago', 'pt-BR');
    const token = (await signIn(server, slug, email)).token;
    await enrolTotp(server, token);
    const mail = await inbox.waitFor(email, (m) => m.subject.startsWith('Alteração de segurança'), 8000);
    assert.equal(mail.subject, `Alteração de segurança na sua conta do AgentDesk (${slug} Ltd)`);
    assert.match(mail.text, /Um aplicativo autenticador foi adicionado como segundo fator da sua conta \(\d{1,2} de [a-zç]+ de \d{4}.{1,4}\d\d:\d\d UTC\)\./);
    assert.match(mail.text, /Não fui eu:\nhttp/);
    notEnglish(mail);
  });
});
