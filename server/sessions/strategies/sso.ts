// Sign in with an account's identity provider (OpenID Connect or SAML 2.0): one more way into the one
// sign-in flow. The provider is the first factor; it is also the second only when the admin
// trusts this provider's MFA *and* the provider says it did more than one factor
// (sso/identity-providers.ts providerDidMfa). Otherwise the session is exactly what a password
// gives: the second step to come, or enrolment under enforcement — every rule after it unchanged.
//
//   start     POST /sessions/sso: state, nonce and a PKCE verifier, stored (hashed or sealed)
//             with a 10-minute expiry; the answer is the provider's authorization URL.
//   callback  GET /sso/oidc/callback: the stored request is spent (one use) before anything
//             else; openid-client exchanges the code and validates the ID token (issuer,
//             audience, signature, nonce, state, PKCE). The user is matched by verified email.
//             Web: the session is created and its cookie set here. Desktop: a one-time code
//             (2 minutes, one use, bound to the desktop's own PKCE challenge) goes to its
//             loopback redirect (RFC 8252 §7.3).
//   exchange  POST /sessions/sso/exchange: the code and the verifier → the session, as POST /sessions.
//
// SAML takes the same path: the start stores the request (RelayState hashed as the state, our
// AuthnRequest ID as the nonce) and answers the IdP's HTTP-Redirect URL; the IdP posts its
// response to POST /sso/saml/acs, where the stored request is spent first, then sso/saml.ts
// validates it (signed assertion, audience, recipient, NotOnOrAfter, InResponseTo = the ID we
// stored) and the assertion id is recorded so it is never accepted twice. The user, JIT, the
// web cookie or the desktop's code, and the session follow exactly as for OpenID Connect; the
// provider's MFA is its AuthnContextClassRef, counted only when listed in mfaAcrValues.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { grantGrace } from '../../enforcement/grace.js';
import * as oidc from 'openid-client';
import type { Kysely, Transaction } from 'kysely';
import { operations } from '../../../contract/operations.js';
import { hasForbiddenCharacters } from '../../../contract/names.js';
import { recordAudit, type RequestContext } from '../../audit/audit.js';
import type { ServerContext } from '../../context.js';
import { hashToken, newId, newToken } from '../../crypto/tokens.js';
import { DomainError, type ErrorCode } from '../../errors.js';
import { normalizeEmail } from '../../people/accounts.js';
import { createProvisionedUser } from '../../people/provisioning.js';
import { recordSignIn } from '../../people/users.js';
import { isLoopbackHost, providerDidMfa } from '../../sso/identity-providers.js';
import { authorizationUrl as samlAuthorizationUrl, SamlRejected, validateResponse as validateSamlResponse } from '../../sso/saml.js';
import { addressAllowed, assertAddressAllowed, networksOfAccount } from '../sign-in-networks.js';
import type { Database, DevicesTable, IdentityProvidersTable, UsersTable } from '../../store/schema.js';
import { deviceForSignIn, findDevice, recordDeviceSignIn } from '../devices.js';
import { attempt } from '../sign-in-flow.js';
import { requirementApplies } from '../../enforcement/requirement-scope.js';

/** An authorization request lives this long (the user signs in at the provider meanwhile). */
const REQUEST_TTL_MS = 10 * 60_000;
/** The desktop's one-time code lives this long (its loopback answers at once). */
const EXCHANGE_TTL_MS = 2 * 60_000;
const API_PREFIX = '/api/v1';

export interface SsoStart {
  account: string;
  provider: string;
  client: 'web' | 'desktop';
  redirectUri?: string | undefined;
  codeChallenge?: string | undefined;
  /** Web: the device cookie the console presented. */
  deviceToken: string | undefined;
  /** The client's address: refused outside the account's sign-in networks. */
  address: string;
}

/** Our redirect URI at the provider: the callback operation under the public origin. */
export function callbackUrl(ctx: ServerContext): string {
  return ctx.rp.origins[0]! + API_PREFIX + operations.ssoCallback.path;
}

