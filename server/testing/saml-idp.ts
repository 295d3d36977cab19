// A real SAML 2.0 identity provider for the tests, on a loopback port: it publishes its metadata
// (entity id, HTTP-Redirect single sign-on URL, signing certificate of a key generated at start),
// reads the service provider's deflated AuthnRequest, and answers with the HTML form that posts a
// signed SAML Response to the request's AssertionConsumerServiceURL, as Okta or Entra ID do.
// Responses are signed with xml-crypto (enveloped XML signature, exclusive C14N, RSA-SHA256).
// A peer of the server: nothing of AgentDesk is imported. Tests shape the next response (who,
// AuthnContextClassRef, expiry, audience, a key that is not in the metadata, no signature, a
// wrapped extra assertion...) to drive the attacks over real HTTP.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';
import { newSigningKey, type SigningKey } from './signing-key.js';

/** The AuthnContextClassRef when a login names none. */
const PASSWORD_CLASS = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';

/** Who signs in at the IdP next, and how. */
export interface SamlLogin {
  email: string;
  name?: string;
  /** The AuthnContextClassRef (how the IdP signed the user in). */
  classRef?: string;
  /** 'email': NameID in emailAddress format; 'attribute': a persistent NameID and an `email` attribute. */
  emailIn?: 'email' | 'attribute';
}

/** What a response says; every field may be overridden by a test. */
export interface ResponseShape extends SamlLogin {
  inResponseTo: string | undefined;
  acs: string;
  audience: string;
  assertionId: string;
  notOnOrAfter: Date;
  /** 'idp': the key in the metadata; 'none': unsigned; or another key. */
  signWith: 'idp' | 'none' | SigningKey;
  /** XML signature wrapping: an unsigned assertion for `email` placed next to (or around) a signed one for `signedEmail`. */
  wrap?: { mode: 'sibling' | 'wrapped'; signedEmail: string };
}

export interface AuthnRequestSeen {
  id: string;
  acs: string;
  spEntityId: string;
  relayState: string | undefined;
}

export interface TestSamlIdp {
  entityId: string;
  ssoUrl: string;
  origin: string;
  metadataXml: string;
  key: SigningKey;
  nextLogin: SamlLogin;
  /** Changes to the next response only (then cleared). */
  nextShape: Partial<ResponseShape> | undefined;
  requests: AuthnRequestSeen[];
  /** A signed (or not) base64 SAML Response, as the IdP would post it. */
  response(shape: ResponseShape): string;
  close(): Promise<void>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const newId = () => `_${randomBytes(16).toString('hex')}`;

export function metadataXml(entityId: string, ssoUrl: string, certificate: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${esc(entityId)}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${esc(ssoUrl)}"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${esc(ssoUrl)}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}

function assertionXml(issuer: string, s: ResponseShape, email: string, id: string): string {
  const now = new Date();
  const instant = now.toISOString();
  const notBefore = new Date(now.getTime() - 60_000).toISOString();
  const end = s.notOnOrAfter.toISOString();
  const byAttribute = s.emailIn === 'attribute';
  const nameId = byAttribute
    ? `<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">${randomBytes(8).toString('hex')}</saml:NameID>`
    : `<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${esc(email)}</saml:NameID>`;
  const attributes = [byAttribute ? `<saml:Attribute Name="email"><saml:AttributeValue>${esc(email)}</saml:AttributeValue></saml:Attribute>` : '', s.name ? `<saml:Attribute Name="name"><saml:AttributeValue>${esc(s.name)}</saml:AttributeValue></saml:Attribute>` : ''].join('');
  return (
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${instant}">` +
    `<saml:Issuer>${esc(issuer)}</saml:Issuer>` +
    `<saml:Subject>${nameId}<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
    `<saml:SubjectConfirmationData ${s.inResponseTo ? `InResponseTo="${esc(s.inResponseTo)}" ` : ''}NotOnOrAfter="${end}" Recipient="${esc(s.acs)}"/>` +
    `</saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${end}"><saml:AudienceRestriction><saml:Audience>${esc(s.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${instant}" SessionIndex="${newId()}"><saml:AuthnContext><saml:AuthnContextClassRef>${esc(s.classRef ?? PASSWORD_CLASS)}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '') +
    `</saml:Assertion>`
  );
}

function sign(xml: string, key: SigningKey, assertionId: string): string {
  const sig = new SignedXml({ privateKey: key.key, publicCert: undefined, canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#', signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256' });
  sig.getKeyInfoContent = () => `<X509Data><X509Certificate>${key.certificate}</X509Certificate></X509Data>`;
  sig.addReference({
    xpath: `//*[local-name(.)='Assertion' and @ID='${assertionId}']`,
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
  });
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: `//*[local-name(.)='Assertion' and @ID='${assertionId}']/*[local-name(.)='Issuer']`, action: 'after' } });
  return sig.getSignedXml();
}

