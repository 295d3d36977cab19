// A signing key for the tests' identity providers (saml-idp.ts, samlify-idp.ts, the e2e
// metadata): an RSA-2048 key pair and its self-signed X.509 certificate, made at start with
// WebCrypto and @peculiar/x509. Nothing of AgentDesk is imported.
import 'reflect-metadata';
import { createPrivateKey, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const RS256 = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as const;

export interface SigningKey {
  /** PEM private key. */
  key: string;
  /** Base64 DER certificate, as metadata carries it. */
  certificate: string;
}

/** A key pair and its self-signed certificate (valid from yesterday for a year unless `validity` says otherwise). */
export async function newSigningKey(name = 'Test IdP', validity: { notBefore?: Date; notAfter?: Date } = {}): Promise<SigningKey> {
  const keys = (await webcrypto.subtle.generateKey(RS256, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]["keys"],
    signingAlgorithm: RS256,
    notBefore: validity.notBefore ?? new Date(Date.now() - 86_400_000),
    notAfter: validity.notAfter ?? new Date(Date.now() + 365 * 86_400_000),
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString();
  return { key, certificate: Buffer.from(cert.rawData).toString('base64') };
}