/** The desktop's redirect: http on 127.0.0.1 (or [::1]) with a port of its own, nothing else (RFC 8252 §7.3, §8.3). */
export function checkLoopbackRedirect(redirectUri: string | undefined): URL {
  let url: URL;
  try {
    url = new URL(redirectUri ?? '');
  } catch {
    throw new DomainError('invalid_redirect_uri');
  }
  // "localhost" is not accepted (RFC 8252 §8.3): it may resolve elsewhere.
  const host = url.hostname;
  const literal = host === '127.0.0.1' || host === '[::1]';
  if (url.protocol !== 'http:' || !literal || !isLoopbackHost(host) || !url.port || url.username || url.password || url.hash) throw new DomainError('invalid_redirect_uri');
  return url;
}

/**
 * Starts a sign-in: the provider's authorization URL, the request stored server-side. The web
 * console's answer also carries `browserBinding`, for a cookie on the browser that started it:
 * the callback refuses a request from any other browser (login CSRF — an attacker's own,
 * finished sign-in sent to a victim as a link).
 */
export async function startSsoSignIn(ctx: ServerContext, input: SsoStart): Promise<{ authorizationUrl: string; browserBinding?: string; type: 'oidc' | 'saml' }> {
  const { db } = ctx;
  if (input.client === 'desktop') {
    checkLoopbackRedirect(input.redirectUri);
    if (!input.codeChallenge) throw new DomainError('invalid_request', 'The desktop app must send its PKCE code challenge (S256).');
  } else if (input.redirectUri !== undefined || input.codeChallenge !== undefined) {
    throw new DomainError('invalid_request', 'The web console is redirected to the console itself: send no redirectUri or codeChallenge.');
  }
  // From outside the account's networks: refused before any provider is looked at (as a password is).
  assertAddressAllowed(await networksOfAccount(db, input.account), input.address);
  // Only a provider of the account named: another account's provider is not found.
  const provider = await db
    .selectFrom('identity_providers as p')
    .innerJoin('accounts as a', 'a.id', 'p.account_id')
    .selectAll('p')
    .where('a.slug', '=', input.account)
    .where('p.id', '=', input.provider)
    .executeTakeFirst();
  if (!provider) throw new DomainError('not_found', 'This account has no such identity provider.');
  const saml = provider.type === 'saml';
  const config = saml ? undefined : await ctx.oidcProviders.of(provider);
  const state = oidc.randomState();
  // SAML: the nonce column holds our AuthnRequest ID (an xs:ID: starts with a letter or "_").
  const nonce = saml ? `_${randomBytes(20).toString('hex')}` : oidc.randomNonce();
  const verifier = saml ? '' : oidc.randomPKCECodeVerifier();
  const device = input.client === 'web' ? await findDevice(db, input.deviceToken) : undefined;
  const browserBinding = input.client === 'web' ? newToken() : undefined;
  const now = Date.now();
  // Requests nobody finished are removed as new ones come.
  await db.deleteFrom('sso_requests').where('expires_at', '<', now - REQUEST_TTL_MS).execute();
  await db
    .insertInto('sso_requests')
    .values({
      id: newId(),
      state_hash: hashToken(state),
      account_id: provider.account_id,
      provider_id: provider.id,
      client: input.client,
      nonce,
      code_verifier: ctx.box.seal(verifier),
      redirect_uri: input.client === 'desktop' ? input.redirectUri! : null,
      code_challenge: input.client === 'desktop' ? input.codeChallenge! : null,
      device_id: device?.id ?? null,
      browser_hash: browserBinding ? hashToken(browserBinding) : null,
      created_at: now,
      expires_at: now + REQUEST_TTL_MS,
      used_at: null,
      user_id: null,
      mfa_trusted: null,
      amr: null,
      acr: null,
      exchange_code_hash: null,
      exchange_expires_at: null,
      exchange_used_at: null,
    })
    .execute();
  if (saml) {
    const url = await samlAuthorizationUrl(ctx, provider, nonce, state);
    return { authorizationUrl: url, type: 'saml', ...(browserBinding && { browserBinding }) };
  }
  const url = oidc.buildAuthorizationUrl(config!, {
    redirect_uri: callbackUrl(ctx),
    scope: 'openid email profile',
    response_type: 'code',
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  return { authorizationUrl: url.href, type: 'oidc', ...(browserBinding && { browserBinding }) };
}

/** A refusal at the callback: where the browser goes, and the code it carries. */
export class SsoRefused extends DomainError {
  constructor(
    code: ErrorCode,
    readonly redirectTo: string | undefined,
    message?: string,
  ) {
    super(code, message);
  }
}

/** What the provider said about the sign-in, as the audit keeps it. */
interface ProviderSaid {
  amr: string[];
  acr: string | undefined;
  mfaTrusted: boolean;
}

type SignedInUser = {
  id: string;
  name: string;
  email: string;
  role: 'admin' | 'agent';
  language?: UsersTable['language'];
  account_id: string;
  has_two_factor: number;
  require_two_factor: number;
  account_name: string;
  slug: string;
};

export type CallbackOutcome =
  | { client: 'web'; signedIn: Awaited<ReturnType<typeof completeSignIn>> }
  | { client: 'desktop'; redirectTo: string };

/**
 * The provider's redirect back. `query` is the callback's query string as received. Throws an
 * SsoRefused whose `redirectTo` is the desktop's loopback when the request was the desktop's.
 */
export async function finishOidcCallback(ctx: ServerContext, input: { search: string; browserBinding: string | undefined; request: RequestContext & { address: string } }): Promise<CallbackOutcome> {
  const params = new URLSearchParams(input.search);
  const state = params.get('state');
  const { row, provider, refuse } = await openRequest(ctx, { state, browserBinding: input.browserBinding, request: input.request, type: 'oidc' });
  if (params.get('error')) throw await refuse('sso_failed', `provider_error:${params.get('error')!.slice(0, 64)}`);

  // The code exchanged and the ID token validated by openid-client: signature, issuer,
  // audience, expiry, nonce, state and the PKCE verifier.
  let claims: Record<string, unknown>;
  try {
    const config = await ctx.oidcProviders.of(provider);
    const current = new URL(callbackUrl(ctx));
    current.search = input.search;
    const tokens = await oidc.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: ctx.box.open(row.code_verifier),
      expectedState: state!,
      expectedNonce: row.nonce,
      idTokenExpected: true,
    });
    claims = { ...tokens.claims() };
    // Not every provider puts the email in the ID token: then the UserInfo endpoint, for the same subject.
    if (typeof claims.email !== 'string') {
      const info = await oidc.fetchUserInfo(config, tokens.access_token, String(claims.sub));
      claims = { ...info, ...claims, email: info.email, email_verified: info.email_verified };
    }
  } catch (error) {
    if (error instanceof DomainError) throw await refuse(error.code, error.code);
    throw await refuse('sso_failed', 'token_validation', { message: (error as Error).message.slice(0, 200) });
  }
  const amr = Array.isArray(claims.amr) ? claims.amr.filter((v): v is string => typeof v === 'string').slice(0, 16) : [];
  const acr = typeof claims.acr === 'string' ? claims.acr.slice(0, 200) : undefined;
  const email = typeof claims.email === 'string' ? normalizeEmail(claims.email) : '';
  if (!email) throw await refuse('sso_email_unverified', 'no_email', { amr, acr });
  // An unverified email proves nothing about who this is (a provider lets anyone type one).
  if (claims.email_verified !== true) throw await refuse('sso_email_unverified', 'email_unverified', { email, amr, acr });
  const said: ProviderSaid = { amr, acr, mfaTrusted: provider.trust_mfa === 1 && providerDidMfa(provider, amr, acr) };
  return signInAs(ctx, { row, provider, refuse, email, claims, said, request: input.request });
}

