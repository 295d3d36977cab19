// Single sign-on with SAML 2.0 against a real IdP (server/testing/saml-idp.ts: a loopback HTTP
// server that reads our deflated AuthnRequest and posts back a Response signed with xml-crypto):
// the web and desktop flows through POST /sso/saml/acs, the IdP's MFA (AuthnContextClassRef)
// trusted per provider, and the attacks on SAML responses, each refused with no session made.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, enrolTotp, signIn, type TestServer } from '../testing/harness.js';
import { Browser } from '../testing/oidc-provider.js';
import { metadataXml, startSamlIdp, type ResponseShape, type TestSamlIdp } from '../testing/saml-idp.js';
import { formOf, MFA_CLASS, PASSWORD_CLASS, samlFlow } from '../testing/saml-flow.js';
import { newSigningKey } from '../testing/signing-key.js';
import { ServerClient } from '../../main/server-client.js';
import { signInWithSso } from '../../main/sso-loopback.js';

describe('single sign-on with SAML 2.0', () => {
  let server: TestServer;
  let idp: TestSamlIdp;
  let flow: ReturnType<typeof samlFlow>;
  let host: string;
  let acs: string;

  before(async () => {
    server = await startTestServer({ openSignup: true });
    idp = await startSamlIdp();
    flow = samlFlow(server, idp);
    ({ host, acs } = flow);
  });
  after(async () => {
    await idp.close();
    await server.close();
  });

  /** The whole web sign-in, the IdP answering this login (and this response shape, once). */
  async function webSignIn(slug: string, providerId: string, login: { email: string; classRef?: string; emailIn?: 'email' | 'attribute'; name?: string }, shape?: Partial<ResponseShape>) {
    idp.nextLogin = login;
    idp.nextShape = shape;
    return flow.webSignIn(slug, providerId);
  }

  test('a SAML provider is saved from its metadata; junk or an http SSO URL off loopback is refused with invalid_saml_metadata; SP metadata is published', async () => {
    const a = await flow.account('saml-admin');
    const bad = async (metadataXml: string) => {
      const res = await server.call('POST', '/account/identity-providers', { token: a.adminToken, body: { type: 'saml', name: 'Bad', metadataXml, trustMfa: false, jitProvisioning: false } });
      assert.equal(res.status, 400, metadataXml.slice(0, 80));
      assert.equal(res.body.error.code, 'invalid_saml_metadata');
    };
    await bad('not xml at all <');
    await bad('<EntityDescriptor entityID="x"/>');
    await bad(idp.metadataXml.replace(/<ds:X509Certificate>[^<]+</, '<ds:X509Certificate>bm90IGEgY2VydA==<'));
    // Attack: metadata pointing the browser at a plain-http IdP on the network (credentials in clear, a spoofable answer).
    await bad(metadataXml('https://idp.example.com/entity', 'http://idp.example.com/sso', idp.key.certificate));
    await bad(`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${idp.metadataXml.replace(/^<\?xml[^>]*>/, '')}`);
    assert.equal((await server.call('GET', '/account/identity-providers', { token: a.adminToken })).body.providers.length, 0, 'nothing saved');

    const p = await flow.addProvider(a.adminToken);
    assert.deepEqual([p.type, p.issuer], ['saml', idp.entityId]);
    const junk = await server.call('PATCH', `/account/identity-providers/${p.id}`, { token: a.adminToken, body: { metadataXml: '<junk' } });
    assert.equal(junk.body.error.code, 'invalid_saml_metadata');
    const renamed = await server.call('PATCH', `/account/identity-providers/${p.id}`, { token: a.adminToken, body: { name: 'Okta', trustMfa: false } });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.deepEqual([renamed.body.provider.name, renamed.body.provider.trustMfa], ['Okta', false]);

    const md = await fetch(`${server.base}/sso/saml/metadata/${p.id}`);
    assert.equal(md.status, 200);
    const xml = await md.text();
    assert.ok(xml.includes(`entityID="${server.url}/api/v1/sso/saml/metadata/${p.id}"`), xml);
    assert.ok(xml.includes(`Location="${acs}"`));
    assert.ok(xml.includes('WantAssertionsSigned="true"'));
    assert.equal((await fetch(`${server.base}/sso/saml/metadata/${'0'.repeat(26)}`)).status, 404);
  });

  test('trustMfa on, AuthnContextClassRef in the list: active at once, both factors passed', async () => {
    const a = await flow.account('saml-mfa');
    const p = await flow.addProvider(a.adminToken);
    const u = await flow.user(a.slug, a.adminToken, 'Ana');
    await enrolTotp(server, (await signIn(server, a.slug, u.email)).token);
    const signedIn = await webSignIn(a.slug, p.id, { email: u.email, classRef: MFA_CLASS });
    assert.equal(signedIn.landed.hash, '#/');
    const current = await server.call('GET', '/sessions/current', { token: signedIn.token });
    assert.equal(current.body.session.state, 'active');
    assert.ok(current.body.session.secondFactorAt, 'the second factor counts as passed');
    const audit = await flow.lastAudit(a.id);
    assert.deepEqual([audit.action, audit.details.acr, audit.details.mfaTrusted], ['sign_in.sso', MFA_CLASS, true]);
  });

  test('AuthnContextClassRef not in the list (or trustMfa off): the second step follows; the email may come as an attribute', async () => {
    const a = await flow.account('saml-pwd');
    const p = await flow.addProvider(a.adminToken);
    const u = await flow.user(a.slug, a.adminToken, 'Bea');
    await enrolTotp(server, (await signIn(server, a.slug, u.email)).token);
    const pwd = await webSignIn(a.slug, p.id, { email: u.email, classRef: PASSWORD_CLASS, emailIn: 'attribute' });
    assert.equal(await flow.stateOf(pwd.token), 'two_factor_required');
    assert.equal((await flow.lastAudit(a.id)).details.mfaTrusted, false);
    await server.call('PATCH', `/account/identity-providers/${p.id}`, { token: (await enrolTotp(server, a.adminToken)).token, body: { trustMfa: false } });
    const off = await webSignIn(a.slug, p.id, { email: u.email, classRef: MFA_CLASS });
    assert.equal(await flow.stateOf(off.token), 'two_factor_required');
  });

  test('Attack: an unsigned assertion is refused', async () => {
    // Attack: forged assertion — anyone can write an unsigned SAML Response naming any user.
    const a = await flow.account('saml-unsigned');
    const p = await flow.addProvider(a.adminToken);
    const u = await flow.user(a.slug, a.adminToken, 'Caio');
    const before = await flow.sessions();
    await flow.refused(a, await webSignIn(a.slug, p.id, { email: u.email, classRef: MFA_CLASS }, { signWith: 'none' }), before, /assertion_validation: .*signature/i);
  });

  test('Attack: an assertion signed by another key than the IdP metadata\'s is refused', async () => {
    // Attack: forged signature — the attacker signs with a key of their own (and embeds its certificate in KeyInfo).
    const a = await flow.account('saml-otherkey');
    const p = await flow.addProvider(a.adminToken);
    const u = await flow.user(a.slug, a.adminToken, 'Dora');
    const before = await flow.sessions();
    const attackerKey = await newSigningKey('Attacker');
    await flow.refused(a, await webSignIn(a.slug, p.id, { email: u.email, classRef: MFA_CLASS }, { signWith: attackerKey }), before, /assertion_validation: .*signature/i);
  });

  test('Attack: XML signature wrapping — an unsigned assertion next to or around a signed one is refused', async () => {
    // Attack: XSW — Mallory holds a validly signed assertion for herself and adds an unsigned one for the admin, hoping the signature is checked on one and the user read from the other.
    const a = await flow.account('saml-xsw');
    const p = await flow.addProvider(a.adminToken);
    const mallory = await flow.user(a.slug, a.adminToken, 'Mallory');
    for (const mode of ['sibling', 'wrapped'] as const) {
      const before = await flow.sessions();
      const result = await webSignIn(a.slug, p.id, { email: `admin@${a.slug}.test`, classRef: MFA_CLASS }, { wrap: { mode, signedEmail: mallory.email } });
      await flow.refused(a, result, before, mode === 'sibling' ? /assertion_validation: .*multiple assertions/i : /assertion_validation: .*signature/i);
    }
  });

  test('Attack: an assertion for another audience is refused', async () => {
    // Attack: audience confusion — an assertion the IdP issued for another service provider, replayed here.
    const a = await flow.account('saml-audience');
    const p = await flow.addProvider(a.adminToken);
    const u = await flow.user(a.slug, a.adminToken, 'Eva');
    const before = await flow.sessions();
    await flow.refused(a, await webSignIn(a.slug, p.id, { email: u.email }, { audience: 'https://other-sp.example/saml' }), before, /assertion_validation: .*audience/i);
  });

  test('Attack: an assertion whose recipient is another service is refused', async () => {
    // Attack: recipient confusion — a bearer assertion the IdP addressed to another ACS (another deployment, another SP), posted here.
    const a = await flow.account('saml-recipient');
    const p = await flow.addProvider(a.adminToken);
    const u = await flow.user(a.slug, a.adminToken, 'Rui');
    idp.nextLogin = { email: u.email, classRef: MFA_CLASS };
    const started = await flow.startAtIdp(a.slug, p.id);
    const before = await flow.sessions();
    const elsewhere = idp.response({ email: u.email, classRef: MFA_CLASS, inResponseTo: started.request.id, acs: 'https://other.example/saml/acs', audience: started.request.spEntityId, assertionId: '_recipient1', notOnOrAfter: new Date(Date.now() + 60_000), signWith: 'idp' });
    const landed = await started.browser.submit({ action: acs, fields: { ...started.form.fields, SAMLResponse: elsewhere } }, idp.origin, { stopAt: flow.atConsole });
    await flow.refused(a, { landed: landed.url, token: started.browser.cookie(host, 'agentdesk_session') }, before, /assertion_validation: recipient_mismatch/);
  });

  test('Attack: an expired assertion (NotOnOrAfter in the past) is refused', async () => {
    // Attack: a stale assertion — captured long ago (a log, a proxy), posted after it expired.
    const a = await flow.account('saml-expired');
    const p = await flow.addProvider(a.adminToken);
    const u = await flow.user(a.slug, a.adminToken, 'Fay');
    const before = await flow.sessions();
    await flow.refused(a, await webSignIn(a.slug, p.id, { email: u.email }, { notOnOrAfter: new Date(Date.now() - 10 * 60_000) }), before, /assertion_validation: .*(expired|no valid subject confirmation)/i);
  });

  test('Attack: an unsolicited response, and a response to another request, are refused', async () => {
    // Attack: unsolicited / mismatched response — an IdP-initiated response (no request of ours), or the answer to one request presented for another.
    const a = await flow.account('saml-unsolicited');
    const p = await flow.addProvider(a.adminToken);
    const u = await flow.user(a.slug, a.adminToken, 'Gil');
    const before = await flow.sessions();
    const spEntity = `${server.url}/api/v1/sso/saml/metadata/${p.id}`;
    const shape: ResponseShape = { email: u.email, classRef: MFA_CLASS, inResponseTo: undefined, acs, audience: spEntity, assertionId: `_${'a'.repeat(32)}`, notOnOrAfter: new Date(Date.now() + 60_000), signWith: 'idp' };
    // No RelayState at all: no request of ours to answer.
    const unsolicited = await new Browser().submit({ action: acs, fields: { SAMLResponse: idp.response(shape) } }, idp.origin, { stopAt: flow.atConsole });
    assert.equal(unsolicited.url.hash, '#/sign-in?sso_error=sso_failed');
    // A real request's RelayState, with a response that answers no request (no InResponseTo).
    idp.nextLogin = { email: u.email, classRef: MFA_CLASS };
    const first = await flow.startAtIdp(a.slug, p.id);
    const noInResponseTo = await first.browser.submit({ action: acs, fields: { ...first.form.fields, SAMLResponse: idp.response({ ...shape, assertionId: '_b1' }) } }, idp.origin, { stopAt: flow.atConsole });
    await flow.refused(a, { landed: noInResponseTo.url, token: first.browser.cookie(host, 'agentdesk_session') }, before, /assertion_validation: .*InResponseTo/i);
    // Request B's RelayState with the signed answer to request A.
    const requestA = await flow.startAtIdp(a.slug, p.id);
    const requestB = await flow.startAtIdp(a.slug, p.id);
    const crossed = await requestB.browser.submit({ action: acs, fields: { ...requestB.form.fields, SAMLResponse: requestA.form.fields.SAMLResponse! } }, idp.origin, { stopAt: flow.atConsole });
    await flow.refused(a, { landed: crossed.url, token: requestB.browser.cookie(host, 'agentdesk_session') }, before, /assertion_validation: .*InResponseTo/i);
  });

  test('Attack: a replayed response, and a replayed assertion id, are refused', async () => {
    // Attack: replay — the same posted response sent again (browser history, a proxy log), and an assertion id the IdP already used.
    const a = await flow.account('saml-replay');
    const p = await flow.addProvider(a.adminToken);
    const u = await flow.user(a.slug, a.adminToken, 'Ines');
    const ok = await webSignIn(a.slug, p.id, { email: u.email, classRef: MFA_CLASS });
    assert.equal(await flow.stateOf(ok.token), 'active');
    const before = await flow.sessions();
    const again = new Browser();
    const replay = await again.submit(ok.form, idp.origin, { stopAt: flow.atConsole });
    assert.equal(replay.url.hash, '#/sign-in?sso_error=sso_failed');
    assert.equal(await flow.sessions(), before, 'the replay made no session');

    // A fresh request, answered with an assertion id that was already accepted.
    const reused = idp.requests.at(-1)!;
    const firstId = /ID="(_[0-9a-f]+)" Version="2.0" IssueInstant="[^"]+"><saml:Issuer/.exec(Buffer.from(ok.form.fields.SAMLResponse!, 'base64').toString())![1]!;
    assert.ok(reused);
    const second = await webSignIn(a.slug, p.id, { email: u.email, classRef: MFA_CLASS }, { assertionId: firstId });
    await flow.refused(a, second, before, 'assertion_replayed');
  });

  test('Attack: an assertion made for another account\'s provider is refused', async () => {
    // Attack: cross-account — both accounts trust the same IdP; an assertion for account A's service provider is presented to account B's sign-in.
    const a = await flow.account('saml-acct-a');
    const b = await flow.account('saml-acct-b');
    const pa = await flow.addProvider(a.adminToken);
    const pb = await flow.addProvider(b.adminToken, { jitProvisioning: true });
    await flow.user(a.slug, a.adminToken, 'Jon');
    idp.nextLogin = { email: `jon@${a.slug}.test`, classRef: MFA_CLASS };
    const forA = await flow.startAtIdp(a.slug, pa.id);
    const atB = await flow.startAtIdp(b.slug, pb.id);
    const before = await flow.sessions();
    const forged = idp.response({ email: `admin@${b.slug}.test`, classRef: MFA_CLASS, inResponseTo: atB.request.id, acs, audience: forA.request.spEntityId, assertionId: '_cross1', notOnOrAfter: new Date(Date.now() + 60_000), signWith: 'idp' });
    const landed = await atB.browser.submit({ action: acs, fields: { ...atB.form.fields, SAMLResponse: forged } }, idp.origin, { stopAt: flow.atConsole });
    await flow.refused(b, { landed: landed.url, token: atB.browser.cookie(host, 'agentdesk_session') }, before, /assertion_validation: .*audience/i);
  });

  test('Attack: login CSRF — a response posted from a browser that did not start the sign-in is refused', async () => {
    // Attack: login CSRF — the attacker's own finished sign-in form, auto-submitted from a page the victim visits.
    const a = await flow.account('saml-csrf');
    const p = await flow.addProvider(a.adminToken);
    const mallory = await flow.user(a.slug, a.adminToken, 'Mallory');
    idp.nextLogin = { email: mallory.email, classRef: MFA_CLASS };
    const attacker = await flow.startAtIdp(a.slug, p.id);
    const before = await flow.sessions();
    const victim = new Browser();
    const landed = await victim.submit(attacker.form, 'https://evil.example', { stopAt: flow.atConsole });
    await flow.refused(a, { landed: landed.url, token: victim.cookie(host, 'agentdesk_session') }, before, 'other_browser');
  });

  test('JIT creates an unknown email as an agent only when on; a form without a SAMLResponse is a 400', async () => {
    const a = await flow.account('saml-jit');
    const p = await flow.addProvider(a.adminToken, { jitProvisioning: true });
    const created = await webSignIn(a.slug, p.id, { email: `newcomer@${a.slug}.test`, name: 'New Comer', classRef: MFA_CLASS, emailIn: 'attribute' });
    assert.equal(await flow.stateOf(created.token), 'active');
    const row = await server.db.selectFrom('users').select(['name', 'role']).where('email', '=', `newcomer@${a.slug}.test`).executeTakeFirstOrThrow();
    assert.deepEqual(row, { name: 'New Comer', role: 'agent' });
    const empty = await fetch(acs, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: idp.origin }, body: 'RelayState=x' });
    assert.equal(empty.status, 400);
    assert.equal(((await empty.json()) as { error: { code: string } }).error.code, 'invalid_request');
  });

  test('desktop: the system browser, the IdP, our ACS, the loopback code exchanged in main', async () => {
    const a = await flow.account('saml-desk');
    const p = await flow.addProvider(a.adminToken);
    const u = await flow.user(a.slug, a.adminToken, 'Kai');
    const client = new ServerClient(server.url, () => null);
    idp.nextLogin = { email: u.email, classRef: MFA_CLASS };
    const browser = new Browser();
    const signedIn = await signInWithSso(client, {
      account: a.slug,
      provider: p.id,
      openBrowser: async (url) => {
        const page = await browser.visit(url);
        await browser.submit(formOf(page.body), idp.origin);
      },
    });
    assert.equal(signedIn.session.state, 'active');
    assert.equal(signedIn.user.email, u.email);
    assert.match(browser.visited.at(-1)!, /^http:\/\/127\.0\.0\.1:\d+\/sso\/callback\?state=[^&]+&code=/, 'the browser ended at the loopback');
  });
});
