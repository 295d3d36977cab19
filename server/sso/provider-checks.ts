// "Test this provider" (issue 20): the admin asks an identity provider the questions a sign-in
// will ask, before agents depend on it. Each check has a stable name (contract ProviderCheckName)
// and says what it saw; a network failure is a failed check, never an error of ours, and every
// request is bounded to 5 seconds. Nothing is changed but the audit entry of the outcome.
//
// OIDC: the discovery document read again with openid-client (as a sign-in does), its issuer the
// one configured, the authorization and token endpoints answering, the key set reachable with a
// key that can verify the ID tokens, and the client credentials: a token request with a code that
// cannot exist is answered `invalid_grant` by a provider that accepted the client and
// `invalid_client` by one that did not (RFC 6749 §5.2). SAML: the stored metadata, its signing
// certificate's validity (a warning under 30 days), the SSO URL answering, our SP values.
import { createPublicKey, randomBytes, X509Certificate, type JsonWebKey } from 'node:crypto';
import * as oidc from 'openid-client';
import type { ProviderCheck, ProviderCheckName, ProviderTest } from '../../contract/answers.js';
import { recordAudit, type RequestContext } from '../audit/audit.js';
import type { ServerContext } from '../context.js';
import { callbackUrl } from '../sessions/strategies/sso.js';
import type { IdentityProvidersTable } from '../store/schema.js';
import { checkIssuer, findProvider, isLoopbackHost } from './identity-providers.js';
import { acsUrl, parseIdpMetadata, spEntityId } from './saml.js';

const TIMEOUT_MS = 5_000;
/** oauth4webapi's code for a document attribute (here the issuer) that is not the expected one. */
const JSON_ATTRIBUTE_COMPARISON_FAILED = 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED';
/** A key set larger than this is not read (a real one is a few kilobytes). */
const MAX_JWKS_BYTES = 256 * 1024;
const DAY_MS = 86_400_000;
/** A signing certificate that expires sooner than this passes with a warning. */
const EXPIRY_WARNING_DAYS = 30;

interface Actor {
  accountId: string;
  actorId: string;
  request: RequestContext;
}

/** Tests one provider of the actor's account (another account's is not found) and audits the outcome. */
export async function testProvider(ctx: ServerContext, actor: Actor, id: string): Promise<ProviderTest> {
  const provider = await findProvider(ctx.db, actor.accountId, id);
  const checks = provider.type === 'saml' ? await samlChecks(ctx, provider) : await oidcChecks(ctx, provider);
  const testedAt = Date.now();
  const result: ProviderTest = { providerId: provider.id, ok: checks.every((c) => c.ok !== false), testedAt: new Date(testedAt).toISOString(), checks };
  await recordAudit(ctx.db, {
    accountId: actor.accountId,
    actorId: actor.actorId,
    action: 'identity_provider.tested',
    details: {
      providerId: provider.id,
      name: provider.name,
      type: provider.type,
      ok: result.ok,
      failed: checks.filter((c) => c.ok === false).map((c) => c.check),
      warnings: checks.filter((c) => c.warning).map((c) => c.check),
    },
    request: actor.request,
    at: testedAt,
  });
  return result;
}

const passed = (check: ProviderCheckName, detail: string): ProviderCheck => ({ check, ok: true, detail });
const failed = (check: ProviderCheckName, detail: string): ProviderCheck => ({ check, ok: false, detail });
const notRun = (check: ProviderCheckName, detail: string): ProviderCheck => ({ check, ok: null, detail });

/** Why a request got no answer, in a line: the system's error code, or the timeout. */
function networkFailure(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string; name?: string } };
  if (e.name === 'TimeoutError' || e.cause?.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  return (e.cause?.code ?? e.cause?.message ?? e.message ?? String(error)).slice(0, 200);
}

