// A FIDO Metadata Service v3 BLOB (https://fidoalliance.org/specs/mds/fido-metadata-service-v3.0-ps-20210518.html
// §3.1.8 "Metadata BLOB object processing rules"), checked before anything in it is believed: a
// compact JWS whose header x5c must chain to the FIDO roots (fido-mds-roots.ts; a test gives
// its own), whose signature must verify with that chain's leaf, and whose nextUpdate must not be
// past. The chain is built by @simplewebauthn/server's validateCertificatePath, the one its own
// verifyMDSBlob uses (which reads process-wide roots, so it cannot serve one account's upload).
import { X509Certificate, constants, verify } from 'node:crypto';
import { validateCertificatePath } from '@simplewebauthn/server/helpers';
import { DomainError } from '../errors.js';

/** What is kept of one FIDO2 entry: enough to decide on a key's registration. */
export interface ModelEntry {
  aaguid: string;
  description: string;
  /** The model's attestation roots, base64 DER as in the statement. */
  attestationRootCertificates: string[];
  statuses: string[];
}

export interface VerifiedBlob {
  no: number;
  /** YYYY-MM-DD. */
  nextUpdate: string;
  entries: ModelEntry[];
}

export type BlobRefusal = 'malformed' | 'signature' | 'untrusted_root' | 'expired' | 'older';

const MESSAGES: Record<BlobRefusal, string> = {
  malformed: 'This is not a FIDO Metadata Service BLOB (a signed JWT from https://mds3.fidoalliance.org/).',
  signature: 'The BLOB’s signature does not verify: it was changed after the FIDO Alliance signed it.',
  untrusted_root: 'The BLOB is not signed under the FIDO Alliance’s root certificate.',
  expired: 'The BLOB is out of date (its next update is past). Download the current one from https://mds3.fidoalliance.org/.',
  older: 'This BLOB is older than the one already uploaded.',
};

export function blobRefused(reason: BlobRefusal): DomainError {
  const error = new DomainError('metadata_blob_invalid', MESSAGES[reason]);
  error.reason = reason;
  return error;
}

/** The statuses that make a model unacceptable (FIDO MDS AuthenticatorStatus). */
export const REFUSED_STATUSES: ReadonlySet<string> = new Set([
  'REVOKED',
  'USER_VERIFICATION_BYPASS',
  'ATTESTATION_KEY_COMPROMISE',
  'USER_KEY_REMOTE_COMPROMISE',
  'USER_KEY_PHYSICAL_COMPROMISE',
]);

const AAGUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function json(part: string): unknown {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

/** The JWS algorithms MDS3 BLOBs are signed with, as Node's verify() options. */
function verifyJws(alg: unknown, key: X509Certificate['publicKey'], data: Buffer, signature: Buffer): boolean {
  switch (alg) {
    case 'RS256':
      return verify('sha256', data, key, signature);
    case 'PS256':
      return verify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
    case 'ES256':
      return verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    default:
      throw blobRefused('malformed');
  }
}

/** Today as YYYY-MM-DD (UTC), comparable with nextUpdate as text. */
export const today = (now = new Date()) => now.toISOString().slice(0, 10);

/**
 * Verifies a BLOB against `roots` (never empty: an empty list would let any chain through
 * validateCertificatePath) and returns its FIDO2 entries. Refusals carry a BlobRefusal reason.
 */
export async function verifyMetadataBlob(blob: string, roots: readonly string[], now = new Date()): Promise<VerifiedBlob> {
  if (!roots.length) throw new Error('verifyMetadataBlob needs at least one root');
  const parts = blob.trim().split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) throw blobRefused('malformed');
  let header: { alg?: unknown; x5c?: unknown };
  let chain: X509Certificate[];
  try {
    header = json(parts[0]!) as typeof header;
    if (!Array.isArray(header.x5c) || header.x5c.length < 1 || header.x5c.length > 5) throw new Error('x5c');
    chain = header.x5c.map((c) => new X509Certificate(Buffer.from(String(c), 'base64')));
  } catch {
    throw blobRefused('malformed');
  }
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  let good: boolean;
  try {
    good = verifyJws(header.alg, chain[0]!.publicKey, signed, Buffer.from(parts[2]!, 'base64url'));
  } catch (error) {
    if (error instanceof DomainError) throw error;
    good = false;
  }
  if (!good) throw blobRefused('signature');
  try {
    await validateCertificatePath(chain.map((c) => c.toString()), [...roots]);
  } catch {
    throw blobRefused('untrusted_root');
  }
  let payload: { no?: unknown; nextUpdate?: unknown; entries?: unknown };
  try {
    payload = json(parts[1]!) as typeof payload;
  } catch {
    throw blobRefused('malformed');
  }
  const { no, nextUpdate, entries } = payload;
  if (!Number.isSafeInteger(no) || typeof nextUpdate !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(nextUpdate) || !Array.isArray(entries)) {
    throw blobRefused('malformed');
  }
  if (nextUpdate < today(now)) throw blobRefused('expired');
  const models: ModelEntry[] = [];
  type Entry = { aaguid?: unknown; metadataStatement?: { description?: unknown; attestationRootCertificates?: unknown }; statusReports?: unknown };
  for (const entry of entries as Entry[]) {
    const aaguid = typeof entry?.aaguid === 'string' ? entry.aaguid.toLowerCase() : '';
    // U2F and UAF entries (attestationCertificateKeyIdentifiers, aaid) have no AAGUID to list.
    if (!AAGUID.test(aaguid)) continue;
    const statement = entry.metadataStatement ?? {};
    models.push({
      aaguid,
      description: typeof statement.description === 'string' ? statement.description.slice(0, 200) : '',
      attestationRootCertificates: Array.isArray(statement.attestationRootCertificates) ? statement.attestationRootCertificates.filter((c: unknown) => typeof c === 'string') : [],
      statuses: Array.isArray(entry.statusReports) ? entry.statusReports.map((r: { status?: unknown }) => String(r?.status)) : [],
    });
  }
  return { no: no as number, nextUpdate, entries: models };
}
