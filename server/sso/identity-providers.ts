// An account's identity providers (PRODUCT.md "Enterprise sign-in"): OpenID Connect and SAML 2.0
// in the same table (`type`). A SAML provider is its IdP's metadata XML, checked before it is
// saved (sso/saml.ts parseIdpMetadata); its entity id is answered as `issuer`. The client secret is sealed with the secret box like a TOTP
// secret and never answered; the issuer is https (http only on a loopback address, a local or
// test provider); a provider is saved only once its discovery document was read. The rule that
// decides whether the provider's own MFA counts as our second factor is here too, in one place.
import * as oidc from 'openid-client';
import type { Kysely, Transaction } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { IdentityProvider } from '../../contract/answers.js';
import { newId } from '../crypto/tokens.js';
import { DomainError } from '../errors.js';
import type { Database, IdentityProvidersTable } from '../store/schema.js';
import { keepAProviderUnderSsoOnly } from './sign-in-settings.js';
import { parseIdpMetadata } from './saml.js';

type Db = Kysely<Database> | Transaction<Database>;

/** An identity provider as admins see it (the contract's answer): never its client secret. */
export type IdentityProviderView = IdentityProvider;

interface CommonInput {
  name: string;
  trustMfa: boolean;
  mfaAcrValues?: string[] | undefined;
  jitProvisioning: boolean;
}

export type IdentityProviderInput = (CommonInput & { type: 'oidc'; issuer: string; clientId: string; clientSecret: string }) | (CommonInput & { type: 'saml'; metadataXml: string });

export type IdentityProviderChange = Partial<CommonInput & { issuer: string; clientId: string; clientSecret: string; metadataXml: string }>;

interface Actor {
  accountId: string;
  actorId: string;
  request: RequestContext;
}

export function providerView(row: IdentityProvidersTable): IdentityProviderView {
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    issuer: row.issuer ?? '',
    clientId: row.client_id ?? '',
    trustMfa: row.trust_mfa === 1,
    mfaAcrValues: JSON.parse(row.mfa_acr_values) as string[],
    jitProvisioning: row.jit_provisioning === 1,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
  };
}

/** 127.0.0.0/8, ::1 and localhost: the only hosts where plain http is accepted. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** The issuer as a URL, refused unless https (or http on a loopback address). */
export function checkIssuer(issuer: string): URL {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new DomainError('invalid_issuer');
  }
  const ok = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  if (!ok || url.username || url.password || url.hash || url.search) throw new DomainError('invalid_issuer');
  return url;
}

/** Reads the provider's discovery document (and checks its issuer is the one configured). */
export async function discover(issuer: string, clientId: string, clientSecret: string): Promise<oidc.Configuration> {
  const url = checkIssuer(issuer);
  try {
    return await oidc.discovery(url, clientId, clientSecret, undefined, {
      ...(url.protocol === 'http:' && { execute: [oidc.allowInsecureRequests] }),
      timeout: 10,
    });
  } catch (error) {
    throw new DomainError('identity_provider_unreachable', `The identity provider's OpenID configuration could not be read at ${url.origin}: ${(error as Error).message}`);
  }
}

/**
 * The relying-party configuration of a provider, from its discovery document: read once and
 * kept for 10 minutes (its keys rotate; openid-client fetches a new key set itself on an unknown
 * key id). A changed provider (updated_at) is read again.
 */
export class ProviderConfigs {
  private readonly cache = new Map<string, { updatedAt: number; readAt: number; config: oidc.Configuration }>();
  constructor(private readonly box: SecretBox) {}

  async of(row: IdentityProvidersTable): Promise<oidc.Configuration> {
    const cached = this.cache.get(row.id);
    const now = Date.now();
    if (cached && cached.updatedAt === Number(row.updated_at) && now - cached.readAt < 10 * 60_000) return cached.config;
    const config = await discover(row.issuer ?? '', row.client_id ?? '', this.box.open(row.client_secret ?? ''));
    this.cache.set(row.id, { updatedAt: Number(row.updated_at), readAt: now, config });
    return config;
  }
}

export async function listProviders(db: Db, accountId: string): Promise<IdentityProviderView[]> {
  const rows = await db.selectFrom('identity_providers').selectAll().where('account_id', '=', accountId).orderBy('created_at').orderBy('id').execute();
  return rows.map(providerView);
}