type SsoRequestRow = Awaited<ReturnType<typeof openRequest>>['row'];
type Refuse = (code: ErrorCode, reason: string, extra?: Record<string, unknown>) => Promise<SsoRefused>;

/**
 * The provider's answer arrives (OIDC callback, SAML ACS): its stored request is spent before
 * anything is checked — a state is good for one answer, whatever follows — then the account's
 * sign-in networks and, for the web console, the browser that started it are checked.
 */
async function openRequest(ctx: ServerContext, input: { state: string | null | undefined; browserBinding: string | undefined; request: RequestContext & { address: string }; type: 'oidc' | 'saml' }) {
  const { db } = ctx;
  const state = input.state;
  if (!state) throw new SsoRefused('sso_failed', undefined);
  const now = Date.now();
  const row = await db.selectFrom('sso_requests').selectAll().where('state_hash', '=', hashToken(state)).executeTakeFirst();
  const spent = row && row.used_at === null && Number(row.expires_at) > now ? await db.updateTable('sso_requests').set({ used_at: now }).where('id', '=', row.id).where('used_at', 'is', null).executeTakeFirst() : undefined;
  if (!row || !spent || Number(spent.numUpdatedRows) !== 1) throw new SsoRefused('sso_failed', undefined, 'This sign-in was already used or has expired. Start again.');
  const desktop = row.client === 'desktop' ? row.redirect_uri! : undefined;
  const provider = await db.selectFrom('identity_providers').selectAll().where('id', '=', row.provider_id).executeTakeFirst();
  if (!provider) throw new SsoRefused('sso_failed', desktop);
  const refuse: Refuse = async (code, reason, extra = {}) => {
    await recordAudit(db, { accountId: row.account_id, actorId: null, subjectUserId: (extra.userId as string | undefined) ?? null, action: 'sign_in.sso_refused', details: { provider: { id: provider.id, name: provider.name }, reason, ...extra }, request: input.request });
    return new SsoRefused(code, desktop);
  };
  // An OIDC request answered at the SAML ACS (or the reverse) is not an answer to it.
  if (provider.type !== input.type) throw await refuse('sso_failed', 'wrong_protocol');
  // The account's sign-in networks hold at every step: the browser back from the provider too,
  // before any user is looked at or created.
  const account = await db.selectFrom('accounts').select('allowed_networks').where('id', '=', row.account_id).executeTakeFirst();
  if (!account || !addressAllowed(account.allowed_networks, input.request.address)) throw await refuse('network_not_allowed', 'network_not_allowed');
  // The web console's request finishes only in the browser that started it.
  if (row.client === 'web' && (!input.browserBinding || !row.browser_hash || hashToken(input.browserBinding) !== row.browser_hash)) throw await refuse('sso_failed', 'other_browser');
  return { row, provider, refuse };
}

