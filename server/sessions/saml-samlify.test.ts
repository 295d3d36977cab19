// Single sign-on with SAML 2.0 against an independent identity provider: samlify's IdP role
// (server/testing/samlify-idp.ts), not our own test IdP. The provider is added through the API
// from the metadata samlify makes; samlify reads our SP metadata, parses our AuthnRequest
// (HTTP-Redirect, checked against the SAML 2.0 schema) and answers with its own signed Response
// (HTTP-POST). The web and desktop sign-ins, the IdP's MFA trusted or our second step, and the
// refusals (a replayed assertion, an audience that is not ours) run over real HTTP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { enrolTotp, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { Browser } from '../testing/oidc-provider.js';
import { formOf, MFA_CLASS, PASSWORD_CLASS, samlFlow } from '../testing/saml-flow.js';
import { startSamlifyIdp, type SamlifyIdp, type SamlifyLogin } from '../testing/samlify-idp.js';
import { totpCode } from '../testing/totp-reference.js';
import { ServerClient } from '../../main/server-client.js';
import { signInWithSso } from '../../main/sso-loopback.js';

describe('single sign-on with SAML 2.0 against samlify\'s identity provider', () => {
  let server: TestServer;
  let idp: SamlifyIdp;
  let flow: ReturnType<typeof samlFlow>;

  before(async () => {
    server = await startTestServer({ openSignup: true });
    idp = await startSamlifyIdp();
    flow = samlFlow(server, idp);
  });
  after(async () => {
    await idp.close();
    await server.close();
  });

  /** An account with a SAML provider added from samlify's metadata, registered at samlify from our SP metadata. */
  async function accountWithProvider(slug: string, atIdp: Parameters<SamlifyIdp['addServiceProvider']>[1] = {}) {
    const a = await flow.account(slug);
    const p = await flow.addProvider(a.adminToken);
    idp.addServiceProvider(await flow.spMetadata(p.id), atIdp);
    return { ...a, provider: p };
  }

  async function webSignIn(slug: string, providerId: string, login: SamlifyLogin) {
    idp.nextLogin = login;
    return flow.webSignIn(slug, providerId);
  }

  test('the provider is added from samlify\'s metadata; samlify reads our SP metadata and parses our AuthnRequest, valid against the SAML schema', async () => {
    const a = await accountWithProvider('samlify-admin');
    assert.equal(a.provider.issuer, idp.entityId);
    assert.equal(a.provider.serviceProvider.acsUrl, flow.acs);
    const started = await flow.startAtIdp(a.slug, a.provider.id);
    // samlify's parse of our request (after its schema validation): our entity id, our ACS.
    assert.deepEqual([started.request.spEntityId, idp.requests.at(-1)!.acs], [a.provider.serviceProvider.entityId, flow.acs]);
    assert.equal(started.form.action, flow.acs, 'samlify posts to the ACS of our metadata');
    // The schema check is real: the same request without its required Version is refused by samlify.
    const start = await new Browser().post(`${server.base}/sessions/sso`, { account: a.slug, provider: a.provider.id, client: 'web' });
    const url = new URL(start.body.authorizationUrl);
    const request = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64')).toString();
    assert.ok(request.includes(' Version="2.0"'), request);
    url.searchParams.set('SAMLRequest', deflateRawSync(request.replace(' Version="2.0"', '')).toString('base64'));
    const invalid = await fetch(url);
    assert.equal(invalid.status, 400);
    assert.match(await invalid.text(), /ERR_INVALID_XML/);
  });

  test('web: trustMfa on and an MFA AuthnContextClassRef: active at once, both factors passed, the cookie set', async () => {
    const a = await accountWithProvider('samlify-mfa');
    const u = await flow.user(a.slug, a.adminToken, 'Bea');
    await enrolTotp(server, (await signIn(server, a.slug, u.email)).token);
    const signedIn = await webSignIn(a.slug, a.provider.id, { email: u.email, classRef: MFA_CLASS });
    assert.equal(signedIn.landed.hash, '#/');
    const current = await server.call('GET', '/sessions/current', { token: signedIn.token });
    assert.equal(current.body.session.state, 'active');
    assert.ok(current.body.session.secondFactorAt, 'the second factor counts as passed');
    assert.equal(current.body.user.email, u.email);
    const audit = await flow.lastAudit(a.id);
    assert.deepEqual([audit.action, audit.details.acr, audit.details.mfaTrusted], ['sign_in.sso', MFA_CLASS, true]);
  });

  test('web: a password-only AuthnContextClassRef is the first factor; our second step follows and completes', async () => {
    const a = await accountWithProvider('samlify-pwd');
    const u = await flow.user(a.slug, a.adminToken, 'Caio');
    const { secret } = await enrolTotp(server, (await signIn(server, a.slug, u.email)).token);
    // The email as an attribute under an opaque (persistent) NameID, as Entra ID sends it.
    const pwd = await webSignIn(a.slug, a.provider.id, { email: u.email, classRef: PASSWORD_CLASS, nameId: 'persistent' });
    assert.equal(await flow.stateOf(pwd.token), 'two_factor_required');
    const audit = await flow.lastAudit(a.id);
    assert.deepEqual([audit.action, audit.details.acr, audit.details.mfaTrusted], ['sign_in.sso', PASSWORD_CLASS, false]);
    const second = await server.call('POST', '/sessions/current/second-factor', { token: pwd.token, body: { method: 'totp', code: totpCode(secret, Date.now() + 30_000) } });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(await flow.stateOf(second.body.token), 'active');
  });

  test('web: samlify signing the Response as well as the assertion (wantMessageSigned) is accepted', async () => {
    const a = await accountWithProvider('samlify-both', { signResponse: true });
    const u = await flow.user(a.slug, a.adminToken, 'Dora');
    const signedIn = await webSignIn(a.slug, a.provider.id, { email: u.email, classRef: MFA_CLASS });
    const xml = Buffer.from(signedIn.form.fields.SAMLResponse!, 'base64').toString();
    assert.equal(xml.match(/<ds:Signature\b/g)?.length, 2, 'two signatures: the Response and the assertion');
    assert.equal(await flow.stateOf(signedIn.token), 'active');
  });

  test('samlify signing only the Response (its record of us with WantAssertionsSigned="false") is refused: the assertion itself must be signed', async () => {
    // PRODUCT.md: signed assertions required. saml-profiles §4.1.3.5 would also allow a signed Response around an
    // unsigned assertion; our SP asks for signed assertions in its metadata (WantAssertionsSigned="true") and holds to it.
    const a = await accountWithProvider('samlify-msgonly', { signAssertion: false });
    const u = await flow.user(a.slug, a.adminToken, 'Ivo');
    const before = await flow.sessions();
    const result = await webSignIn(a.slug, a.provider.id, { email: u.email, classRef: MFA_CLASS });
    const xml = Buffer.from(result.form.fields.SAMLResponse!, 'base64').toString();
    assert.match(xml, /^<samlp:Response[^>]*><saml:Issuer>[^<]*<\/saml:Issuer><ds:Signature/, 'the Response is signed');
    assert.equal(xml.match(/<ds:Signature\b/g)?.length, 1, 'the assertion is not');
    await flow.refused(a, result, before, /assertion_validation: .*signature/i);
  });

  test('web: Okta\'s saml2:/saml2p: prefixes and Entra ID\'s unprefixed assertion (default namespace) are read alike', async () => {
    for (const dialect of ['okta', 'entra'] as const) {
      const a = await accountWithProvider(`samlify-${dialect}`, { dialect });
      const u = await flow.user(a.slug, a.adminToken, 'Hugo');
      const signedIn = await webSignIn(a.slug, a.provider.id, { email: u.email, name: 'Hugo Dialect', classRef: MFA_CLASS, nameId: 'persistent' });
      const xml = Buffer.from(signedIn.form.fields.SAMLResponse!, 'base64').toString();
      assert.match(xml, dialect === 'okta' ? /^<saml2p:Response[^>]*><saml2:Issuer>.*<saml2:Assertion / : /^<samlp:Response[^>]*><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">.*<Assertion [^>]*xmlns="urn:oasis:names:tc:SAML:2.0:assertion"/, dialect);
      assert.equal(await flow.stateOf(signedIn.token), 'active', dialect);
      const audit = await flow.lastAudit(a.id);
      assert.deepEqual([audit.action, audit.details.acr, audit.details.mfaTrusted], ['sign_in.sso', MFA_CLASS, true], dialect);
    }
  });

  test('desktop: the system browser, samlify, our ACS, the loopback code exchanged in main', async () => {
    const a = await accountWithProvider('samlify-desk');
    const u = await flow.user(a.slug, a.adminToken, 'Eva');
    idp.nextLogin = { email: u.email, classRef: MFA_CLASS };
    const browser = new Browser();
    const signedIn = await signInWithSso(new ServerClient(server.url, () => null), {
      account: a.slug,
      provider: a.provider.id,
      openBrowser: async (url) => {
        const page = await browser.visit(url);
        assert.equal(page.status, 200, page.body);
        await browser.submit(formOf(page.body), idp.origin);
      },
    });
    assert.equal(signedIn.session.state, 'active');
    assert.equal(signedIn.user.email, u.email);
    assert.match(browser.visited.at(-1)!, /^http:\/\/127\.0\.0\.1:\d+\/sso\/callback\?state=[^&]+&code=/, 'the browser ended at the loopback');
  });

  test('Attack: a samlify assertion replayed — the same posted form again, and its assertion id in a fresh response — is refused', async () => {
    // Attack: replay — a signed response captured (browser history, a proxy log) and posted again, or an IdP-signed assertion id accepted once presented a second time.
    const a = await accountWithProvider('samlify-replay');
    const u = await flow.user(a.slug, a.adminToken, 'Fay');
    const ok = await webSignIn(a.slug, a.provider.id, { email: u.email, classRef: MFA_CLASS });
    assert.equal(await flow.stateOf(ok.token), 'active');
    const accepted = idp.responses.at(-1)!;
    const before = await flow.sessions();
    const replayed = await flow.post(new Browser(), ok.form);
    assert.deepEqual([replayed.landed.hash, replayed.token], ['#/sign-in?sso_error=sso_failed', undefined]);
    assert.equal(await flow.sessions(), before, 'the replayed form made no session');
    // A fresh request, answered by samlify with the assertion id it already used.
    const again = await webSignIn(a.slug, a.provider.id, { email: u.email, classRef: MFA_CLASS, assertionId: accepted.assertionId });
    await flow.refused(a, again, before, 'assertion_replayed');
  });

  test('Attack: samlify configured with another SP entity id — an assertion for another audience — is refused', async () => {
    // Attack: audience confusion — the IdP's record of this application names another service provider, so what it signs is meant for someone else.
    const a = await accountWithProvider('samlify-audience', { entityId: 'https://other-sp.example/saml' });
    const u = await flow.user(a.slug, a.adminToken, 'Gil');
    const before = await flow.sessions();
    const result = await webSignIn(a.slug, a.provider.id, { email: u.email, classRef: MFA_CLASS });
    assert.match(Buffer.from(result.form.fields.SAMLResponse!, 'base64').toString(), /<saml:Audience>https:\/\/other-sp\.example\/saml<\/saml:Audience>/);
    await flow.refused(a, result, before, /assertion_validation: .*audience/i);
  });
});
