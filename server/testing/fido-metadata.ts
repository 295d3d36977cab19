// Certificates and FIDO Metadata Service BLOBs a test makes for itself: a root it controls in
// place of the FIDO Alliance's (given to the server as `metadataServiceRoots`), a vendor's
// attestation root with the attestation certificate its keys carry (for SoftAuthenticator's
// packed attestation), and BLOBs signed as MDS3 signs them (ES256 JWS, x5c chain in the header).
// Real X.509 through @peculiar/x509 over Node's WebCrypto: nothing here is a stand-in.
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect polyfill first.
import 'reflect-metadata';
import { KeyObject, createPrivateKey, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ES256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface TestCertificate {
  cert: x509.X509Certificate;
  der: Buffer;
  pem: string;
  keys: CryptoKeyPair;
  /** The private key as Node signs with it. */
  privateKey: KeyObject;
}

async function finish(cert: x509.X509Certificate, keys: CryptoKeyPair): Promise<TestCertificate> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as webcrypto.CryptoKey));
  return { cert, der: Buffer.from(cert.rawData), pem: cert.toString('pem'), keys, privateKey: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }) };
}

const RS256 = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as const;
const newKeys = (rsa = false) => webcrypto.subtle.generateKey(rsa ? RS256 : ES256, true, ['sign', 'verify']) as unknown as Promise<CryptoKeyPair>;

/** A self-signed certificate authority (a root). */
export async function makeRoot(name: string, validity: { notBefore?: Date; notAfter?: Date } = {}): Promise<TestCertificate> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}, O=AgentDesk Tests, C=PT`,
    keys,
    signingAlgorithm: ES256,
    notBefore: validity.notBefore ?? new Date(Date.now() - DAY),
    notAfter: validity.notAfter ?? new Date(Date.now() + 365 * DAY),
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  return finish(cert, keys);
}

/** A certificate issued by `issuer`: an intermediate CA, or a leaf (the BLOB signer, an attestation certificate). */
export async function issue(
  issuer: TestCertificate,
  subject: string,
  options: { ca?: boolean; extensions?: x509.Extension[]; rsa?: boolean } = {},
): Promise<TestCertificate> {
  const keys = await newKeys(options.rsa);
  const cert = await x509.X509CertificateGenerator.create({
    subject,
    issuer: issuer.cert.subject,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: ES256,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 180 * DAY),
    extensions: [new x509.BasicConstraintsExtension(options.ca ?? false, undefined, true), ...(options.extensions ?? [])],
  });
  return finish(cert, keys);
}

/**
 * A packed attestation certificate as FIDO2 keys carry (WebAuthn §8.2.1): OU "Authenticator
 * Attestation", not a CA, and the model's AAGUID in id-fido-gen-ce-aaguid.
 */
export function attestationCertificate(issuer: TestCertificate, aaguid: string): Promise<TestCertificate> {
  const octets = Buffer.concat([Buffer.from([0x04, 0x10]), Buffer.from(aaguid.replace(/-/g, ''), 'hex')]);
  return issue(issuer, 'C=PT, O=Test Keys Lda, OU=Authenticator Attestation, CN=Test Key Batch 1', {
    extensions: [new x509.Extension('1.3.6.1.4.1.45724.1.1.4', false, octets)],
  });
}

/** One FIDO2 entry of an MDS3 BLOB. */
export function mdsEntry(aaguid: string, attestationRoots: TestCertificate[], statuses: string[] = ['FIDO_CERTIFIED_L1']) {
  return {
    aaguid,
    metadataStatement: {
      aaguid,
      description: `Test key ${aaguid.slice(0, 8)}`,
      protocolFamily: 'fido2',
      schema: 3,
      attestationTypes: ['basic_full'],
      attestationRootCertificates: attestationRoots.map((r) => r.der.toString('base64')),
    },
    statusReports: statuses.map((status) => ({ status, effectiveDate: '2026-01-01' })),
    timeOfLastStatusChange: '2026-01-01',
  };
}

/** The date `days` from today, as MDS writes nextUpdate. */
export const dayFromNow = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);

/** An MDS3 BLOB: a compact JWS signed by `signer` (RS256 as the FIDO Alliance's, or ES256), its chain (signer first) in x5c. */
export function signBlob(payload: { no: number; nextUpdate: string; entries: unknown[] }, signer: TestCertificate, chain: TestCertificate[] = []): string {
  const rsa = signer.privateKey.asymmetricKeyType === 'rsa';
  const header = { alg: rsa ? 'RS256' : 'ES256', typ: 'JWT', x5c: [signer, ...chain].map((c) => c.der.toString('base64')) };
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const signed = `${part(header)}.${part({ legalHeader: 'Test metadata, not the FIDO Alliance’s.', ...payload })}`;
  const signature = sign('sha256', Buffer.from(signed), rsa ? signer.privateKey : { key: signer.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${signed}.${signature.toString('base64url')}`;
}