/**
 * The SAML IdP's POST to our ACS: the request named by RelayState spent, the response validated
 * against it (sso/saml.ts), the assertion id recorded (a second use is refused), then the same
 * sign-in as OpenID Connect. A response without RelayState (unsolicited, IdP-initiated) is refused.
 */
export async function finishSamlAcs(ctx: ServerContext, input: { samlResponse: string; relayState: string | undefined; browserBinding: string | undefined; request: RequestContext & { address: string } }): Promise<CallbackOutcome> {
  const { db } = ctx;
  const { row, provider, refuse } = await openRequest(ctx, { state: input.relayState, browserBinding: input.browserBinding, request: input.request, type: 'saml' });
  let assertion;
  try {
    assertion = await validateSamlResponse(ctx, provider, input.samlResponse, { id: row.nonce, issuedAt: Number(row.created_at) });
  } catch (error) {
    if (error instanceof SamlRejected) throw await refuse('sso_failed', 'assertion_validation', { message: error.message });
    if (error instanceof DomainError) throw await refuse('sso_failed', error.code);
    throw error;
  }
  // Replay: an assertion id is accepted once per provider, remembered until it expires.
  const now = Date.now();
  await db.deleteFrom('saml_assertions').where('expires_at', '<', now).execute();
  const seen = await db.selectFrom('saml_assertions').select('assertion_id').where('provider_id', '=', provider.id).where('assertion_id', '=', assertion.assertionId).executeTakeFirst();
  let recorded = !seen;
  if (recorded) {
    try {
      await db.insertInto('saml_assertions').values({ provider_id: provider.id, assertion_id: assertion.assertionId, expires_at: assertion.expiresAt }).execute();
    } catch {
      recorded = false; // Another instance recorded it first: the same assertion, twice.
    }
  }
  if (!recorded) throw await refuse('sso_failed', 'assertion_replayed', { assertionId: assertion.assertionId });
  const acr = assertion.authnContextClassRef;
  const email = assertion.email && /^[^\s@]+@[^\s@]+$/.test(assertion.email) ? normalizeEmail(assertion.email) : '';
  if (!email) throw await refuse('sso_email_unverified', 'no_email', { acr });
  const said: ProviderSaid = { amr: [], acr, mfaTrusted: provider.trust_mfa === 1 && providerDidMfa(provider, [], acr) };
  return signInAs(ctx, { row, provider, refuse, email, claims: { name: assertion.name }, said, request: input.request });
}

