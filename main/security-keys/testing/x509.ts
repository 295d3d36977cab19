import { createSign, type KeyObject } from 'node:crypto';

// Just enough DER to mint the self-signed P-256 certificate a U2F key presents as attestation.

function der(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return new Uint8Array([tag, ...length, ...content]);
}
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const sequence = (...parts: Uint8Array[]) => der(0x30, concat(...parts));
const ECDSA_WITH_SHA256 = sequence(der(0x06, Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02)));

function name(commonName: string): Uint8Array {
  const cn = sequence(der(0x06, Uint8Array.of(0x55, 0x04, 0x03)), der(0x0c, new TextEncoder().encode(commonName)));
  return sequence(der(0x31, cn));
}

export function selfSignedCertificate(privateKey: KeyObject, publicKey: KeyObject, commonName: string): Uint8Array {
  const tbs = sequence(
    der(0xa0, der(0x02, Uint8Array.of(2))), // v3
    der(0x02, Uint8Array.of(0x01, 0x23, 0x45, 0x67)),
    ECDSA_WITH_SHA256,
    name(commonName),
    sequence(der(0x17, new TextEncoder().encode('200101000000Z')), der(0x17, new TextEncoder().encode('491231235959Z'))),
    name(commonName),
    new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
  );
  const signature = createSign('sha256').update(tbs).sign(privateKey);
  return sequence(tbs, ECDSA_WITH_SHA256, der(0x03, concat(Uint8Array.of(0), signature)));
}
