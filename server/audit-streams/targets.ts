// Where an audit stream may send: a webhook over HTTPS or a syslog collector over TCP or TLS, at
// a public address. A private, loopback, link-local or otherwise special address is refused
// (server-side request forgery: an admin must not make the server post into its own network, its
// cloud metadata service or its own port) unless the operator allows private targets
// (AGENTDESK_AUDIT_STREAMS_ALLOW_PRIVATE_TARGETS=1, for a SIEM inside the network, and the tests).
// Checked when the stream is added and again at every connection, on the address actually
// connected to (a name that later resolves to 10.0.0.1 is refused then: DNS rebinding).
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { DomainError } from '../errors.js';

export type StreamType = 'webhook' | 'syslog';

export interface TargetPolicy {
  allowPrivateTargets: boolean;
}

const special = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3],
] as const) {
  special.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  special.addSubnet(net, prefix, 'ipv6');
}

/** True for an address no public receiver has: private, loopback, link-local, reserved. */
export function isSpecialAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  // An IPv4 address written as IPv6 (::ffff:10.0.0.1) is checked as the IPv4 address it is.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return special.check(mapped[1]!, 'ipv4');
  return special.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

function isLoopbackName(host: string): boolean {
  return host === 'localhost' || host === '127.0.0.1' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}

const refused = (why: string) => new DomainError('audit_stream_target_refused', `This address cannot receive audit events: ${why}.`);

/** The target as a URL, or a refusal that says why (syntax and scheme; addresses: checkAddress). */
export function parseTarget(type: StreamType, text: string, policy: TargetPolicy): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refused('it is not a URL');
  }
  if (url.username || url.password) throw refused('it carries a user name or password (put a webhook\'s credentials in its path or use the signature)');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw refused('it has no host');
  if (type === 'webhook') {
    // Plain HTTP only to this machine, where nothing travels over a network.
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowPrivateTargets && isLoopbackName(host))) {
      throw refused('a webhook must use https://');
    }
    if (url.hash) throw refused('it has a #fragment');
  } else {
    if (url.protocol !== 'tcp:' && url.protocol !== 'tls:') throw refused('a syslog collector is tcp://host:port or tls://host:port');
    if (!url.port) throw refused('a syslog collector needs a port');
    if ((url.pathname && url.pathname !== '/') || url.search || url.hash) throw refused('a syslog collector is only a host and a port');
  }
  if (isIP(host) !== 0) checkAddress(host, policy);
  else if (!policy.allowPrivateTargets && isLoopbackName(host)) throw refused('it is this server itself');
  return url;
}

/** Refuses a special address unless the operator allows private targets. */
export function checkAddress(address: string, policy: TargetPolicy): void {
  if (!policy.allowPrivateTargets && isSpecialAddress(address)) throw refused(`${address} is a private, loopback or reserved address`);
}

/** Every address a name resolves to must be allowed: checked when a stream is added. */
export async function checkResolvedName(url: URL, policy: TargetPolicy): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0 || policy.allowPrivateTargets) return;
  const addresses = await new Promise<LookupAddress[]>((resolve) => dnsLookup(host, { all: true }, (error, found) => resolve(error ? [] : found)));
  // A name that does not resolve yet is accepted: every connection checks it again.
  for (const a of addresses) checkAddress(a.address, policy);
}

/**
 * The `lookup` of every connection a stream opens: resolves the name and refuses it when any
 * address is special, so the check applies to the address connected to, not one seen earlier.
 */
export function guardedLookup(policy: TargetPolicy): LookupFunction {
  return ((hostname: string, options: { all?: boolean; family?: number }, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { ...options, all: true } as never, (error: NodeJS.ErrnoException | null, found: LookupAddress[]) => {
      if (error) return callback(error);
      try {
        for (const a of found) checkAddress(a.address, policy);
      } catch (refusal) {
        return callback(refusal);
      }
      if (options.all) callback(null, found);
      else callback(null, found[0]!.address, found[0]!.family);
    });
  }) as unknown as LookupFunction;
}

/** An IP literal is connected to without a lookup: checked here before connecting. */
export function checkLiteral(url: URL, policy: TargetPolicy): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) checkAddress(host, policy);
}