/** Who the provider vouched for, signed in: found by email (or created, JIT), then web or desktop. */
async function signInAs(
  ctx: ServerContext,
  input: { row: SsoRequestRow; provider: IdentityProvidersTable; refuse: Refuse; email: string; claims: Record<string, unknown>; said: ProviderSaid; request: RequestContext & { address: string } },
): Promise<CallbackOutcome> {
  const { db } = ctx;
  const { row, provider, refuse, email, claims, said } = input;
  const { amr, acr } = said;
  const found = await userByEmail(ctx, row.account_id, email);
  if (found && found.status !== 'active') throw await refuse('sso_user_inactive', `user_${found.status}`, { email, userId: found.id });
  if (!found && provider.jit_provisioning !== 1) throw await refuse('sso_user_unknown', 'user_unknown', { email, amr, acr });

  if (row.client === 'desktop') {
    const code = newToken();
    await db.transaction().execute(async (trx) => {
      const user = found ?? (await createJitUser(trx, provider, email, claims, input.request));
      await trx
        .updateTable('sso_requests')
        .set({ user_id: user.id, mfa_trusted: said.mfaTrusted ? 1 : 0, amr: JSON.stringify(amr), acr: acr ?? null, exchange_code_hash: hashToken(code), exchange_expires_at: Date.now() + EXCHANGE_TTL_MS })
        .where('id', '=', row.id)
        .execute();
    });
    const target = new URL(row.redirect_uri!);
    target.searchParams.set('code', code);
    return { client: 'desktop', redirectTo: target.href };
  }
  const presented = row.device_id ? await db.selectFrom('devices').selectAll().where('id', '=', row.device_id).executeTakeFirst() : undefined;
  const signedIn = await completeSignIn(ctx, { provider, said, userId: found?.id, jit: found ? undefined : { email, claims }, presented, request: input.request });
  return { client: 'web', signedIn };
}

/** The desktop's exchange: its one-time code and PKCE verifier → the session. */
export async function exchangeSsoCode(ctx: ServerContext, input: { code: string; codeVerifier: string; deviceToken: string | undefined; request: RequestContext & { address: string } }) {
  const { db } = ctx;
  const now = Date.now();
  const row = await db.selectFrom('sso_requests').selectAll().where('exchange_code_hash', '=', hashToken(input.code)).executeTakeFirst();
  // One use: spent by the first exchange, right or wrong (a stolen code tried with a guess is gone).
  const spent = row && row.exchange_used_at === null && Number(row.exchange_expires_at) > now ? await db.updateTable('sso_requests').set({ exchange_used_at: now }).where('id', '=', row.id).where('exchange_used_at', 'is', null).executeTakeFirst() : undefined;
  if (!row || !spent || Number(spent.numUpdatedRows) !== 1) throw new DomainError('invalid_code', 'This sign-in code is not valid, was already used or has expired. Sign in again.');
  if (!row.code_challenge || !pkceMatches(input.codeVerifier, row.code_challenge)) {
    await recordAudit(db, { accountId: row.account_id, actorId: null, subjectUserId: row.user_id, action: 'sign_in.sso_refused', details: { providerId: row.provider_id, reason: 'pkce_mismatch' }, request: input.request });
    throw new DomainError('invalid_code', 'This sign-in code was not issued to this app. Sign in again.');
  }
  const account = await db.selectFrom('accounts').select('allowed_networks').where('id', '=', row.account_id).executeTakeFirst();
  assertAddressAllowed(account?.allowed_networks, input.request.address);
  const provider = await db.selectFrom('identity_providers').selectAll().where('id', '=', row.provider_id).executeTakeFirst();
  const user = row.user_id ? await userById(ctx, row.user_id) : undefined;
  if (!provider || !user) throw new DomainError('invalid_code');
  // Deactivated between the callback and now: refused like any sign-in.
  if (user.status !== 'active') throw new DomainError('sso_user_inactive');
  const presented = await findDevice(db, input.deviceToken);
  const said: ProviderSaid = { amr: JSON.parse(row.amr ?? '[]') as string[], acr: row.acr ?? undefined, mfaTrusted: row.mfa_trusted === 1 };
  return completeSignIn(ctx, { provider, said, userId: user.id, presented, request: input.request, deviceToken: input.deviceToken });
}

