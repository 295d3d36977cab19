// An independent SAML 2.0 identity provider for the tests: samlify's IdP role (not our own
// xml-crypto IdP of saml-idp.ts), on a loopback port. It publishes the metadata samlify makes for
// it (entity id, HTTP-Redirect and HTTP-POST single sign-on URL, the certificate of a key made at
// start), knows each service provider from the SP's own metadata XML (as an admin registers an
// application at Shibboleth or SimpleSAMLphp), parses the SP's AuthnRequest with samlify
// (HTTP-Redirect binding, checked against the SAML 2.0 XML schema by xmllint compiled to
// WebAssembly) and answers with samlify's login response (HTTP-POST binding) signed as the SP's
// metadata asks (WantAssertionsSigned: the assertion; `signResponse`: the Response too), in the
// HTML form that posts it to the ACS samlify read from that metadata.
// samlify's default response template has no AuthnStatement: the template below is its default
// with one, carrying the AuthnContextClassRef of the login (how the IdP signed the user in).
// A peer of the server: nothing of AgentDesk is imported.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import samlify from 'samlify';
import { newSigningKey, type SigningKey } from './signing-key.js';

// The schema validator samlify requires before it parses any message: xmllint (libxml2) compiled to
// WebAssembly with the SAML 2.0 schemas (no Java, no native binary). It ships no type declarations.
const { validate } = createRequire(import.meta.url)('@authenio/samlify-xmllint-wasm') as { validate: (xml: string) => Promise<unknown> };
samlify.setSchemaValidator({ validate });

const { namespace } = samlify.Constants;
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const PERSISTENT_FORMAT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const PASSWORD_PROTECTED = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
const BASIC = 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic';

const RESPONSE_TEMPLATE =
  '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{ID}" Version="2.0" IssueInstant="{IssueInstant}" Destination="{Destination}" InResponseTo="{InResponseTo}">' +
  '<saml:Issuer>{Issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="{StatusCode}"/></samlp:Status>' +
  '<saml:Assertion xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{AssertionID}" Version="2.0" IssueInstant="{IssueInstant}">' +
  '<saml:Issuer>{Issuer}</saml:Issuer>' +
  '<saml:Subject><saml:NameID Format="{NameIDFormat}">{NameID}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{SubjectConfirmationDataNotOnOrAfter}" Recipient="{SubjectRecipient}" InResponseTo="{InResponseTo}"/></saml:SubjectConfirmation></saml:Subject>' +
  '<saml:Conditions NotBefore="{ConditionsNotBefore}" NotOnOrAfter="{ConditionsNotOnOrAfter}"><saml:AudienceRestriction><saml:Audience>{Audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>' +
  '<saml:AuthnStatement AuthnInstant="{AuthnInstant}" SessionIndex="{SessionIndex}"><saml:AuthnContext><saml:AuthnContextClassRef>{AuthnContextClassRef}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>' +
  '{AttributeStatement}</saml:Assertion></samlp:Response>';
const ATTRIBUTES = [
  { name: 'email', valueTag: 'email', nameFormat: BASIC, valueXsiType: 'xs:string' },
  { name: 'name', valueTag: 'name', nameFormat: BASIC, valueXsiType: 'xs:string' },
];

/**
 * How the IdP writes its XML for a service provider. 'samlify': its defaults (samlp:, saml:).
 * 'okta': the saml2p: and saml2: prefixes Okta and Shibboleth use (samlify's tagPrefix).
 * 'entra': Entra ID's shape, the assertion's elements in the default namespace
 * (<Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion">, unprefixed children).
 */
export type Dialect = 'samlify' | 'okta' | 'entra';

type IdpSettings = Parameters<typeof samlify.IdentityProvider>[0];

