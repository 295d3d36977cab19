// Security-key models (issue 21, PRODUCT.md "Authentication policies"): an account accepts only
// listed models, each key proving its model by an attestation chained to the roots an uploaded
// FIDO MDS3 BLOB lists for it (the BLOB itself chained to the MDS root) or to the admin's own.
// The MDS root here is one the test made, given to the server as `metadataServiceRoots`; the
// production roots (fido-mds-roots.ts) are never loosened for it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_METADATA_BLOB_CHARS } from '../../contract/schemas.js';
import { attestationCertificate, dayFromNow, issue, makeRoot, mdsEntry, signBlob, type TestCertificate } from '../testing/fido-metadata.js';
import { createAccount, createUser, enrolTotp, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { SoftAuthenticator, type SoftAttestation } from '../testing/soft-webauthn.js';

const ALLOWED = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';
const REVOKED = 'ee882879-721c-4913-9775-3dfcce97072a';
const OTHER = '2fc0579f-8113-47ea-b116-bb5a8db9202a';

describe('security-key models', () => {
  let server: TestServer;
  let adminToken: string;
  let origin: string;
  const slug = 'key-models';
  let mdsRoot: TestCertificate;
  let mdsIntermediate: TestCertificate;
  let mdsSigner: TestCertificate;
  let vendorRoot: TestCertificate;
  const batch: Record<string, TestCertificate> = {};
  let goodBlob: string;
  let agents = 0;

  before(async () => {
    mdsRoot = await makeRoot('Test Metadata Root');
    mdsIntermediate = await issue(mdsRoot, 'CN=Test Metadata CA, O=AgentDesk Tests, C=PT', { ca: true });
    mdsSigner = await issue(mdsIntermediate, 'CN=Test Metadata BLOB Signer, O=AgentDesk Tests, C=PT');
    vendorRoot = await makeRoot('Test Keys Attestation Root');
    for (const aaguid of [ALLOWED, REVOKED, OTHER]) batch[aaguid] = await attestationCertificate(vendorRoot, aaguid);
    const entries = [mdsEntry(ALLOWED, [vendorRoot]), mdsEntry(REVOKED, [vendorRoot], ['FIDO_CERTIFIED_L1', 'REVOKED']), mdsEntry(OTHER, [vendorRoot])];
    goodBlob = signBlob({ no: 7, nextUpdate: dayFromNow(30), entries }, mdsSigner, [mdsIntermediate]);

    server = await startTestServer({ openSignup: true, metadataServiceRoots: [mdsRoot.pem] });
    origin = new URL(server.url).origin;
    const account = await createAccount(server, slug);
    adminToken = (await enrolTotp(server, (await signIn(server, slug, account.user.email)).token)).token;
    // A key registered before any rule: never attested, so outside every rule that comes.
    const early = await register(undefined);
    assert.equal(early.res.status, 201, JSON.stringify(early.res.body));
  });
  after(() => server.close());

  const policy = async () => (await server.call('GET', '/account/security-key-policy', { token: adminToken })).body;
  const save = (body: unknown) => server.call('PUT', '/account/security-key-policy', { token: adminToken, body });
  const policyChanges = async () =>
    Number((await server.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', 'account.security_key_policy_changed').executeTakeFirstOrThrow()).n);

  /** A new agent registers a key attested as `attestation` says (undefined: attestation "none"). */
  async function register(attestation: SoftAttestation | undefined) {
    const user = await createUser(server, adminToken, slug, `Agent${++agents}`);
    const token = (await signIn(server, slug, user.email)).token;
    const options = await server.call('POST', '/me/methods/security-keys/options', { token, body: {} });
    assert.equal(options.status, 200);
    const { response } = new SoftAuthenticator().createCredential(options.body, origin, attestation ? { attestation } : {});
    const res = await server.call('POST', '/me/methods/security-keys', { token, body: { name: 'Desk key', response } });
    const keys = await server.db.selectFrom('methods').select(['aaguid', 'confirmed']).where('user_id', '=', user.id).execute();
    return { res, options: options.body, keys };
  }
  const attested = (aaguid: string): SoftAttestation => ({ aaguid, x5c: [batch[aaguid]!.der], privateKey: batch[aaguid]!.privateKey });

  /** Saving `body` is refused with `code` (and `reason`), and the policy and its audit are as they were. */
  async function refused(body: unknown, status: number, code: string, reason?: string) {
    const before = await policy();
    const changes = await policyChanges();
    const res = await save(body);
    assert.equal(res.status, status, JSON.stringify(res.body).slice(0, 300));
    assert.equal(res.body.error.code, code);
    if (reason) assert.equal(res.body.error.reason, reason);
    assert.deepEqual(await policy(), before, 'nothing saved');
    assert.equal(await policyChanges(), changes, 'nothing audited');
  }

  test('bad input is refused with 400 and changes nothing: malformed AAGUIDs, a huge BLOB, a list with nothing to check it, junk roots, no BLOB', async () => {
    // Attack: input built to slip a rule past validation or to exhaust the server (a BLOB of 10 MiB and more).
    assert.deepEqual(await policy(), { allowedAaguids: [], metadata: 'none', trustedRoots: [], metadataBlob: null });
    await refused({ allowedAaguids: ['not-an-aaguid'], metadata: 'fido_mds', metadataBlob: goodBlob }, 400, 'invalid_request');
    await refused({ allowedAaguids: [`${ALLOWED}0`], metadata: 'fido_mds', metadataBlob: goodBlob }, 400, 'invalid_request');
    await refused({ allowedAaguids: [], metadata: 'fido_mds', metadataBlob: 'a'.repeat(MAX_METADATA_BLOB_CHARS + 1) }, 400, 'invalid_request');
    await refused({ allowedAaguids: [], metadata: 'fido_mds', metadataBlob: 'not.a.blob' }, 400, 'metadata_blob_invalid', 'malformed');
    await refused({ allowedAaguids: [], metadata: 'fido_mds' }, 400, 'metadata_blob_invalid', 'missing');
    await refused({ allowedAaguids: [ALLOWED], metadata: 'none' }, 400, 'trust_anchors_required');
    await refused({ allowedAaguids: [], metadata: 'own_roots', trustedRoots: ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'] }, 400, 'trusted_roots_invalid');
    await refused({ allowedAaguids: [], metadata: 'own_roots', trustedRoots: [batch[ALLOWED]!.pem] }, 400, 'trusted_roots_invalid');
    await refused({ allowedAaguids: [], metadata: 'own_roots' }, 400, 'trusted_roots_invalid');
    await refused({ allowedAaguids: [], metadata: 'fido_mds', metadataBlob: goodBlob, extra: 1 }, 400, 'invalid_request');
  });

  test('a BLOB with a broken signature is refused, and nothing changes', async () => {
    // Attack: a BLOB changed after it was signed (a revoked model's status report removed).
    const [header, payload, signature] = goodBlob.split('.');
    const body = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    body.entries[1].statusReports = [{ status: 'FIDO_CERTIFIED_L1', effectiveDate: '2026-01-01' }];
    const forged = `${header}.${Buffer.from(JSON.stringify(body)).toString('base64url')}.${signature}`;
    await refused({ allowedAaguids: [], metadata: 'fido_mds', metadataBlob: forged }, 400, 'metadata_blob_invalid', 'signature');
  });

  test('an expired BLOB (nextUpdate past) is refused, and nothing changes', async () => {
    // Attack: an old BLOB replayed to hide revocations published since (its nextUpdate is past).
    const stale = signBlob({ no: 8, nextUpdate: dayFromNow(-1), entries: [mdsEntry(REVOKED, [vendorRoot])] }, mdsSigner, [mdsIntermediate]);
    await refused({ allowedAaguids: [], metadata: 'fido_mds', metadataBlob: stale }, 400, 'metadata_blob_invalid', 'expired');
  });

  test('a BLOB chained to another root is refused, and nothing changes', async () => {
    // Attack: a BLOB signed under the attacker's own CA, its x5c a valid chain to a root that is not the FIDO Alliance's.
    const otherRoot = await makeRoot('Not The Metadata Root');
    const otherSigner = await issue(otherRoot, 'CN=Test Metadata BLOB Signer, O=AgentDesk Tests, C=PT');
    const blob = signBlob({ no: 9, nextUpdate: dayFromNow(30), entries: [mdsEntry(REVOKED, [vendorRoot])] }, otherSigner, [otherRoot]);
    await refused({ allowedAaguids: [], metadata: 'fido_mds', metadataBlob: blob }, 400, 'metadata_blob_invalid', 'untrusted_root');
  });

  test('a verified BLOB and a list of models are previewed, then saved, audited, and count the keys already outside them', async () => {
    const changes = await policyChanges();
    const preview = await server.call('POST', '/account/security-key-policy/preview', { token: adminToken, body: { allowedAaguids: [ALLOWED], metadata: 'fido_mds', metadataBlob: goodBlob } });
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    assert.equal(preview.body.keysOutsideRule, 1);
    assert.deepEqual(preview.body.allowedAaguids, [ALLOWED]);
    assert.deepEqual(await policy(), { allowedAaguids: [], metadata: 'none', trustedRoots: [], metadataBlob: null }, 'a preview saves nothing');
    assert.equal(await policyChanges(), changes);
    const res = await save({ allowedAaguids: [ALLOWED.toUpperCase(), REVOKED], metadata: 'fido_mds', metadataBlob: goodBlob });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.allowedAaguids, [ALLOWED, REVOKED]);
    assert.equal(res.body.metadata, 'fido_mds');
    assert.equal(res.body.metadataBlob.no, 7);
    assert.equal(res.body.metadataBlob.models, 3);
    assert.equal(res.body.keysOutsideRule, 1, 'the key registered before the rule was never attested');
    assert.deepEqual((await policy()).allowedAaguids, [ALLOWED, REVOKED]);
    const entry = await server.db.selectFrom('audit_events').select('details').where('action', '=', 'account.security_key_policy_changed').executeTakeFirstOrThrow();
    const details = JSON.parse(entry.details);
    assert.deepEqual(details.after.metadataBlob, { no: 7, nextUpdate: res.body.metadataBlob.nextUpdate });
    assert.equal(details.keysOutsideRule, 1);
    // An older BLOB than the one in use could hide a revocation published since.
    const older = signBlob({ no: 6, nextUpdate: dayFromNow(30), entries: [] }, mdsSigner, [mdsIntermediate]);
    await refused({ allowedAaguids: [ALLOWED], metadata: 'fido_mds', metadataBlob: older }, 400, 'metadata_blob_invalid', 'older');
  });

  test('a self-signed attestation claiming an allowed AAGUID is refused, and no key is added', async () => {
    // Attack: a key (or a script) claiming an allowed model's AAGUID with packed self attestation, or with a certificate of its own making.
    const self = await register({ aaguid: ALLOWED, self: true });
    assert.equal(self.options.attestation, 'direct', 'a rule asks for direct attestation');
    assert.equal(self.res.status, 403, JSON.stringify(self.res.body));
    assert.equal(self.res.body.error.code, 'security_key_attestation_untrusted');
    assert.deepEqual(self.keys, []);

    const ownRoot = await makeRoot('Test Keys Attestation Root');
    const forgedCert = await attestationCertificate(ownRoot, ALLOWED);
    const forged = await register({ aaguid: ALLOWED, x5c: [forgedCert.der], privateKey: forgedCert.privateKey });
    assert.equal(forged.res.status, 403, JSON.stringify(forged.res.body));
    assert.equal(forged.res.body.error.code, 'security_key_attestation_untrusted');
    assert.deepEqual(forged.keys, []);

    const none = await register(undefined);
    assert.equal(none.res.status, 403);
    assert.equal(none.res.body.error.code, 'security_key_attestation_untrusted');
    assert.deepEqual(none.keys, []);
  });

  test('a model the BLOB lists as revoked is refused even when on the list, and no key is added', async () => {
    // Attack: registering a model whose attestation key the FIDO Alliance reports revoked.
    const revoked = await register(attested(REVOKED));
    assert.equal(revoked.res.status, 403, JSON.stringify(revoked.res.body));
    assert.equal(revoked.res.body.error.code, 'security_key_model_revoked');
    assert.deepEqual(revoked.keys, []);
  });

  test('a genuine model not on the list is refused, and no key is added', async () => {
    // Attack: a key the account did not buy, correctly attested by its maker.
    const other = await register(attested(OTHER));
    assert.equal(other.res.status, 403, JSON.stringify(other.res.body));
    assert.equal(other.res.body.error.code, 'security_key_model_not_allowed');
    assert.deepEqual(other.keys, []);
  });

  test('an allowed model with a genuine attestation is accepted, and remembered as that model', async () => {
    const good = await register(attested(ALLOWED));
    assert.equal(good.res.status, 201, JSON.stringify(good.res.body));
    assert.deepEqual(good.keys, [{ aaguid: ALLOWED, confirmed: 1 }]);
    // Saved again without a BLOB, the one in use is kept; the new key is inside the rule.
    const again = await save({ allowedAaguids: [ALLOWED], metadata: 'fido_mds' });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.metadataBlob.no, 7);
    assert.equal(again.body.keysOutsideRule, 1);
  });

  test("the admin's own roots: a model chained to them is accepted, another refused", async () => {
    const res = await save({ allowedAaguids: [OTHER], metadata: 'own_roots', trustedRoots: [vendorRoot.pem] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.metadataBlob, null, 'the BLOB goes with fido_mds');
    assert.equal(res.body.keysOutsideRule, 2, 'the unattested key and the one of a model no longer listed');
    assert.equal((await register(attested(OTHER))).res.status, 201);
    const notListed = await register(attested(ALLOWED));
    assert.equal(notListed.res.body.error.code, 'security_key_model_not_allowed');
    const elsewhere = await makeRoot('Another Vendor Root');
    const stranger = await attestationCertificate(elsewhere, OTHER);
    const untrusted = await register({ aaguid: OTHER, x5c: [stranger.der], privateKey: stranger.privateKey });
    assert.equal(untrusted.res.body.error.code, 'security_key_attestation_untrusted');
    // Back to no rule: attestation is no longer asked for, any key is taken.
    const off = await save({ allowedAaguids: [], metadata: 'none' });
    assert.equal(off.status, 200);
    assert.equal(off.body.keysOutsideRule, 0);
    const plain = await register(undefined);
    assert.equal(plain.options.attestation, 'none');
    assert.equal(plain.res.status, 201);
  });
});