/** RFC 7636 S256: base64url(SHA-256(verifier)) equals the challenge. */
function pkceMatches(verifier: string, challenge: string): boolean {
  const computed = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

// require_two_factor: whether 2FA is required of this user (enforcement/requirement-scope.ts).
const userColumns = ['u.id', 'u.name', 'u.email', 'u.role', 'u.language', 'u.account_id', 'u.status', 'u.has_two_factor', requirementApplies('u', 'a').as('require_two_factor'), 'a.name as account_name', 'a.slug'] as const;

async function userByEmail(ctx: ServerContext, accountId: string, email: string) {
  return ctx.db.selectFrom('users as u').innerJoin('accounts as a', 'a.id', 'u.account_id').select(userColumns).where('u.account_id', '=', accountId).where('u.email', '=', email).executeTakeFirst();
}

async function userById(ctx: ServerContext, id: string) {
  return ctx.db.selectFrom('users as u').innerJoin('accounts as a', 'a.id', 'u.account_id').select(userColumns).where('u.id', '=', id).executeTakeFirst();
}

/** Just-in-time provisioning: an agent, active, with no password (they sign in through the provider). */
async function createJitUser(trx: Kysely<Database> | Transaction<Database>, provider: IdentityProvidersTable, email: string, claims: Record<string, unknown>, request: RequestContext) {
  const given = typeof claims.name === 'string' ? claims.name.trim().slice(0, 120) : '';
  const name = given && !hasForbiddenCharacters(given) ? given : email.slice(0, email.indexOf('@')).slice(0, 120) || email;
  const by = { via: 'sso' as const, accountId: provider.account_id, actorId: null, details: { provider: { id: provider.id, name: provider.name } }, request };
  return { id: (await createProvisionedUser(trx, by, { name, email })).id };
}

/**
 * The sign-in itself, in one transaction through the sign-in flow: the session in the state a
 * password would give, or both factors passed when the provider's MFA is trusted and it did MFA.
 */
async function completeSignIn(
  ctx: ServerContext,
  input: {
    provider: IdentityProvidersTable;
    said: ProviderSaid;
    userId: string | undefined;
    jit?: { email: string; claims: Record<string, unknown> } | undefined;
    presented: DevicesTable | undefined;
    request: RequestContext & { address: string };
    deviceToken?: string | undefined;
  },
) {
  const { provider, said, request } = input;
  const address = request.address;
  const userAgent = request.userAgent ?? undefined;
  return attempt(ctx, {
    // No guessable secret here: the provider checked the user, openid-client the provider.
    limits: [],
    wrong: [],
    verify: async (trx) => {
      const userId = input.userId ?? (await createJitUser(trx, provider, input.jit!.email, input.jit!.claims, request)).id;
      const user: SignedInUser = await trx
        .selectFrom('users as u')
        .innerJoin('accounts as a', 'a.id', 'u.account_id')
        .select(userColumns)
        .where('u.id', '=', userId)
        .executeTakeFirstOrThrow();
      await recordSignIn(trx, user.id);
      // The users list shows the provider; saving SSO only counts it as the admin's way in.
      await trx.updateTable('users').set({ last_sso_provider_id: provider.id }).where('id', '=', user.id).execute();
      // Exactly a password's outcome, unless the provider's MFA counts as ours.
      const state = said.mfaTrusted ? 'active' : user.has_two_factor === 1 ? 'two_factor_required' : user.require_two_factor === 1 ? 'enrollment_required' : 'active';
      const { device, token: newDeviceToken } = await deviceForSignIn(trx, { existing: input.presented, address, userAgent });
      // The provider just checked the first factor: the session has it as recent as a password typed now.
      let signedIn = await ctx.sessions.create(trx, { userId: user.id, accountId: user.account_id, state, clientAddress: address, userAgent, deviceId: device.id, passwordVerified: true });
      if (said.mfaTrusted) signedIn = await ctx.sessions.passSecondFactor(trx, signedIn.session);
      if (state === 'active') await recordDeviceSignIn(trx, { deviceId: device.id, userId: user.id, accountId: user.account_id });
      // Must enrol: the user's grace, granted the first time, as at a password sign-in (enforcement/grace.ts).
      const grace = state === 'enrollment_required' ? await grantGrace(trx, { userId: user.id, accountId: user.account_id }) : null;
      await recordAudit(trx, {
        accountId: user.account_id,
        actorId: user.id,
        action: 'sign_in.sso',
        details: { provider: { id: provider.id, name: provider.name }, amr: said.amr, acr: said.acr ?? null, mfaTrusted: said.mfaTrusted, state },
        request: { ...request, deviceId: device.id },
      });
      return { ...signedIn, user, grace, deviceToken: newDeviceToken ?? input.deviceToken ?? '', deviceShared: device.shared ?? null };
    },
  });
}