/** The sign-in screen's list: names and ids only, for an account by its short name. */
export async function signInProviders(db: Db, accountSlug: string): Promise<{ id: string; name: string }[]> {
  return db
    .selectFrom('identity_providers as p')
    .innerJoin('accounts as a', 'a.id', 'p.account_id')
    .select(['p.id', 'p.name'])
    .where('a.slug', '=', accountSlug)
    .orderBy('p.created_at')
    .orderBy('p.id')
    .execute();
}

/** A provider of this account (another account's is not found). */
export async function findProvider(db: Db, accountId: string, id: string): Promise<IdentityProvidersTable> {
  const row = await db.selectFrom('identity_providers').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw new DomainError('not_found', 'No such identity provider in this account.');
  return row;
}

const acrValues = (values: string[] | undefined) => JSON.stringify([...new Set((values ?? []).map((v) => v.trim()).filter(Boolean))]);

export async function addProvider(db: Kysely<Database>, box: SecretBox, actor: Actor, input: IdentityProviderInput): Promise<IdentityProviderView> {
  // Saved only once the provider answered (OIDC) or its metadata was read (SAML): a typo is found now, not at sign-in.
  if (input.type === 'oidc') await discover(input.issuer, input.clientId, input.clientSecret);
  const saml = input.type === 'saml' ? parseIdpMetadata(input.metadataXml) : undefined;
  const now = Date.now();
  const row: IdentityProvidersTable = {
    id: newId(),
    account_id: actor.accountId,
    type: input.type,
    name: input.name.trim(),
    issuer: input.type === 'oidc' ? input.issuer : saml!.entityId,
    client_id: input.type === 'oidc' ? input.clientId : null,
    client_secret: input.type === 'oidc' ? box.seal(input.clientSecret) : null,
    metadata_xml: input.type === 'saml' ? input.metadataXml : null,
    trust_mfa: input.trustMfa ? 1 : 0,
    mfa_acr_values: acrValues(input.mfaAcrValues),
    jit_provisioning: input.jitProvisioning ? 1 : 0,
    created_at: now,
    updated_at: now,
  };
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('identity_providers').values(row).execute();
    await recordAudit(trx, { accountId: actor.accountId, actorId: actor.actorId, action: 'identity_provider.added', details: auditDetails(row), request: actor.request, at: now });
  });
  return providerView(row);
}

export async function updateProvider(db: Kysely<Database>, box: SecretBox, actor: Actor, id: string, change: IdentityProviderChange): Promise<IdentityProviderView> {
  const before = await findProvider(db, actor.accountId, id);
  if (before.type === 'saml') return updateSamlProvider(db, actor, before, change);
  if (change.metadataXml !== undefined) throw new DomainError('invalid_request', 'An OpenID Connect provider has no SAML metadata.');
  const issuer = change.issuer ?? before.issuer ?? '';
  const clientId = change.clientId ?? before.client_id ?? '';
  const clientSecret = change.clientSecret ?? box.open(before.client_secret ?? '');
  // A new issuer or client is read again before it is saved.
  if (change.issuer !== undefined || change.clientId !== undefined || change.clientSecret !== undefined) await discover(issuer, clientId, clientSecret);
  const now = Math.max(Date.now(), Number(before.updated_at) + 1);
  const after: IdentityProvidersTable = {
    ...before,
    name: change.name?.trim() ?? before.name,
    issuer,
    client_id: clientId,
    client_secret: change.clientSecret !== undefined ? box.seal(change.clientSecret) : before.client_secret,
    trust_mfa: change.trustMfa === undefined ? before.trust_mfa : change.trustMfa ? 1 : 0,
    mfa_acr_values: change.mfaAcrValues === undefined ? before.mfa_acr_values : acrValues(change.mfaAcrValues),
    jit_provisioning: change.jitProvisioning === undefined ? before.jit_provisioning : change.jitProvisioning ? 1 : 0,
    updated_at: now,
  };
  await db.transaction().execute(async (trx) => {
    const { id: _id, account_id: _account, created_at: _created, ...values } = after;
    await trx.updateTable('identity_providers').set(values).where('id', '=', id).where('account_id', '=', actor.accountId).execute();
    await recordAudit(trx, {
      accountId: actor.accountId,
      actorId: actor.actorId,
      action: 'identity_provider.updated',
      details: { ...auditDetails(after), ...(change.clientSecret !== undefined && { clientSecretChanged: true }) },
      request: actor.request,
      at: now,
    });
  });
  return providerView(after);
}