export function buildResponse(issuer: string, idpKey: SigningKey, s: ResponseShape): string {
  const instant = new Date().toISOString();
  const key = s.signWith === 'idp' ? idpKey : s.signWith === 'none' ? undefined : s.signWith;
  const envelope = (inner: string) =>
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${newId()}" Version="2.0" IssueInstant="${instant}" Destination="${esc(s.acs)}"${s.inResponseTo ? ` InResponseTo="${esc(s.inResponseTo)}"` : ''}>` +
    `<saml:Issuer>${esc(issuer)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>${inner}</samlp:Response>`;
  if (s.wrap) {
    // The attacker holds a validly signed assertion for themselves and adds one of their own making.
    const signedId = newId();
    const signed = sign(envelope(assertionXml(issuer, s, s.wrap.signedEmail, signedId)), idpKey, signedId);
    const signedAssertion = signed.slice(signed.indexOf('<saml:Assertion'), signed.lastIndexOf('</saml:Assertion>') + '</saml:Assertion>'.length);
    const evil = assertionXml(issuer, s, s.email, s.assertionId);
    const inner = s.wrap.mode === 'sibling' ? evil + signedAssertion : evil.replace('</saml:Subject>', `</saml:Subject><samlp:Extensions>${signedAssertion}</samlp:Extensions>`);
    return Buffer.from(envelope(inner)).toString('base64');
  }
  const xml = envelope(assertionXml(issuer, s, s.email, s.assertionId));
  return Buffer.from(key ? sign(xml, key, s.assertionId) : xml).toString('base64');
}

export async function startSamlIdp(): Promise<TestSamlIdp> {
  const key = await newSigningKey();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', idp.origin);
    if (url.pathname === '/metadata') {
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(idp.metadataXml);
      return;
    }
    if (url.pathname !== '/sso' || !url.searchParams.get('SAMLRequest')) {
      res.writeHead(404).end();
      return;
    }
    // HTTP-Redirect binding: base64 of the raw-deflated AuthnRequest.
    const request = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
    const seen: AuthnRequestSeen = {
      id: /\bID="([^"]+)"/.exec(request)![1]!,
      acs: /AssertionConsumerServiceURL="([^"]+)"/.exec(request)![1]!,
      spEntityId: /<saml:Issuer[^>]*>([^<]+)<\/saml:Issuer>/.exec(request)![1]!,
      relayState: url.searchParams.get('RelayState') ?? undefined,
    };
    idp.requests.push(seen);
    const shape: ResponseShape = {
      ...idp.nextLogin,
      inResponseTo: seen.id,
      acs: seen.acs,
      audience: seen.spEntityId,
      assertionId: newId(),
      notOnOrAfter: new Date(Date.now() + 5 * 60_000),
      signWith: 'idp',
      ...idp.nextShape,
    };
    idp.nextShape = undefined;
    const samlResponse = idp.response(shape);
    // The page a browser auto-submits (its script is the only thing a test's browser does not run).
    const fields = `<input type="hidden" name="SAMLResponse" value="${samlResponse}"/>` + (seen.relayState ? `<input type="hidden" name="RelayState" value="${esc(seen.relayState)}"/>` : '');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><html><body onload="document.forms[0].submit()"><form method="post" action="${esc(seen.acs)}">${fields}</form></body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const idp: TestSamlIdp = {
    entityId: `${origin}/metadata`,
    ssoUrl: `${origin}/sso`,
    origin,
    metadataXml: '',
    key,
    nextLogin: { email: 'nobody@example.test' },
    nextShape: undefined,
    requests: [],
    response: (shape) => buildResponse(idp.entityId, key, shape),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  idp.metadataXml = metadataXml(idp.entityId, idp.ssoUrl, key.certificate);
  return idp;
}
