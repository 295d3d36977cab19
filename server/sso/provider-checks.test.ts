// "Test this provider" against real providers: oidc-provider on a loopback port (and, for the
// failures, a front for it on another port that serves its discovery document under its own
// issuer and can stop answering, point jwks_uri at a closed port, or name another issuer), and
// the test SAML IdP's metadata with certificates that are valid, expire soon, or expired.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { accountWithSignedInAdmin, createUser, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { startOpenIdProvider, type TestOpenIdProvider } from '../testing/oidc-provider.js';
import { metadataXml, startSamlIdp, type TestSamlIdp } from '../testing/saml-idp.js';
import { newSigningKey } from '../testing/signing-key.js';
import { reserveFreePort } from '../free-port.js';

interface Check {
  check: string;
  ok: boolean | null;
  detail: string;
  warning?: boolean;
  expiresAt?: string;
}

type FrontMode = 'good' | 'down' | 'jwks-unreachable' | 'jwks-encryption-only' | 'other-issuer';

/**
 * An issuer of its own whose discovery document is the real provider's (its endpoints still the
 * provider's), so every check but the one a test breaks passes against the real provider.
 */
async function startDiscoveryFront(op: TestOpenIdProvider, closedPort: number): Promise<{ issuer: string; mode: FrontMode; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (front.mode === 'jwks-encryption-only' && req.url === '/jwks') {
        // A key set that holds only an encryption key: nothing to verify an ID token with.
        const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), use: 'enc', kid: 'enc-1' }] }));
        return;
      }
      if (front.mode === 'down' || req.url !== '/.well-known/openid-configuration') {
        res.writeHead(503).end();
        return;
      }
      const doc = (await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      if (front.mode !== 'other-issuer') doc.issuer = front.issuer;
      if (front.mode === 'jwks-unreachable') doc.jwks_uri = `http://127.0.0.1:${closedPort}/jwks`;
      if (front.mode === 'jwks-encryption-only') doc.jwks_uri = `${front.issuer}/jwks`;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const front = {
    issuer: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    mode: 'good' as FrontMode,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return front;
}

describe('testing an identity provider', () => {
  let server: TestServer;
  let op: TestOpenIdProvider;
  let idp: TestSamlIdp;
  let closedPort: number;

  before(async () => {
    server = await startTestServer({ openSignup: true });
    op = await startOpenIdProvider({ redirectUris: [`${server.url}/api/v1/sso/oidc/callback`] });
    idp = await startSamlIdp();
    // A port nothing listens on: a key set, or an SSO URL, that cannot be reached.
    closedPort = await reserveFreePort('127.0.0.1');
  });
  after(async () => {
    await idp.close();
    await op.close();
    await server.close();
  });

  const account = (slug: string) => accountWithSignedInAdmin(server, slug);

  async function addOidc(adminToken: string, body: Record<string, unknown> = {}) {
    const res = await server.call('POST', '/account/identity-providers', {
      token: adminToken,
      body: { type: 'oidc', name: 'Okta', issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret, trustMfa: false, jitProvisioning: false, ...body },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.provider.id as string;
  }

  async function addSaml(adminToken: string, xml: string) {
    const res = await server.call('POST', '/account/identity-providers', { token: adminToken, body: { type: 'saml', name: 'Entra ID', metadataXml: xml, trustMfa: false, jitProvisioning: false } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.provider.id as string;
  }

  async function runTest(token: string, id: string) {
    const res = await server.call('POST', `/account/identity-providers/${id}/test`, { token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { providerId: string; ok: boolean; checks: Check[] };
  }

  const named = (checks: Check[], outcome: boolean | null) => checks.filter((c) => c.ok === outcome).map((c) => c.check);
  const check = (checks: Check[], name: string) => checks.find((c) => c.check === name)!;

  const lastTestAudit = async (accountId: string) => {
    const row = await server.db.selectFrom('audit_events').select(['details', 'actor_id']).where('account_id', '=', accountId).where('action', '=', 'identity_provider.tested').orderBy('id', 'desc').executeTakeFirstOrThrow();
    return JSON.parse(row.details) as { providerId: string; ok: boolean; failed: string[]; warnings: string[] };
  };

  test('a good OpenID Connect provider passes every check, credentials included, and the test is audited', async () => {
    const a = await account('test-oidc-good');
    const id = await addOidc(a.adminToken);
    const result = await runTest(a.adminToken, id);
    assert.equal(result.providerId, id);
    assert.deepEqual(
      result.checks.map((c) => [c.check, c.ok]),
      [
        ['oidc.discovery', true],
        ['oidc.issuer', true],
        ['oidc.authorization_endpoint', true],
        ['oidc.token_endpoint', true],
        ['oidc.client_credentials', true],
        ['oidc.jwks', true],
      ],
      JSON.stringify(result.checks, null, 1),
    );
    assert.equal(result.ok, true);
    assert.match(check(result.checks, 'oidc.jwks').detail, /can verify ID tokens \(RSA/);
    assert.deepEqual(await lastTestAudit(a.id), { providerId: id, name: 'Okta', type: 'oidc', ok: true, failed: [], warnings: [] });
  });

  test('a wrong client secret fails the credentials check alone', async () => {
    const a = await account('test-oidc-secret');
    const id = await addOidc(a.adminToken, { clientSecret: 'not-the-secret-the-provider-knows' });
    const result = await runTest(a.adminToken, id);
    assert.deepEqual(named(result.checks, false), ['oidc.client_credentials'], JSON.stringify(result.checks, null, 1));
    assert.match(check(result.checks, 'oidc.client_credentials').detail, /refused the client id and secret \(invalid_client/);
    assert.equal(result.ok, false);
  });

  test('an issuer whose discovery now fails fails that check; the checks that need it are not run; a 5xx of ours never', async () => {
    const front = await startDiscoveryFront(op, closedPort);
    try {
      const a = await account('test-oidc-down');
      const id = await addOidc(a.adminToken, { issuer: front.issuer });
      front.mode = 'down';
      const result = await runTest(a.adminToken, id);
      assert.deepEqual(named(result.checks, false), ['oidc.discovery'], JSON.stringify(result.checks, null, 1));
      assert.match(check(result.checks, 'oidc.discovery').detail, /openid-configuration: HTTP 503/);
      assert.deepEqual(named(result.checks, null), ['oidc.issuer', 'oidc.authorization_endpoint', 'oidc.token_endpoint', 'oidc.client_credentials', 'oidc.jwks']);
      assert.equal(result.ok, false);
      assert.deepEqual((await lastTestAudit(a.id)).failed, ['oidc.discovery']);

      // Nothing listens at the issuer any more: still a failed check, within the 5 s bound.
      await front.close();
      const started = Date.now();
      const gone = await runTest(a.adminToken, id);
      assert.deepEqual(named(gone.checks, false), ['oidc.discovery']);
      assert.match(check(gone.checks, 'oidc.discovery').detail, /ECONNREFUSED/);
      assert.ok(Date.now() - started < 6_000);
    } finally {
      await front.close();
    }
  });

  test('a key set that cannot be reached, or holds no key that can verify an ID token, fails that check alone', async () => {
    const front = await startDiscoveryFront(op, closedPort);
    try {
      const a = await account('test-oidc-jwks');
      const id = await addOidc(a.adminToken, { issuer: front.issuer });
      assert.equal((await runTest(a.adminToken, id)).ok, true, 'the front passes as the provider does');
      front.mode = 'jwks-unreachable';
      const result = await runTest(a.adminToken, id);
      assert.deepEqual(named(result.checks, false), ['oidc.jwks'], JSON.stringify(result.checks, null, 1));
      assert.match(check(result.checks, 'oidc.jwks').detail, new RegExp(`127\\.0\\.0\\.1:${closedPort}/jwks: ECONNREFUSED`));
      assert.deepEqual(named(result.checks, null), []);

      front.mode = 'jwks-encryption-only';
      const unusable = await runTest(a.adminToken, id);
      assert.deepEqual(named(unusable.checks, false), ['oidc.jwks']);
      assert.match(check(unusable.checks, 'oidc.jwks').detail, /1 key\(s\), none can verify/);
    } finally {
      await front.close();
    }
  });

  test('a discovery document that names another issuer fails the issuer check', async () => {
    const front = await startDiscoveryFront(op, closedPort);
    try {
      const a = await account('test-oidc-issuer');
      const id = await addOidc(a.adminToken, { issuer: front.issuer });
      front.mode = 'other-issuer';
      const result = await runTest(a.adminToken, id);
      assert.deepEqual(named(result.checks, true), ['oidc.discovery']);
      assert.deepEqual(named(result.checks, false), ['oidc.issuer'], JSON.stringify(result.checks, null, 1));
      assert.match(check(result.checks, 'oidc.issuer').detail, new RegExp(`names the issuer ${op.issuer}`));
    } finally {
      await front.close();
    }
  });

  test('a SAML provider passes every check with our entity id and ACS, and the SSO URL answering', async () => {
    const a = await account('test-saml-good');
    const id = await addSaml(a.adminToken, idp.metadataXml);
    const result = await runTest(a.adminToken, id);
    assert.deepEqual(result.checks.map((c) => [c.check, c.ok]), [['saml.metadata', true], ['saml.signing_certificate', true], ['saml.sso_url', true], ['saml.service_provider', true]], JSON.stringify(result.checks, null, 1));
    assert.equal(result.ok, true);
    const cert = check(result.checks, 'saml.signing_certificate');
    assert.equal(cert.warning, undefined);
    assert.ok(Date.parse(cert.expiresAt!) > Date.now() + 300 * 86_400_000);
    assert.match(check(result.checks, 'saml.sso_url').detail, /\/sso answered HTTP 404/);
    assert.equal(check(result.checks, 'saml.service_provider').detail, `entity id ${server.url}/api/v1/sso/saml/metadata/${id}, ACS ${server.url}/api/v1/sso/saml/acs`);
  });

  test('a SAML certificate that expired fails that check; one that expires within 30 days passes with a warning; an SSO URL nobody answers fails', async () => {
    const a = await account('test-saml-cert');
    const expired = await newSigningKey('Expired IdP', { notBefore: new Date(Date.now() - 400 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const expiredId = await addSaml(a.adminToken, metadataXml('https://sts.example.test/expired', idp.ssoUrl, expired.certificate));
    const result = await runTest(a.adminToken, expiredId);
    assert.deepEqual(named(result.checks, false), ['saml.signing_certificate'], JSON.stringify(result.checks, null, 1));
    assert.match(check(result.checks, 'saml.signing_certificate').detail, /CN=Expired IdP expired on/);
    assert.equal(result.ok, false);
    assert.deepEqual(await lastTestAudit(a.id), { providerId: expiredId, name: 'Entra ID', type: 'saml', ok: false, failed: ['saml.signing_certificate'], warnings: [] });

    const soon = await newSigningKey('Soon IdP', { notAfter: new Date(Date.now() + 10 * 86_400_000) });
    const soonId = await addSaml(a.adminToken, metadataXml('https://sts.example.test/soon', `http://127.0.0.1:${closedPort}/sso`, soon.certificate));
    const warned = await runTest(a.adminToken, soonId);
    const cert = check(warned.checks, 'saml.signing_certificate');
    assert.deepEqual([cert.ok, cert.warning], [true, true]);
    assert.match(cert.detail, /in (9|10) days/);
    assert.deepEqual(named(warned.checks, false), ['saml.sso_url']);
    assert.deepEqual((await lastTestAudit(a.id)).warnings, ['saml.signing_certificate']);
  });

  test('an SSO URL that accepts the connection and never answers fails within the 5 s bound', async () => {
    // Attack: a provider (or a host behind it) that holds the request open, to tie up the server's test.
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const a = await account('test-saml-silent');
      const id = await addSaml(a.adminToken, metadataXml('https://sts.example.test/silent', `http://127.0.0.1:${(silent.address() as AddressInfo).port}/sso`, idp.key.certificate));
      const started = Date.now();
      const result = await runTest(a.adminToken, id);
      const elapsed = Date.now() - started;
      assert.deepEqual(named(result.checks, false), ['saml.sso_url']);
      assert.match(check(result.checks, 'saml.sso_url').detail, /no answer within 5 s/);
      assert.ok(elapsed >= 4_900 && elapsed < 8_000, `${elapsed} ms`);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test('an agent is refused with 403, another account\'s or an unknown provider is 404, and neither is audited', async () => {
    const a = await account('test-access');
    const b = await account('test-access-b');
    const id = await addOidc(a.adminToken);
    const agent = await createUser(server, a.adminToken, a.slug, 'Agnes');
    const agentToken = (await signIn(server, a.slug, agent.email)).token;
    const forbidden = await server.call('POST', `/account/identity-providers/${id}/test`, { token: agentToken });
    assert.equal(forbidden.status, 403);
    const unknown = await server.call('POST', '/account/identity-providers/no-such-provider/test', { token: a.adminToken });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
    const others = await server.call('POST', `/account/identity-providers/${id}/test`, { token: b.adminToken });
    assert.equal(others.status, 404);
    const audited = await server.db.selectFrom('audit_events').select('id').where('action', '=', 'identity_provider.tested').where('account_id', 'in', [a.id, b.id]).execute();
    assert.equal(audited.length, 0);
  });
});