function dialectSettings(dialect: Dialect): Pick<IdpSettings, 'loginResponseTemplate' | 'tagPrefix'> {
  if (dialect === 'okta') return { loginResponseTemplate: { context: RESPONSE_TEMPLATE, attributes: ATTRIBUTES }, tagPrefix: { protocol: 'saml2p', assertion: 'saml2' } };
  if (dialect === 'samlify') return { loginResponseTemplate: { context: RESPONSE_TEMPLATE, attributes: ATTRIBUTES } };
  const unprefixed = RESPONSE_TEMPLATE.replace(' xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{ID}"', ' ID="{ID}"')
    .replace('<saml:Issuer>', '<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">')
    .replace('xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"', 'xmlns="urn:oasis:names:tc:SAML:2.0:assertion"')
    .replace(/<(\/?)saml:/g, '<$1');
  return {
    loginResponseTemplate: {
      context: unprefixed,
      attributes: ATTRIBUTES,
      additionalTemplates: {
        attributeStatementTemplate: { context: '<AttributeStatement>{Attributes}</AttributeStatement>' },
        attributeTemplate: { context: '<Attribute Name="{Name}" NameFormat="{NameFormat}"><AttributeValue xmlns:xs="{ValueXmlnsXs}" xmlns:xsi="{ValueXmlnsXsi}" xsi:type="{ValueXsiType}">{Value}</AttributeValue></Attribute>' },
      },
    },
  };
}

/** Who signs in at the IdP next, and how. */
export interface SamlifyLogin {
  email: string;
  name?: string;
  /** The AuthnContextClassRef (how the IdP signed the user in); PasswordProtectedTransport when absent. */
  classRef?: string;
  /** 'email' (the default): the NameID is the email; 'persistent': an opaque NameID, the email in the `email` attribute only. */
  nameId?: 'email' | 'persistent';
  /** The assertion's ID; a fresh one when absent (a test reuses one to replay it). */
  assertionId?: string;
}

/** An AuthnRequest as samlify parsed it. */
export interface ParsedAuthnRequest {
  id: string;
  spEntityId: string;
  acs: string | undefined;
  relayState: string | undefined;
}

