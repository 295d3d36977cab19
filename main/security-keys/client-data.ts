import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { SecurityKeyError } from './errors.js';

// WebAuthn §5.8.1 CollectedClientData, serialised in the spec's order so servers that compare
// bytes or parse JSON both accept it.
export function buildClientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): { json: Uint8Array; hash: Uint8Array } {
  // Views on the bytes Node hands out: a copy into a fresh ArrayBuffer cost more than hashing.
  const json = view(Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8'));
  return { json, hash: sha256(json) };
}

export function sha256(data: Uint8Array | string): Uint8Array {
  return view(createHash('sha256').update(data).digest());
}

/** The same bytes as a plain Uint8Array, without copying them. */
function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/**
 * Normalises the server origin and checks that the RP ID may be used from it, as a browser
 * would: same host or a parent domain, https (or http on localhost), never an IP address.
 */
export function checkOrigin(origin: string, rpId: string): string {
  // One origin and RP ID for every ceremony of a running app: remember the few that passed.
  const key = `${origin}\n${rpId}`;
  const known = checkedOrigins.get(key);
  if (known !== undefined) return known;
  const checked = checkOriginUncached(origin, rpId);
  if (checkedOrigins.size >= 16) checkedOrigins.clear();
  checkedOrigins.set(key, checked);
  return checked;
}

const checkedOrigins = new Map<string, string>();

function checkOriginUncached(origin: string, rpId: string): string {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new SecurityKeyError('invalid_options', `"${origin}" is not a valid origin.`);
  }
  const host = url.hostname.toLowerCase();
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && (host === 'localhost' || host.endsWith('.localhost')));
  if (!secure) throw new SecurityKeyError('invalid_options', `Security keys need an https origin, got ${url.origin}.`);
  const id = rpId.toLowerCase();
  if (!id || isIP(id.replace(/^\[|\]$/g, '')) !== 0) throw new SecurityKeyError('invalid_options', `"${rpId}" cannot be an RP ID: use the server's host name, not an IP address.`);
  if (host !== id && !host.endsWith(`.${id}`)) throw new SecurityKeyError('invalid_options', `The RP ID "${rpId}" does not belong to ${url.origin}.`);
  return url.origin;
}

export function fromBase64Url(text: string, what: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) throw new SecurityKeyError('invalid_options', `${what} is not base64url.`);
  return view(Buffer.from(text, 'base64url'));
}

export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}
