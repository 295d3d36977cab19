// The service provider's side of the SAML tests, whichever IdP answers (saml-idp.ts, our own
// xml-crypto IdP that also forges attacks; samlify-idp.ts, an independent implementation): an
// account with a SAML provider added through the API from the IdP's metadata, the web sign-in
// driven in a browser (start, the IdP's page, its form posted to our ACS), and what a refusal
// must leave behind (the console's error, no cookie, no session, the audit's reason).
import assert from 'node:assert/strict';
import { accountWithSignedInAdmin, createUser, type TestServer } from './harness.js';
import { Browser } from './oidc-provider.js';

export const PASSWORD_CLASS = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
export const MFA_CLASS = 'http://schemas.microsoft.com/claims/multipleauthn';

/** What the flow needs of an IdP: where it is, its metadata, the AuthnRequests it received. */
export interface SamlPeer {
  origin: string;
  metadataXml: string;
  requests: { id: string; spEntityId: string }[];
}

/** The fields and action of the IdP's auto-submitting form. */
export function formOf(html: string): { action: string; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`no form in ${html.slice(0, 200)}`);
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)) fields[m[1]!] = m[2]!.replace(/&quot;/g, '"').replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&amp;/g, '&');
  return { action: action.replace(/&amp;/g, '&'), fields };
}

export function samlFlow(server: TestServer, idp: SamlPeer) {
  const host = new URL(server.url).host;
  const acs = `${server.url}/api/v1/sso/saml/acs`;
  const atConsole = (u: URL) => u.host === host && u.pathname === '/';

  const account = (slug: string) => accountWithSignedInAdmin(server, slug);

  async function addProvider(adminToken: string, body: Record<string, unknown> = {}) {
    const res = await server.call('POST', '/account/identity-providers', {
      token: adminToken,
      body: { type: 'saml', name: 'Test SAML IdP', metadataXml: idp.metadataXml, trustMfa: true, mfaAcrValues: [MFA_CLASS], jitProvisioning: false, ...body },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.provider as { id: string; type: string; issuer: string; serviceProvider: { entityId: string; acsUrl: string } };
  }

  /** Our SP metadata for a provider, as the admin hands it to the IdP. */
  async function spMetadata(providerId: string) {
    const res = await fetch(`${server.base}/sso/saml/metadata/${providerId}`);
    assert.equal(res.status, 200);
    return res.text();
  }

  /** An agent who can sign in with a password, named `<name>@<slug>.test`. */
  const user = (slug: string, adminToken: string, name: string) => createUser(server, adminToken, slug, name);

  /** Start (web), the browser at the IdP, the IdP's form; not yet posted. */
  async function startAtIdp(slug: string, providerId: string, browser = new Browser()) {
    const start = await browser.post(`${server.base}/sessions/sso`, { account: slug, provider: providerId, client: 'web' });
    assert.equal(start.status, 200, JSON.stringify(start.body));
    const page = await browser.visit(start.body.authorizationUrl);
    assert.equal(page.status, 200, page.body);
    return { browser, form: formOf(page.body), request: idp.requests.at(-1)! };
  }

  /** The whole web sign-in: start, the IdP, the form posted to our ACS; where the browser lands and its cookie. */
  async function webSignIn(slug: string, providerId: string) {
    const { browser, form } = await startAtIdp(slug, providerId);
    const end = await browser.submit(form, idp.origin, { stopAt: atConsole });
    return { landed: end.url, token: browser.cookie(host, 'agentdesk_session'), browser, form };
  }

  /** A form posted to our ACS from a browser (the one that started the request, or another). */
  async function post(browser: Browser, form: { action: string; fields: Record<string, string> }, from = idp.origin) {
    const end = await browser.submit(form, from, { stopAt: atConsole });
    return { landed: end.url, token: browser.cookie(host, 'agentdesk_session') };
  }

  async function stateOf(token: string | undefined) {
    assert.ok(token, 'a session cookie was set');
    const res = await server.call('GET', '/sessions/current', { token });
    assert.equal(res.status, 200);
    return res.body.session.state as string;
  }

  const sessions = async () => Number((await server.db.selectFrom('sessions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  const lastAudit = async (accountId: string) => {
    const row = await server.db.selectFrom('audit_events').select(['action', 'details']).where('account_id', '=', accountId).where('action', 'in', ['sign_in.sso', 'sign_in.sso_refused']).orderBy('id', 'desc').executeTakeFirstOrThrow();
    return { action: row.action, details: JSON.parse(row.details) as { acr: string | null; mfaTrusted: boolean; state: string; reason?: string; message?: string } };
  };

  /** A refused response: the console's error, no cookie, no new session, the audit's reason. */
  async function refused(a: { id: string }, landed: { landed: URL; token: string | undefined }, before: number, reason: string | RegExp) {
    assert.equal(landed.landed.hash, '#/sign-in?sso_error=sso_failed');
    assert.equal(landed.token, undefined, 'no session cookie');
    assert.equal(await sessions(), before, 'no session');
    const audit = await lastAudit(a.id);
    assert.equal(audit.action, 'sign_in.sso_refused');
    if (typeof reason === 'string') assert.equal(audit.details.reason, reason, JSON.stringify(audit.details));
    else assert.match(`${audit.details.reason}: ${audit.details.message}`, reason);
  }

  return { host, acs, atConsole, account, addProvider, spMetadata, user, startAtIdp, webSignIn, post, stateOf, sessions, lastAudit, refused };
}