export interface SamlifyIdp {
  entityId: string;
  ssoUrl: string;
  origin: string;
  metadataXml: string;
  key: SigningKey;
  nextLogin: SamlifyLogin;
  requests: ParsedAuthnRequest[];
  /** Every response sent: its assertion's ID and the base64 message as posted. */
  responses: { assertionId: string; samlResponse: string }[];
  /**
   * Knows a service provider from its metadata XML. `entityId`: the IdP's record names another
   * entity id than the SP's own (a misconfigured or hostile IdP: the audience it writes is that).
   * `signResponse`: the Response is signed as well as the assertion (wantMessageSigned).
   * `signAssertion: false`: the IdP's record says WantAssertionsSigned="false", so samlify signs
   * the Response only (the assertion is covered by that signature, not by one of its own).
   * `dialect`: how the IdP writes its XML for this SP (samlify's prefixes, Okta's, Entra ID's).
   */
  addServiceProvider(metadataXml: string, options?: { entityId?: string; signResponse?: boolean; signAssertion?: false; dialect?: Dialect }): void;
  close(): Promise<void>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const newId = () => `_${randomBytes(16).toString('hex')}`;
const pem = (base64: string) => `-----BEGIN CERTIFICATE-----\n${base64.replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;

export async function startSamlifyIdp(): Promise<SamlifyIdp> {
  const key = await newSigningKey('samlify IdP');
  // Service providers by the entity id their AuthnRequest names as Issuer.
  const serviceProviders = new Map<string, { sp: samlify.ServiceProviderInstance; dialect: Dialect }>();
  // One samlify IdP per dialect: the same entity id, key and endpoints.
  const entities = new Map<Dialect, samlify.IdentityProviderInstance>();
  const entityFor = (dialect: Dialect) => {
    const made =
      entities.get(dialect) ??
      samlify.IdentityProvider({
        entityID: idp.entityId,
        signingCert: pem(key.certificate),
        privateKey: key.key,
        requestSignatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
        wantAuthnRequestsSigned: false,
        nameIDFormat: [EMAIL_FORMAT],
        singleSignOnService: [
          { Binding: namespace.binding.redirect, Location: idp.ssoUrl },
          { Binding: namespace.binding.post, Location: idp.ssoUrl },
        ],
        ...dialectSettings(dialect),
      });
    entities.set(dialect, made);
    return made;
  };

  async function answer(query: Record<string, string>): Promise<string> {
    const compressed = query.SAMLRequest;
    if (!compressed) throw new Error('no SAMLRequest');
    // Which SP is asking: the request's Issuer, read with samlify's own extractor.
    const peek = samlify.Extractor.extract(samlify.Utility.inflateString(compressed), samlify.Extractor.loginRequestFields);
    const known = serviceProviders.get(String(peek.issuer));
    if (!known) throw new Error(`unknown service provider ${String(peek.issuer)}`);
    const { sp } = known;
    const entity = entityFor(known.dialect);
    const parsed = await entity.parseLoginRequest(sp, 'redirect', { query });
    const request = parsed.extract.request as Record<string, string>;
    const seen: ParsedAuthnRequest = { id: request.id!, spEntityId: String(parsed.extract.issuer), acs: request.assertionConsumerServiceUrl, relayState: query.RelayState };
    idp.requests.push(seen);

    const login = idp.nextLogin;
    const now = new Date();
    const end = new Date(now.getTime() + 5 * 60_000).toISOString();
    const acs = sp.entityMeta.getAssertionConsumerService('post') as string;
    const assertionId = login.assertionId ?? newId();
    const persistent = login.nameId === 'persistent';
    const response = await entity.createLoginResponse(sp, { extract: parsed.extract }, 'post', { email: login.email }, {
      relayState: seen.relayState,
      customTagReplacement: (template) => {
        const id = newId();
        return {
          id,
          context: samlify.SamlLib.replaceTagsByValue(template, {
            ID: id,
            AssertionID: assertionId,
            Destination: acs,
            Audience: sp.entityMeta.getEntityID(),
            SubjectRecipient: acs,
            Issuer: entity.entityMeta.getEntityID(),
            IssueInstant: now.toISOString(),
            StatusCode: namespace.statusCode.success,
            ConditionsNotBefore: now.toISOString(),
            ConditionsNotOnOrAfter: end,
            SubjectConfirmationDataNotOnOrAfter: end,
            NameIDFormat: persistent ? PERSISTENT_FORMAT : EMAIL_FORMAT,
            NameID: persistent ? randomBytes(8).toString('hex') : login.email,
            InResponseTo: seen.id,
            AuthnInstant: now.toISOString(),
            SessionIndex: newId(),
            AuthnContextClassRef: login.classRef ?? PASSWORD_PROTECTED,
            attrEmail: login.email,
            attrName: login.name,
          }),
        };
      },
    });
    idp.responses.push({ assertionId, samlResponse: response.context });
    const post = response as { context: string; entityEndpoint: string; relayState?: string };
    const fields = `<input type="hidden" name="SAMLResponse" value="${post.context}"/>` + (post.relayState ? `<input type="hidden" name="RelayState" value="${esc(post.relayState)}"/>` : '');
    return `<!doctype html><html><body onload="document.forms[0].submit()"><form method="post" action="${esc(post.entityEndpoint)}">${fields}</form></body></html>`;
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', idp.origin);
    if (url.pathname === '/metadata') {
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(idp.metadataXml);
      return;
    }
    if (url.pathname !== '/sso') {
      res.writeHead(404).end();
      return;
    }
    answer(Object.fromEntries(url.searchParams)).then(
      (html) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html),
      (error: Error) => res.writeHead(400, { 'content-type': 'text/plain' }).end(`The IdP refused the request: ${error.message}`),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const idp: SamlifyIdp = {
    entityId: `${origin}/metadata`,
    ssoUrl: `${origin}/sso`,
    origin,
    metadataXml: '',
    key,
    nextLogin: { email: 'nobody@example.test' },
    requests: [],
    responses: [],
    addServiceProvider(metadataXml, options = {}) {
      const own = samlify.ServiceProvider({ metadata: metadataXml });
      let recorded = options.entityId ? metadataXml.replace(/entityID="[^"]*"/, `entityID="${esc(options.entityId)}"`) : metadataXml;
      if (options.signAssertion === false) recorded = recorded.replace(/WantAssertionsSigned="true"/, 'WantAssertionsSigned="false"');
      serviceProviders.set(own.entityMeta.getEntityID(), { sp: samlify.ServiceProvider({ metadata: recorded, wantMessageSigned: options.signResponse }), dialect: options.dialect ?? 'samlify' });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  idp.metadataXml = entityFor('samlify').getMetadata();
  return idp;
}
