// SAML 2.0 identity providers (PRODUCT.md "Enterprise sign-in"): the IdP's metadata XML read and
// checked, our service-provider identity per provider, the authentication request, and the
// IdP's response validated by @node-saml/node-saml (XML signature by the IdP's certificate with
// xml-crypto, audience, NotBefore/NotOnOrAfter, InResponseTo) plus what it leaves to us: the
// recipient, the InResponseTo inside the signed assertion, and replay of an assertion id.
//
//   SP entity id (the audience):  <public origin>/api/v1/sso/saml/metadata/<provider id>
//   ACS (the recipient):          <public origin>/api/v1/sso/saml/acs
//
// The entity id is per provider, so an assertion an IdP made for one account's provider is
// refused at any other (its audience is not theirs), even when both accounts use the same IdP.
import { X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';
import { generateServiceProviderMetadata, SAML, ValidateInResponseTo, type CacheProvider, type SamlConfig } from '@node-saml/node-saml';
import { operations } from '../../contract/operations.js';
import { pathOf } from '../../contract/operation.js';
import type { ServerContext } from '../context.js';
import { DomainError } from '../errors.js';
import type { IdentityProvidersTable } from '../store/schema.js';
import { isLoopbackHost } from './identity-providers.js';

// @xmldom/xmldom (the parser node-saml itself uses), loaded without its type declarations: they
// pull the DOM library into the whole program, whose types clash with Node's (WebCrypto). The
// little of its DOM we read is typed here.
interface Element {
  readonly nodeType: number;
  readonly namespaceURI: string | null;
  readonly localName: string | null;
  readonly textContent: string | null;
  readonly firstChild: Element | null;
  readonly nextSibling: Element | null;
  getAttribute(name: string): string | null;
  getElementsByTagNameNS(ns: string, name: string): ArrayLike<Element>;
}
const { DOMParser } = createRequire(import.meta.url)('@xmldom/xmldom') as {
  DOMParser: new (options: { errorHandler: (level: string, message: unknown) => void }) => { parseFromString(xml: string, type: string): { documentElement: Element | null } };
};

const API_PREFIX = '/api/v1';
const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
/** How far the IdP's clock may be from ours. */
const CLOCK_SKEW_MS = 60_000;

export interface IdpMetadata {
  entityId: string;
  ssoUrl: string;
  /** The IdP's signing certificates, PEM. */
  certificates: string[];
}

const invalid = (why: string) => new DomainError('invalid_saml_metadata', `The SAML metadata is not usable: ${why}.`);

/**
 * The IdP's metadata: its entity id, its HTTP-Redirect single sign-on URL (https, or http on a
 * loopback address only) and its signing certificates (each a parseable X.509 certificate).
 * Anything else is refused with `invalid_saml_metadata`.
 */
export function parseIdpMetadata(xml: string): IdpMetadata {
  // No document type: no entity expansion, no external entities.
  if (/<!DOCTYPE/i.test(xml)) throw invalid('a document type declaration is not accepted');
  let root: Element | null;
  try {
    const doc = new DOMParser({
      errorHandler: (level, message) => {
        if (level !== 'warning') throw new Error(String(message));
      },
    }).parseFromString(xml, 'text/xml');
    root = doc.documentElement;
  } catch {
    throw invalid('it is not well-formed XML');
  }
  if (!root || root.namespaceURI !== MD || root.localName !== 'EntityDescriptor') throw invalid('the root is not a SAML 2.0 EntityDescriptor');
  const entityId = root.getAttribute('entityID')?.trim() ?? '';
  if (!entityId || entityId.length > 500) throw invalid('it has no entityID');
  const idp = children(root, MD, 'IDPSSODescriptor')[0];
  if (!idp) throw invalid('it describes no identity provider (IDPSSODescriptor)');
  const sso = children(idp, MD, 'SingleSignOnService').find((e) => e.getAttribute('Binding') === REDIRECT_BINDING);
  const ssoUrl = sso?.getAttribute('Location')?.trim() ?? '';
  if (!ssoUrl) throw invalid('it has no single sign-on service with the HTTP-Redirect binding');
  checkSsoUrl(ssoUrl);
  const certificates: string[] = [];
  for (const key of children(idp, MD, 'KeyDescriptor')) {
    const use = key.getAttribute('use');
    if (use && use !== 'signing') continue;
    const found = key.getElementsByTagNameNS(DSIG, 'X509Certificate');
    for (let i = 0; i < found.length; i++) {
      const text = found[i]!;
      const base64 = (text.textContent ?? '').replace(/\s+/g, '');
      let pem: string;
      try {
        pem = new X509Certificate(Buffer.from(base64, 'base64')).toString();
      } catch {
        throw invalid('a signing certificate is not a valid X.509 certificate');
      }
      certificates.push(pem);
    }
  }
  if (certificates.length === 0) throw invalid('it has no signing certificate');
  return { entityId, ssoUrl, certificates };
}

function children(parent: Element, ns: string, name: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as Element).namespaceURI === ns && (node as Element).localName === name) found.push(node as Element);
  }
  return found;
}

