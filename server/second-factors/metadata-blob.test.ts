// The MDS3 BLOB check on its own (metadata-blob.ts), with real certificates and signatures: the
// RS256 form the FIDO Alliance signs with, what is kept of the entries, and malformed headers.
// Over HTTP, with the attacks named, in key-models.test.ts.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { dayFromNow, issue, makeRoot, mdsEntry, signBlob, type TestCertificate } from '../testing/fido-metadata.js';
import { verifyMetadataBlob } from './metadata-blob.js';

const AAGUID = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';
const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('MDS3 BLOB verification', () => {
  let root: TestCertificate;
  let rsaSigner: TestCertificate;
  let vendor: TestCertificate;

  before(async () => {
    root = await makeRoot('Blob Test Root');
    rsaSigner = await issue(root, 'CN=RSA BLOB Signer, O=AgentDesk Tests, C=PT', { rsa: true });
    vendor = await makeRoot('Vendor Root');
  });

  test('an RS256 BLOB (as the FIDO Alliance signs) verifies; only FIDO2 entries are kept, with their roots and statuses', async () => {
    const u2f = { attestationCertificateKeyIdentifiers: ['7c0903708b87115b0b422def3138c3c864e44573'], statusReports: [{ status: 'FIDO_CERTIFIED' }] };
    const blob = signBlob({ no: 3, nextUpdate: dayFromNow(10), entries: [mdsEntry(AAGUID.toUpperCase(), [vendor], ['FIDO_CERTIFIED', 'UPDATE_AVAILABLE']), u2f] }, rsaSigner);
    assert.equal(JSON.parse(Buffer.from(blob.split('.')[0]!, 'base64url').toString()).alg, 'RS256');
    const verified = await verifyMetadataBlob(blob, [root.pem]);
    assert.equal(verified.no, 3);
    assert.deepEqual(verified.entries, [{ aaguid: AAGUID, description: `Test key ${AAGUID.toUpperCase().slice(0, 8)}`, attestationRootCertificates: [vendor.der.toString('base64')], statuses: ['FIDO_CERTIFIED', 'UPDATE_AVAILABLE'] }]);
  });

  test('headers that are not an MDS3 BLOB are refused as malformed: alg none, no x5c, a chain of six', async () => {
    const good = signBlob({ no: 3, nextUpdate: dayFromNow(10), entries: [] }, rsaSigner);
    const [, payload, signature] = good.split('.');
    const x5c = [rsaSigner.der.toString('base64')];
    for (const header of [{ alg: 'none', x5c }, { alg: 'RS256' }, { alg: 'RS256', x5c: Array(6).fill(x5c[0]) }, { alg: 'HS256', x5c }]) {
      await assert.rejects(verifyMetadataBlob(`${part(header)}.${payload}.${signature}`, [root.pem]), (e: { code?: string; reason?: string }) => e.code === 'metadata_blob_invalid' && e.reason === 'malformed', JSON.stringify(header).slice(0, 40));
    }
  });

  test('no roots is a programming error, never "any chain"', async () => {
    const blob = signBlob({ no: 3, nextUpdate: dayFromNow(10), entries: [] }, rsaSigner);
    await assert.rejects(verifyMetadataBlob(blob, []), /at least one root/);
  });
});
