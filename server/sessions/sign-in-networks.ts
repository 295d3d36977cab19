// Sign-in networks (PRODUCT.md "Authentication policies"): an account may allow sign-in only from
// listed networks (IPv4 and IPv6 CIDR). The rule is checked at every way in before any secret is
// looked at — a password from outside is refused the same whether it is right or not — and on
// every request of a session, so a session opened inside stops working outside. The address is
// the one Fastify derives under the trusted-proxy rules (AGENTDESK_TRUST_PROXY): a forged
// X-Forwarded-For from an untrusted peer is never read. An empty list is no rule. The account's
// break-glass admins (sso/sign-in-settings.ts) are exempt, at sign-in and on every request: they
// are the way back in when the office network or the identity provider is down.
import { BlockList, isIP } from 'node:net';
import type { Kysely } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.js';
import { DomainError } from '../errors.js';
import type { Database } from '../store/schema.js';

/** At most this many networks per account. */
export const MAX_NETWORKS = 100;

/** A network as the admin writes it: `203.0.113.0/24`, `2001:db8::/32`, or one address. */
export interface Network {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Parses one network; null when it is not an IPv4 or IPv6 address with an optional prefix. */
export function parseNetwork(text: string): Network | null {
  const [address = '', prefixText, extra] = text.trim().split('/');
  if (extra !== undefined) return null;
  const version = isIP(address);
  if (version === 0) return null;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return null;
  return { address, prefix, family };
}

/** The networks in their written form, checked; throws invalid_request naming the first bad one. */
export function checkNetworks(list: readonly string[]): string[] {
  if (list.length > MAX_NETWORKS) throw new DomainError('invalid_request', `At most ${MAX_NETWORKS} networks.`);
  return list.map((text) => {
    const network = parseNetwork(text);
    if (!network) throw new DomainError('invalid_request', `"${text}" is not an IPv4 or IPv6 network (for example 203.0.113.0/24 or 2001:db8::/32).`);
    return `${network.address}/${network.prefix}`;
  });
}

// One BlockList per distinct rule, built once: every request of the account checks against it.
const compiled = new Map<string, BlockList>();

function blockListOf(stored: string): BlockList {
  let list = compiled.get(stored);
  if (!list) {
    list = new BlockList();
    for (const text of JSON.parse(stored) as string[]) {
      const network = parseNetwork(text);
      if (network) list.addSubnet(network.address, network.prefix, network.family);
    }
    if (compiled.size >= 1000) compiled.clear();
    compiled.set(stored, list);
  }
  return list;
}

/** Whether the account has a rule at all (`allowed_networks` as stored: JSON, or null for none). */
export function hasNetworkRule(allowedNetworks: string | null | undefined): allowedNetworks is string {
  return !!allowedNetworks && allowedNetworks !== '[]';
}

/** Whether `address` may sign in under the account's rule (`allowed_networks`: JSON, or null for none). */
export function addressAllowed(allowedNetworks: string | null | undefined, address: string): boolean {
  if (!hasNetworkRule(allowedNetworks)) return true;
  // An IPv4 client reaching an IPv6 socket arrives as ::ffff:a.b.c.d: judged as the IPv4 address.
  const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  const version = isIP(plain);
  if (version === 0) return false;
  return blockListOf(allowedNetworks).check(plain, version === 4 ? 'ipv4' : 'ipv6');
}

/** Refuses an address outside the account's networks (403 network_not_allowed). */
export function assertAddressAllowed(allowedNetworks: string | null | undefined, address: string): void {
  if (!addressAllowed(allowedNetworks, address)) throw new DomainError('network_not_allowed');
}

/**
 * The gate of a local way in (password, security key alone), before any secret is checked: the
 * account's break-glass admins are exempt from its networks and from SSO only; everyone else is
 * refused outside the networks (403 network_not_allowed), then under SSO only (403 sso_only).
 */
export function assertLocalSignInAllowed(gate: { allowedNetworks: string | null; ssoOnly: boolean; breakGlass: boolean }, address: string): void {
  if (gate.breakGlass) return;
  assertAddressAllowed(gate.allowedNetworks, address);
  if (gate.ssoOnly) throw new DomainError('sso_only');
}

/** The rule of the account with this slug (a sign-in knows the account before any user): null for none or no such account. */
export async function networksOfAccount(db: Kysely<Database>, slug: string): Promise<string | null> {
  const row = await db.selectFrom('accounts').select('allowed_networks').where('slug', '=', slug).executeTakeFirst();
  return row?.allowed_networks ?? null;
}

/** The account's networks as the admin wrote them (normalised); empty is no rule. */
export async function readNetworkPolicy(db: Kysely<Database>, accountId: string): Promise<{ allowedNetworks: string[] }> {
  const row = await db.selectFrom('accounts').select('allowed_networks').where('id', '=', accountId).executeTakeFirstOrThrow();
  return { allowedNetworks: row.allowed_networks ? (JSON.parse(row.allowed_networks) as string[]) : [] };
}

/**
 * Replaces the account's networks. Refused when the saving admin's own address would fall outside
 * (network_policy_excludes_you): a save can never lock out the admin who makes it. Audited with
 * the lists before and after, in the same transaction.
 */
export async function saveNetworkPolicy(
  db: Kysely<Database>,
  input: { accountId: string; actorId: string; allowedNetworks: readonly string[]; request: RequestContext },
): Promise<{ allowedNetworks: string[] }> {
  const networks = [...new Set(checkNetworks(input.allowedNetworks))];
  const stored = networks.length ? JSON.stringify(networks) : null;
  if (!addressAllowed(stored, input.request.address ?? '')) throw new DomainError('network_policy_excludes_you');
  return db.transaction().execute(async (trx) => {
    const before = await readNetworkPolicy(trx, input.accountId);
    await trx.updateTable('accounts').set({ allowed_networks: stored }).where('id', '=', input.accountId).execute();
    await recordAudit(trx, {
      accountId: input.accountId,
      actorId: input.actorId,
      action: 'account.network_policy_changed',
      details: { before: before.allowedNetworks, after: networks },
      request: input.request,
    });
    return { allowedNetworks: networks };
  });
}
