// A software WebAuthn authenticator for the server's tests: makes real ES256 key pairs and
// produces RegistrationResponseJSON / AuthenticationResponseJSON exactly as a browser would
// hand them over, with a settable sign counter. Attestation is "none" unless the test gives one:
// packed with a certificate chain it made (testing/fido-metadata.ts), or packed self attestation
// (signed with the credential's own key: a key vouching for itself).
import { createHash, createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { encode } from 'cborg';

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest();

export interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
  counter: number;
  rpId: string;
  /** A discoverable (resident) credential keeps its user's handle and returns it in assertions. */
  userHandle?: string | undefined;
}

function coseKey(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const map = new Map<number, unknown>([
    [1, 2],
    [3, -7],
    [-1, 1],
    [-2, Buffer.from(jwk.x!, 'base64url')],
    [-3, Buffer.from(jwk.y!, 'base64url')],
  ]);
  return encode(map);
}

/** How a new credential proves its model (WebAuthn §8.2 packed). */
export type SoftAttestation =
  | { aaguid: string; x5c: Buffer[]; privateKey: KeyObject }
  | { aaguid: string; self: true };

function authData(rpId: string, flags: number, counter: number, attested?: Buffer): Buffer {
  const c = Buffer.alloc(4);
  c.writeUInt32BE(counter >>> 0);
  return Buffer.concat([sha256(rpId), Buffer.from([flags]), c, attested ?? Buffer.alloc(0)]);
}

export class SoftAuthenticator {
  /** Counter step per assertion; 0 models keys that never count. */
  constructor(private readonly counterStep = 1, private readonly userVerified = false) {}

  private flags(attested: boolean) {
    return 0x01 | (this.userVerified ? 0x04 : 0) | (attested ? 0x40 : 0);
  }

  /** The discoverable credentials this key holds, as a key with resident-key storage would. */
  readonly resident: SoftCredential[] = [];

  /**
   * `discoverable`: keep the credential (and the user handle from the options) on the key and
   * report credProps.rk, as a browser does for residentKey "required"; `false` reports rk false.
   */
  createCredential(
    options: { challenge: string; rp: { id?: string }; user?: { id: string } },
    origin: string,
    extra: { discoverable?: boolean; attestation?: SoftAttestation } = {},
  ) {
    const rpId = options.rp.id!;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const id = randomBytes(32);
    const credential: SoftCredential = { id, privateKey, publicKey, counter: 0, rpId, userHandle: extra.discoverable ? options.user?.id : undefined };
    if (extra.discoverable) this.resident.push(credential);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(id.length);
    const { attestation } = extra;
    const aaguid = attestation ? Buffer.from(attestation.aaguid.replace(/-/g, ''), 'hex') : Buffer.alloc(16);
    const attested = Buffer.concat([aaguid, len, id, Buffer.from(coseKey(publicKey))]);
    const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin, crossOrigin: false }));
    const data = authData(rpId, this.flags(true), 0, attested);
    let statement: { fmt: string; attStmt: Record<string, unknown> } = { fmt: 'none', attStmt: {} };
    if (attestation) {
      const signed = Buffer.concat([data, sha256(clientDataJSON)]);
      const signer = 'self' in attestation ? privateKey : attestation.privateKey;
      const sig = createSign('sha256').update(signed).sign(signer);
      statement = { fmt: 'packed', attStmt: 'self' in attestation ? { alg: -7, sig } : { alg: -7, sig, x5c: attestation.x5c } };
    }
    const attestationObject = encode({ ...statement, authData: data });
    return {
      credential,
      response: {
        id: b64u(id),
        rawId: b64u(id),
        type: 'public-key' as const,
        response: { clientDataJSON: b64u(clientDataJSON), attestationObject: b64u(attestationObject), transports: ['usb'] },
        clientExtensionResults: extra.discoverable === undefined ? {} : { credProps: { rk: extra.discoverable } },
        authenticatorAttachment: 'cross-platform',
      },
    };
  }

  getAssertion(credential: SoftCredential, options: { challenge: string }, origin: string, counterOverride?: number) {
    credential.counter = counterOverride ?? credential.counter + this.counterStep;
    const data = authData(credential.rpId, this.flags(false), credential.counter);
    const userHandle = credential.userHandle === undefined ? {} : { userHandle: credential.userHandle };
    const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin, crossOrigin: false }));
    const signer = createSign('sha256');
    signer.update(Buffer.concat([data, sha256(clientDataJSON)]));
    const signature = signer.sign(credential.privateKey);
    return {
      id: b64u(credential.id),
      rawId: b64u(credential.id),
      type: 'public-key' as const,
      response: { clientDataJSON: b64u(clientDataJSON), authenticatorData: b64u(data), signature: b64u(signature), ...userHandle },
      clientExtensionResults: {},
      authenticatorAttachment: 'cross-platform',
    };
  }
}
