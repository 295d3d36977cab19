// Sign in with a security key alone (a passkey): a discoverable credential, registered with
// user verification (PIN or fingerprint) as usable without a password, signs its user in in one
// step and counts as both factors. There is no session before it, so the challenge is a row of
// its own (32 random bytes, short-lived, taken once by id or by its value) bound to the account
// the sign-in was started for; the options name no credential (the key offers the ones it holds
// for our RP ID) and require user verification.
import { generateAuthenticationOptions, type AuthenticationResponseJSON } from '@simplewebauthn/server';
import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { DomainError } from '../errors.js';
import { newId } from '../crypto/tokens.js';
import type { Database } from '../store/schema.js';
import { limitKeys, secondFactorLimits, type Limit } from '../sessions/throttling.js';
import { checkAssertion, type AssertionResult, type RelyingParty } from './security-keys.js';

type Db = Kysely<Database> | Transaction<Database>;

const MINUTE = 60_000;
/** Long enough for a PIN and a touch (the ceremony's timeout is 2 minutes), no longer. */
const CHALLENGE_TTL_MS = 3 * MINUTE;
const CEREMONY_TIMEOUT_MS = 2 * MINUTE;

/**
 * The limits of a passkey sign-in, reserved before the signature is checked. On a device the
 * user has signed in on, that device's own second-factor budget only (an attacker elsewhere
 * cannot use it up); otherwise the credential from this address, and the address. Nothing
 * user-wide: a credential id is not a secret and a signature cannot be guessed, so whoever sends
 * bad signatures for it from elsewhere has no way to make the real key answer 429 from a new
 * device (before, five of them filled the user's second-factor limit). What stays bounded is
 * the work one address can cause (100 failures) and the tries at one key from one address (10).
 */
export function passkeyLimits(input: { credentialId: string; userId?: string | undefined; address: string; knownDeviceId?: string | undefined }): Limit[] {
  if (input.userId && input.knownDeviceId) return secondFactorLimits({ userId: input.userId, knownDeviceId: input.knownDeviceId });
  return [
    { name: 'passkeyCredential', key: limitKeys.passkeyCredential(input.credentialId, input.address), userId: input.userId },
    { name: 'passkeyAddress', key: limitKeys.passkeyAddress(input.address) },
  ];
}

export interface PasskeyAccount {
  id: string;
  name: string;
  slug: string;
  require_two_factor: number;
  passwordless_sign_in?: number | undefined;
  allowed_networks?: string | null | undefined;
}

/**
 * The account a passkey sign-in is for, only if it allows one. An unknown account gets the same
 * answer as one with the switch off, so the call tells nobody which accounts exist.
 */
export async function passwordlessAccount(db: Db, slug: string): Promise<PasskeyAccount> {
  const account = await db
    .selectFrom('accounts')
    .select(['id', 'name', 'slug', 'require_two_factor', 'passwordless_sign_in', 'allowed_networks'])
    .where('slug', '=', slug.toLowerCase())
    .executeTakeFirst();
  if (!account || account.passwordless_sign_in !== 1) throw new DomainError('passwordless_disabled');
  return account;
}

/** WebAuthn request options for a sign-in with a key alone, with the id of their challenge. */
export async function passkeyOptions(db: Db, rp: RelyingParty, account: PasskeyAccount) {
  const now = Date.now();
  const challenge = randomBytes(32).toString('base64url');
  const challengeId = newId();
  // Nobody else forgets these (they belong to no session): the expired ones go here, by index.
  await db.deleteFrom('passkey_challenges').where('expires_at', '<', now).execute();
  await db
    .insertInto('passkey_challenges')
    .values({ id: challengeId, account_slug: account.slug, challenge, expires_at: now + CHALLENGE_TTL_MS })
    .execute();
  const options = await generateAuthenticationOptions({
    rpID: rp.id,
    challenge: Buffer.from(challenge, 'base64url'),
    timeout: CEREMONY_TIMEOUT_MS,
    userVerification: 'required',
    allowCredentials: [],
  });
  return { ...options, challengeId };
}

/** The challenge a response signed, as the client data carries it; undefined when unreadable. */
function signedChallenge(response: AuthenticationResponseJSON): string | undefined {
  try {
    const clientData = JSON.parse(Buffer.from(response.response.clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof clientData.challenge === 'string' ? clientData.challenge : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the sign-in's challenge (by `challengeId`, or by the value the response signed): one
 * DELETE … RETURNING, so two requests with the same response cannot both get it. Gone,
 * expired or started for another account: challenge_expired.
 */
export async function takePasskeyChallenge(
  db: Db,
  input: { accountSlug: string; challengeId?: string | undefined; response: AuthenticationResponseJSON },
): Promise<string> {
  let query = db.deleteFrom('passkey_challenges').where('account_slug', '=', input.accountSlug);
  if (input.challengeId !== undefined) query = query.where('id', '=', input.challengeId);
  else {
    const challenge = signedChallenge(input.response);
    if (challenge === undefined) throw new DomainError('challenge_expired');
    query = query.where('challenge', '=', challenge);
  }
  const row = await query.returning(['challenge', 'expires_at']).executeTakeFirst();
  if (!row || Number(row.expires_at) <= Date.now()) throw new DomainError('challenge_expired');
  return row.challenge;
}

/** A security key of this account registered for sign-in without a password, with its user. */
export async function findPasskey(db: Db, accountId: string, credentialId: string) {
  return db
    .selectFrom('methods as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select([
      'm.id',
      'm.credential_id',
      'm.public_key',
      'm.sign_count',
      'm.transports',
      'm.outside_rule',
      'u.id as user_id',
      'u.name as user_name',
      'u.email as user_email',
      'u.role as user_role',
      'u.language as user_language',
      'u.has_two_factor as user_has_two_factor',
    ])
    .where('m.account_id', '=', accountId)
    .where('m.credential_id', '=', credentialId)
    .where('m.type', '=', 'security_key')
    .where('m.confirmed', '=', 1)
    .where('m.discoverable', '=', 1)
    // A deactivated (or not yet invited-in) user's key signs nobody in: it reads as unknown.
    .where('u.status', '=', 'active')
    .executeTakeFirst();
}
export type Passkey = NonNullable<Awaited<ReturnType<typeof findPasskey>>>;

/**
 * The key's user handle is the user id it was registered for (security-keys.ts encodes it as
 * UTF-8): a discoverable assertion must carry it, and it must be the credential's own user.
 */
export function userHandleMatches(response: AuthenticationResponseJSON, userId: string): boolean {
  const handle = response.response.userHandle;
  if (typeof handle !== 'string' || handle.length === 0) return false;
  return Buffer.from(handle, 'base64url').toString('utf8') === userId;
}

/** Verifies the assertion against the passkey, user verification required. */
export async function verifyPasskeyAssertion(
  db: Db,
  rp: RelyingParty,
  passkey: Passkey,
  input: { response: AuthenticationResponseJSON; expectedChallenge: string },
): Promise<AssertionResult> {
  if (!userHandleMatches(input.response, passkey.user_id)) {
    return { ok: false, cloneSuspected: false, methodId: passkey.id, message: 'The security key did not say whose credential this is.' };
  }
  return checkAssertion(db, rp, passkey, { ...input, requireUserVerification: true });
}