/** https, or http on a loopback address: the only addresses the server asks anything. */
function checkedUrl(value: string | undefined): URL | string {
  if (!value) return 'not given';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `not a URL: ${value.slice(0, 200)}`;
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))) return url;
  return `${url.href} is not https (http only on a loopback address)`;
}

/** An HTTP request that gets any answer passes: the address exists and something is listening. */
async function answers(check: ProviderCheckName, value: string | undefined, method: 'GET' | 'POST'): Promise<ProviderCheck> {
  const url = checkedUrl(value);
  if (typeof url === 'string') return failed(check, url);
  try {
    const res = await fetch(url, { method, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.body?.cancel();
    return passed(check, `${url.href} answered HTTP ${res.status}`);
  } catch (error) {
    return failed(check, `${url.href}: ${networkFailure(error)}`);
  }
}

// ---- OpenID Connect

async function oidcChecks(ctx: ServerContext, provider: IdentityProvidersTable): Promise<ProviderCheck[]> {
  const issuer = provider.issuer ?? '';
  const wellKnown = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const dependents: ProviderCheckName[] = ['oidc.authorization_endpoint', 'oidc.token_endpoint', 'oidc.client_credentials', 'oidc.jwks'];
  const skipped = (why: string) => dependents.map((c) => notRun(c, why));
  let config: oidc.Configuration;
  try {
    const url = checkIssuer(issuer);
    config = await oidc.discovery(url, provider.client_id ?? '', ctx.box.open(provider.client_secret ?? ''), undefined, {
      ...(url.protocol === 'http:' && { execute: [oidc.allowInsecureRequests] }),
      timeout: TIMEOUT_MS / 1000,
    });
  } catch (error) {
    // openid-client names the mismatch itself (cause {attribute, body}); oauth4webapi one level down.
    type Comparison = { attribute?: string; body?: { issuer?: unknown } };
    const e = error as { code?: string; cause?: Comparison & { cause?: Comparison } };
    const comparison = e.cause?.attribute ? e.cause : e.cause?.cause;
    if (e.code === JSON_ATTRIBUTE_COMPARISON_FAILED && comparison?.attribute === 'issuer') {
      // The document was read, and names another issuer: nothing in it can be trusted for this one.
      return [
        passed('oidc.discovery', `${wellKnown} was read`),
        failed('oidc.issuer', `the document names the issuer ${String(comparison.body?.issuer).slice(0, 200)}, not ${issuer}`),
        ...skipped('Not run: the configuration is for another issuer.'),
      ];
    }
    return [failed('oidc.discovery', `${wellKnown}: ${discoveryFailure(error)}`), notRun('oidc.issuer', 'Not run: needs the OpenID configuration.'), ...skipped('Not run: needs the OpenID configuration.')];
  }
  const metadata = config.serverMetadata();
  const token = await answers('oidc.token_endpoint', metadata.token_endpoint, 'POST');
  const [authorization, jwks, credentials] = await Promise.all([
    answers('oidc.authorization_endpoint', metadata.authorization_endpoint, 'GET'),
    keySet(metadata.jwks_uri, metadata.id_token_signing_alg_values_supported),
    token.ok ? clientCredentials(ctx, config) : Promise.resolve(notRun('oidc.client_credentials', 'Not run: the token endpoint did not answer.')),
  ]);
  return [passed('oidc.discovery', `${wellKnown} was read`), passed('oidc.issuer', `the document names ${metadata.issuer}`), authorization, token, credentials, jwks];
}

function discoveryFailure(error: unknown): string {
  const e = error as { code?: string; message?: string; cause?: unknown };
  if (e.code === 'invalid_issuer') return 'the issuer is not https (http only on a loopback address)';
  const status = (e.cause as { status?: number } | undefined)?.status;
  if (typeof status === 'number') return `HTTP ${status}`;
  if (e.code) return `${e.message ?? e.code}`.slice(0, 200);
  return networkFailure(error);
}

/** Kinds of key each JWS algorithm family is verified with. */
function keyTypeOf(alg: string): string | undefined {
  if (/^(RS|PS)\d+$/.test(alg)) return 'RSA';
  if (/^ES\d+K?$/.test(alg)) return 'EC';
  if (alg === 'EdDSA' || alg === 'Ed25519') return 'OKP';
  return undefined;
}

/** The body as text, or undefined (and the rest not read) once it passes `limit` bytes. */
async function textUpTo(res: Response, limit: number): Promise<string | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (!res.body) return '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    // Leaving the loop cancels the rest of the stream.
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The key set is read, and holds a public key that can verify an ID token the provider signs. */
async function keySet(value: string | undefined, algorithms: string[] | undefined): Promise<ProviderCheck> {
  const check = 'oidc.jwks';
  // ID tokens signed with the client secret (HS256...) need no key set.
  if (algorithms?.length && algorithms.every((alg) => /^HS\d+$/.test(alg))) return passed(check, `ID tokens are signed with the client secret (${algorithms.join('/')}): no key set needed`);
  const url = checkedUrl(value);
  if (typeof url === 'string') return failed(check, `jwks_uri ${url}`);
  let body: string;
  try {
    const res = await fetch(url, { headers: { accept: 'application/json, application/jwk-set+json' }, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (res.status !== 200) {
      await res.body?.cancel();
      return failed(check, `${url.href} answered HTTP ${res.status}`);
    }
    const read = await textUpTo(res, MAX_JWKS_BYTES);
    if (read === undefined) return failed(check, `${url.href}: the key set is larger than ${MAX_JWKS_BYTES / 1024} KB`);
    body = read;
  } catch (error) {
    return failed(check, `${url.href}: ${networkFailure(error)}`);
  }
  let keys: unknown;
  try {
    keys = (JSON.parse(body) as { keys?: unknown }).keys;
  } catch {
    return failed(check, `${url.href} is not JSON`);
  }
  if (!Array.isArray(keys)) return failed(check, `${url.href} has no "keys" array`);
  // No algorithm listed: ID tokens are RS256 (OpenID Connect Discovery §3).
  const wanted = new Set((algorithms ?? ['RS256']).map(keyTypeOf).filter(Boolean));
  const usable = keys.filter((key: JsonWebKey & { use?: string; key_ops?: string[]; kid?: string }) => {
    if (!key || typeof key !== 'object' || key.use === 'enc' || (key.key_ops && !key.key_ops.includes('verify'))) return false;
    if (!wanted.has(String(key.kty))) return false;
    if ('d' in key) return false; // a private key has no business in a public key set
    try {
      return createPublicKey({ key, format: 'jwk' }).type === 'public';
    } catch {
      return false;
    }
  }) as { kid?: string; kty: string }[];
  if (usable.length === 0) return failed(check, `${url.href}: ${keys.length} key(s), none can verify ${[...(algorithms ?? ['RS256'])].join('/')} ID tokens`);
  const names = usable.map((k) => (k.kid ? `${k.kty} ${String(k.kid).slice(0, 60)}` : k.kty)).slice(0, 5);
  return passed(check, `${url.href}: ${usable.length} of ${keys.length} key(s) can verify ID tokens (${names.join(', ')})`);
}

/**
 * A token request with a code nobody issued, authenticated as a sign-in authenticates: the
 * provider answers invalid_grant once it has accepted the client, invalid_client (or 401) if
 * not. Any other answer says nothing about the credentials: they are checked at the first sign-in.
 */
async function clientCredentials(ctx: ServerContext, config: oidc.Configuration): Promise<ProviderCheck> {
  const check = 'oidc.client_credentials';
  const later = 'they are checked at the first sign-in';
  try {
    await oidc.genericGrantRequest(config, 'authorization_code', {
      code: `agentdesk-provider-test-${randomBytes(16).toString('hex')}`,
      redirect_uri: callbackUrl(ctx),
      code_verifier: randomBytes(32).toString('base64url'),
    });
    return failed(check, 'the provider issued tokens for a code that does not exist');
  } catch (error) {
    const e = error as { error?: string; status?: number; error_description?: string; cause?: unknown; code?: string };
    if (error instanceof oidc.WWWAuthenticateChallengeError || e.error === 'invalid_client' || e.error === 'unauthorized_client' || e.status === 401) {
      return failed(check, `the token endpoint refused the client id and secret (${e.error ?? `HTTP ${e.status}`}${e.error_description ? `: ${e.error_description.slice(0, 150)}` : ''})`);
    }
    if (e.error === 'invalid_grant') return passed(check, 'the token endpoint accepted the client id and secret (a made-up code was refused as invalid_grant)');
    if (e.error) return notRun(check, `the token endpoint answered ${e.error}: ${later}`);
    return notRun(check, `the token endpoint's answer was not conclusive (${networkFailure(error)}): ${later}`);
  }
}

// ---- SAML 2.0

async function samlChecks(ctx: ServerContext, provider: IdentityProvidersTable): Promise<ProviderCheck[]> {
  const ours = serviceProviderCheck(ctx, provider.id);
  let metadata;
  try {
    metadata = parseIdpMetadata(provider.metadata_xml ?? '');
  } catch (error) {
    return [
      failed('saml.metadata', (error as Error).message),
      notRun('saml.signing_certificate', 'Not run: needs the metadata.'),
      notRun('saml.sso_url', 'Not run: needs the metadata.'),
      ours,
    ];
  }
  return [
    passed('saml.metadata', `entity id ${metadata.entityId}`),
    signingCertificate(metadata.certificates),
    await answers('saml.sso_url', metadata.ssoUrl, 'GET'),
    ours,
  ];
}

/** Passes while one certificate is valid now; the one that lasts longest is reported, with a warning under 30 days. */
function signingCertificate(pems: string[], now = Date.now()): ProviderCheck {
  const check = 'saml.signing_certificate';
  const certs = pems.map((pem) => new X509Certificate(pem));
  const byEnd = [...certs].sort((a, b) => Date.parse(b.validTo) - Date.parse(a.validTo));
  const current = byEnd.find((c) => Date.parse(c.validFrom) <= now && now < Date.parse(c.validTo));
  const subject = (c: X509Certificate) => c.subject.replace(/\n/g, ', ').slice(0, 120);
  if (!current) {
    const latest = byEnd[0]!;
    const end = new Date(Date.parse(latest.validTo));
    const notYet = Date.parse(latest.validFrom) > now;
    return {
      check,
      ok: false,
      detail: notYet ? `${subject(latest)} is not valid before ${new Date(Date.parse(latest.validFrom)).toISOString()}` : `${subject(latest)} expired on ${end.toISOString()}: ask the provider for its new metadata`,
      expiresAt: end.toISOString(),
    };
  }
  const end = Date.parse(current.validTo);
  const days = Math.floor((end - now) / DAY_MS);
  const warning = days < EXPIRY_WARNING_DAYS;
  return {
    check,
    ok: true,
    detail: `${subject(current)} expires on ${new Date(end).toISOString()} (in ${days} day${days === 1 ? '' : 's'})${warning ? ': ask the provider for its new metadata soon' : ''}`,
    expiresAt: new Date(end).toISOString(),
    ...(warning && { warning: true }),
  };
}

/** What the IdP must be given, and that it can post there: https (http only on a loopback address). */
function serviceProviderCheck(ctx: ServerContext, providerId: string): ProviderCheck {
  const entityId = spEntityId(ctx, providerId);
  const acs = acsUrl(ctx);
  const url = checkedUrl(acs);
  const values = `entity id ${entityId}, ACS ${acs}`;
  return typeof url === 'string' ? failed('saml.service_provider', `${values}: the ACS ${url}`) : passed('saml.service_provider', values);
}