async function updateSamlProvider(db: Kysely<Database>, actor: Actor, before: IdentityProvidersTable, change: IdentityProviderChange): Promise<IdentityProviderView> {
  if (change.issuer !== undefined || change.clientId !== undefined || change.clientSecret !== undefined) {
    throw new DomainError('invalid_request', 'A SAML provider is configured by its metadata XML: send metadataXml, not an issuer or client.');
  }
  // New metadata (a rotated certificate, a new URL) is checked before it is saved.
  const metadata = change.metadataXml !== undefined ? parseIdpMetadata(change.metadataXml) : undefined;
  const now = Math.max(Date.now(), Number(before.updated_at) + 1);
  const after: IdentityProvidersTable = {
    ...before,
    name: change.name?.trim() ?? before.name,
    issuer: metadata?.entityId ?? before.issuer,
    metadata_xml: change.metadataXml ?? before.metadata_xml ?? null,
    trust_mfa: change.trustMfa === undefined ? before.trust_mfa : change.trustMfa ? 1 : 0,
    mfa_acr_values: change.mfaAcrValues === undefined ? before.mfa_acr_values : acrValues(change.mfaAcrValues),
    jit_provisioning: change.jitProvisioning === undefined ? before.jit_provisioning : change.jitProvisioning ? 1 : 0,
    updated_at: now,
  };
  await db.transaction().execute(async (trx) => {
    const { id: _id, account_id: _account, created_at: _created, ...values } = after;
    await trx.updateTable('identity_providers').set(values).where('id', '=', before.id).where('account_id', '=', actor.accountId).execute();
    await recordAudit(trx, {
      accountId: actor.accountId,
      actorId: actor.actorId,
      action: 'identity_provider.updated',
      details: { ...auditDetails(after), ...(metadata && { metadataChanged: true }) },
      request: actor.request,
      at: now,
    });
  });
  return providerView(after);
}

export async function removeProvider(db: Kysely<Database>, actor: Actor, id: string): Promise<void> {
  const row = await findProvider(db, actor.accountId, id);
  await db.transaction().execute(async (trx) => {
    await keepAProviderUnderSsoOnly(trx, actor.accountId, id);
    await trx.deleteFrom('sso_requests').where('provider_id', '=', id).execute();
    await trx.deleteFrom('identity_providers').where('id', '=', id).where('account_id', '=', actor.accountId).execute();
    await recordAudit(trx, { accountId: actor.accountId, actorId: actor.actorId, action: 'identity_provider.removed', details: auditDetails(row), request: actor.request });
  });
}

/** What the audit keeps of a provider: never its secret. */
function auditDetails(row: IdentityProvidersTable) {
  return {
    providerId: row.id,
    name: row.name,
    type: row.type,
    issuer: row.issuer,
    clientId: row.client_id,
    trustMfa: row.trust_mfa === 1,
    mfaAcrValues: JSON.parse(row.mfa_acr_values) as string[],
    jitProvisioning: row.jit_provisioning === 1,
  };
}

// RFC 8176 authentication method reference values, by the kind of factor each is. Values that
// are not a factor of their own (mfa, mca, rba, geo, user, wia, pop) are not in the table.
const FACTOR_KIND: Record<string, 'knowledge' | 'possession' | 'inherence'> = {
  pwd: 'knowledge',
  pin: 'knowledge',
  kba: 'knowledge',
  otp: 'possession',
  hwk: 'possession',
  swk: 'possession',
  sms: 'possession',
  tel: 'possession',
  sc: 'possession',
  fpt: 'inherence',
  face: 'inherence',
  iris: 'inherence',
  retina: 'inherence',
  vbm: 'inherence',
};

/**
 * Whether the provider says the user passed more than one factor: `amr` containing "mfa", or
 * values of two different kinds of factor (pwd+otp, pwd+hwk, pin+hwk; never pwd+pin, both
 * things known), or an `acr` the admin listed as multi-factor for this provider.
 */
export function providerDidMfa(provider: Pick<IdentityProvidersTable, 'mfa_acr_values'>, amr: readonly string[], acr: string | undefined): boolean {
  if (amr.includes('mfa')) return true;
  const kinds = new Set(amr.map((v) => FACTOR_KIND[v]).filter(Boolean));
  if (kinds.size >= 2) return true;
  const listed = JSON.parse(provider.mfa_acr_values) as string[];
  return acr !== undefined && listed.includes(acr);
}