/** The IdP's sign-in URL: https, or http on a loopback address (a local or test IdP). */
function checkSsoUrl(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('its single sign-on URL is not a URL');
  }
  const ok = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  if (!ok || url.username || url.password || url.hash) throw invalid('its single sign-on URL must be https (http only on a loopback address)');
}

/** Our entity id for one provider: its metadata URL. */
export function spEntityId(ctx: ServerContext, providerId: string): string {
  return ctx.rp.origins[0]! + API_PREFIX + pathOf(operations.samlMetadata, { id: providerId });
}

/** Our assertion consumer service: where the IdP posts its response. */
export function acsUrl(ctx: ServerContext): string {
  return ctx.rp.origins[0]! + API_PREFIX + operations.samlAcs.path;
}

/** A provider as the admin reads it; a SAML one with what to give the IdP (our entity id and ACS). */
export function withServiceProvider<P extends { id: string; type: 'oidc' | 'saml' }>(ctx: ServerContext, provider: P): P & { serviceProvider?: { entityId: string; acsUrl: string } } {
  return provider.type === 'saml' ? { ...provider, serviceProvider: { entityId: spEntityId(ctx, provider.id), acsUrl: acsUrl(ctx) } } : provider;
}

function samlOf(ctx: ServerContext, provider: IdentityProvidersTable, extra: Partial<SamlConfig> = {}): SAML {
  const idp = parseIdpMetadata(provider.metadata_xml ?? '');
  const entityId = spEntityId(ctx, provider.id);
  return new SAML({
    entryPoint: idp.ssoUrl,
    issuer: entityId,
    audience: entityId,
    callbackUrl: acsUrl(ctx),
    idpCert: idp.certificates,
    idpIssuer: idp.entityId,
    // The assertion itself must be signed: a signed envelope around an unsigned assertion is not enough.
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    identifierFormat: EMAIL_FORMAT,
    // No RequestedAuthnContext: the IdP chooses (and says in AuthnContextClassRef) how it signed the user in.
    disableRequestedAuthnContext: true,
    acceptedClockSkewMs: CLOCK_SKEW_MS,
    signatureAlgorithm: 'sha256',
    // A request is answerable as long as its stored row lives (sessions/strategies/sso.ts).
    requestIdExpirationPeriodMs: 10 * 60_000,
    ...extra,
  });
}

/** The IdP's sign-in URL carrying our AuthnRequest (HTTP-Redirect binding) with this id and RelayState. */
export async function authorizationUrl(ctx: ServerContext, provider: IdentityProvidersTable, requestId: string, relayState: string): Promise<string> {
  return samlOf(ctx, provider, { generateUniqueId: () => requestId, validateInResponseTo: ValidateInResponseTo.never }).getAuthorizeUrlAsync(relayState, undefined, {});
}

/** Our SP metadata for this provider (unsigned: we sign nothing; we want signed assertions). */
export function serviceProviderMetadata(ctx: ServerContext, providerId: string): string {
  return generateServiceProviderMetadata({
    issuer: spEntityId(ctx, providerId),
    callbackUrl: acsUrl(ctx),
    identifierFormat: EMAIL_FORMAT,
    wantAssertionsSigned: true,
  });
}

export interface SamlAssertion {
  assertionId: string;
  /** When the assertion stops being valid (its replay record may go then). */
  expiresAt: number;
  email: string | undefined;
  name: string | undefined;
  /** The AuthnContextClassRef of the signed assertion. */
  authnContextClassRef: string | undefined;
}

/** Why a response was refused, for the audit (never shown to the browser). */
export class SamlRejected extends Error {}

/**
 * Validates the IdP's response to the request `requestId`. Throws SamlRejected for anything the
 * library or we refuse. Everything returned comes from the signed assertion.
 */
export async function validateResponse(ctx: ServerContext, provider: IdentityProvidersTable, samlResponse: string, request: { id: string; issuedAt: number }): Promise<SamlAssertion> {
  const requestId = request.id;
  // The only request this response may answer is the one stored with the RelayState it came with.
  const issued: CacheProvider = {
    saveAsync: async () => null,
    // node-saml reads the value as the instant the request was issued.
    getAsync: async (key) => (key === requestId ? new Date(request.issuedAt).toISOString() : null),
    removeAsync: async () => null,
  };
  const acs = acsUrl(ctx);
  let profile;
  try {
    ({ profile } = await samlOf(ctx, provider, { validateInResponseTo: ValidateInResponseTo.always, cacheProvider: issued }).validatePostResponseAsync({ SAMLResponse: samlResponse }));
  } catch (error) {
    throw new SamlRejected((error as Error).message.slice(0, 200));
  }
  if (!profile?.getAssertion) throw new SamlRejected('no assertion');
  // The verified (signed) assertion, as xml2js parsed it.
  const assertion = (profile.getAssertion() as { Assertion: Xml }).Assertion;
  const assertionId = attr(assertion, 'ID');
  if (!assertionId) throw new SamlRejected('the assertion has no ID');
  // Bearer confirmation for our ACS and for our request, inside the signature (node-saml checks
  // the Response's InResponseTo, which an unsigned envelope could carry for any assertion).
  const confirmations = list(first(assertion, 'Subject'), 'SubjectConfirmation').filter((c) => attr(c, 'Method') === 'urn:oasis:names:tc:SAML:2.0:cm:bearer');
  const data = confirmations.map((c) => first(c, 'SubjectConfirmationData')).filter((d): d is Xml => d !== undefined);
  const ours = data.find((d) => attr(d, 'Recipient') === acs && attr(d, 'InResponseTo') === requestId && attr(d, 'NotOnOrAfter'));
  if (!ours) throw new SamlRejected(data.some((d) => attr(d, 'Recipient') !== acs) ? 'recipient_mismatch' : 'in_response_to_mismatch');
  const conditions = first(assertion, 'Conditions');
  const ends = [attr(ours, 'NotOnOrAfter'), conditions && attr(conditions, 'NotOnOrAfter')].filter((v): v is string => !!v).map((v) => Date.parse(v));
  const expiresAt = Math.max(...ends.filter((v) => Number.isFinite(v))) + CLOCK_SKEW_MS;
  if (!Number.isFinite(expiresAt)) throw new SamlRejected('no NotOnOrAfter');

  const classRef = text(first(first(first(assertion, 'AuthnStatement'), 'AuthnContext'), 'AuthnContextClassRef'));
  const email = profile.nameIDFormat === EMAIL_FORMAT ? profile.nameID : stringAttribute(profile, ['email', 'mail', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress']);
  const name = stringAttribute(profile, ['name', 'displayName', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name']);
  return { assertionId: assertionId.slice(0, 256), expiresAt, email, name, authnContextClassRef: classRef?.slice(0, 200) };
}

type Xml = { $?: Record<string, string>; _?: string } & { [child: string]: unknown };

const list = (node: Xml | undefined, name: string): Xml[] => {
  if (!node) return [];
  const value = Object.entries(node).find(([key]) => key === name || key.endsWith(`:${name}`))?.[1];
  return Array.isArray(value) ? (value as Xml[]) : [];
};
const first = (node: Xml | undefined, name: string): Xml | undefined => list(node, name)[0];
const attr = (node: Xml | undefined, name: string): string | undefined => node?.$?.[name];
const text = (node: Xml | string | undefined): string | undefined => (typeof node === 'string' ? node : node?._)?.trim();

function stringAttribute(profile: Record<string, unknown>, names: string[]): string | undefined {
  const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
  for (const n of names) {
    const v = attributes[n] ?? profile[n];
    const value = Array.isArray(v) ? v[0] : v;
    if (typeof value === 'string' && value.trim()) return value.trim();
  }
  return undefined;
}
