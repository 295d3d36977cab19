// Security keys (WebAuthn / FIDO2, and U2F keys through the same API) with @simplewebauthn.
// Challenges are 32 random bytes bound to the session, single-use, consumed atomically.
// A key may be registered for sign-in without a password (a passkey: a discoverable credential
// with user verification, see passkeys.ts); that registration asks for both and checks both.
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { DomainError } from '../errors.js';
import { newId } from '../crypto/tokens.js';
import type { AccountsTable, ChallengesTable, Database, MethodsTable } from '../store/schema.js';
import { checkKeyModel, hasKeyModelRule, keyModelRule } from './key-models.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface RelyingParty {
  id: string;
  name: string;
  origins: string[];
}

const CHALLENGE_TTL_MS = 5 * 60_000;
type Purpose = ChallengesTable['purpose'];
/** Both kinds of registration share a slot: new options replace whichever was pending. */
const REGISTRATION_PURPOSES: Purpose[] = ['registration', 'passkey_registration'];
type UserVerification = AccountsTable['user_verification'];

async function storeChallenge(db: Db, sessionId: string, purpose: Purpose): Promise<string> {
  const challenge = randomBytes(32).toString('base64url');
  const slot = purpose === 'authentication' ? [purpose] : REGISTRATION_PURPOSES;
  await db.deleteFrom('challenges').where('session_id', '=', sessionId).where('purpose', 'in', slot).execute();
  await db
    .insertInto('challenges')
    .values({ id: newId(), session_id: sessionId, purpose, challenge, expires_at: Date.now() + CHALLENGE_TTL_MS })
    .execute();
  return challenge;
}

/** Takes the session's pending challenge; a second caller (or a late one) gets challenge_expired. */
async function consumeChallenge(db: Db, sessionId: string, purposes: Purpose[]): Promise<{ challenge: string; purpose: Purpose }> {
  const row = await db
    .deleteFrom('challenges')
    .where('session_id', '=', sessionId)
    .where('purpose', 'in', purposes)
    .returning(['challenge', 'expires_at', 'purpose'])
    .executeTakeFirst();
  if (!row || row.expires_at <= Date.now()) throw new DomainError('challenge_expired');
  return { challenge: row.challenge, purpose: row.purpose };
}

async function userKeys(db: Db, userId: string) {
  return db
    .selectFrom('methods')
    .select(['id', 'credential_id', 'public_key', 'sign_count', 'transports'])
    .where('user_id', '=', userId)
    .where('type', '=', 'security_key')
    .where('confirmed', '=', 1)
    .execute();
}

/** The key's transports as a hint for the client; none known means no hint (not an empty list). */
export function transportHint(row: { transports: string | null }): { transports?: AuthenticatorTransport[] } {
  const transports = row.transports ? (JSON.parse(row.transports) as AuthenticatorTransport[]) : [];
  return transports.length ? { transports } : {};
}

export async function registrationOptions(
  db: Db,
  rp: RelyingParty,
  input: {
    sessionId: string;
    accountId: string;
    user: { id: string; email: string; name: string };
    userVerification: UserVerification;
    /** For sign-in without a password: the key must keep the credential and verify the user. */
    passwordless?: boolean | undefined;
  },
) {
  const challenge = await storeChallenge(db, input.sessionId, input.passwordless ? 'passkey_registration' : 'registration');
  const existing = await userKeys(db, input.user.id);
  // An account that accepts only some models asks the key to prove its model (key-models.ts).
  const attested = await hasKeyModelRule(db, input.accountId);
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: input.user.email,
    userDisplayName: input.user.name,
    userID: new TextEncoder().encode(input.user.id),
    challenge: Buffer.from(challenge, 'base64url'),
    timeout: 120_000,
    attestationType: attested ? 'direct' : 'none',
    excludeCredentials: existing.map((k) => ({ id: k.credential_id!, ...transportHint(k) })),
    authenticatorSelection: input.passwordless
      ? { residentKey: 'required', userVerification: 'required' }
      : { residentKey: 'discouraged', userVerification: input.userVerification },
    // ES256 first: every FIDO2 and U2F key has it.
    supportedAlgorithmIDs: [-7, -8, -257],
  });
}

/**
 * Verifies a registration response (and, under a model rule, the key's attestation) and answers
 * the method row to store, unconfirmed. Kept out of the transaction that stores it: checking an
 * attestation chain may fetch the CRLs it names, and no database lock waits on the network.
 * The challenge is taken at once, so it stays single-use whatever happens next.
 */
export async function verifySecurityKeyRegistration(
  db: Db,
  rp: RelyingParty,
  input: { sessionId: string; userId: string; accountId: string; name: string; response: RegistrationResponseJSON; userVerification: UserVerification },
): Promise<MethodsTable> {
  const { challenge: expectedChallenge, purpose } = await consumeChallenge(db, input.sessionId, REGISTRATION_PURPOSES);
  const passwordless = purpose === 'passkey_registration';
  // A key that says it did not keep the credential cannot sign anyone in by itself. (Keys and
  // browsers that do not report credProps are trusted: residentKey "required" was asked for.)
  const credProps = input.response.clientExtensionResults?.credProps as { rk?: unknown } | undefined;
  if (passwordless && credProps?.rk === false) {
    throw new DomainError('security_key_rejected', 'This security key cannot keep a sign-in credential. Use a key with a PIN or fingerprint that supports passkeys.');
  }
  let verification;
  try {
    verification = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      requireUserVerification: passwordless || input.userVerification === 'required',
    });
  } catch (error) {
    throw new DomainError('security_key_rejected', `The security key could not be registered: ${(error as Error).message}`);
  }
  if (!verification.verified) throw new DomainError('security_key_rejected');
  const { credential } = verification.registrationInfo;
  const rule = await keyModelRule(db, input.accountId);
  const aaguid = rule ? await checkKeyModel(rule, verification.registrationInfo) : null;
  const now = Date.now();
  return {
    id: newId(),
    user_id: input.userId,
    account_id: input.accountId,
    type: 'security_key',
    name: input.name,
    // Activated by the caller, in the same transaction (recovery codes come with a first method).
    confirmed: 0,
    created_at: now,
    last_used_at: null,
    totp_secret: null,
    totp_last_step: null,
    credential_id: credential.id,
    public_key: Buffer.from(credential.publicKey).toString('base64url'),
    sign_count: credential.counter,
    transports: JSON.stringify(credential.transports ?? input.response.response.transports ?? []),
    clone_warning_at: null,
    session_id: input.sessionId,
    discoverable: passwordless ? 1 : 0,
    aaguid,
  };
}

/** Stores a verified key (in the caller's transaction); a credential already registered is refused. */
export async function storeSecurityKey(db: Db, method: MethodsTable): Promise<MethodsTable> {
  const taken = await db.selectFrom('methods').select('id').where('credential_id', '=', method.credential_id).executeTakeFirst();
  if (taken) throw new DomainError('method_already_registered');
  await db.insertInto('methods').values(method).execute();
  return method;
}

export async function authenticationOptions(
  db: Db,
  rp: RelyingParty,
  input: { sessionId: string; userId: string; userVerification: UserVerification },
) {
  const challenge = await storeChallenge(db, input.sessionId, 'authentication');
  const keys = await userKeys(db, input.userId);
  return generateAuthenticationOptions({
    rpID: rp.id,
    challenge: Buffer.from(challenge, 'base64url'),
    timeout: 120_000,
    userVerification: input.userVerification,
    allowCredentials: keys.map((k) => ({ id: k.credential_id!, ...transportHint(k) })),
  });
}

export type AssertionResult =
  | { ok: true; methodId: string }
  | { ok: false; cloneSuspected: boolean; methodId?: string; message: string };

/** What the agent is told of a counter that went backwards: all they can do is tell an admin. */
const COPY_SUSPECTED = 'This security key may be a copy of the one registered (its signature counter went backwards). Ask your administrator.';

/**
 * Verifies an assertion from one of the user's keys. A sign counter that goes backwards flags
 * the key as possibly cloned and refuses the assertion; keys that always report 0 are fine.
 */
export async function verifySecurityKeyAssertion(
  db: Db,
  rp: RelyingParty,
  input: { sessionId: string; userId: string; response: AuthenticationResponseJSON; userVerification: UserVerification },
): Promise<AssertionResult> {
  const { challenge: expectedChallenge } = await consumeChallenge(db, input.sessionId, ['authentication']);
  const key = await db
    .selectFrom('methods')
    .select(['id', 'credential_id', 'public_key', 'sign_count', 'transports', 'outside_rule'])
    .where('user_id', '=', input.userId)
    .where('type', '=', 'security_key')
    .where('confirmed', '=', 1)
    .where('credential_id', '=', input.response.id)
    .executeTakeFirst();
  if (!key) return { ok: false, cloneSuspected: false, message: 'This security key is not registered for your account.' };
  return checkAssertion(db, rp, key, { response: input.response, expectedChallenge, requireUserVerification: input.userVerification === 'required' });
}

/** What the holder of a key outside the account's rule is told (key-models.ts). */
const OUTSIDE_RULE = 'Your administrator no longer accepts this security key model. Use another method, then add a key your administrator accepts.';

/**
 * Checks an assertion against one stored key and, when it verifies, moves the key's sign
 * counter and last use. Shared by the second step and the sign-in with a key alone. A key
 * outside the account's rule is refused (security_key_model_not_allowed) once its signature
 * verified: only its holder learns why.
 */
export async function checkAssertion(
  db: Db,
  rp: RelyingParty,
  key: Pick<MethodsTable, 'id' | 'credential_id' | 'public_key' | 'sign_count' | 'transports' | 'outside_rule'>,
  input: { response: AuthenticationResponseJSON; expectedChallenge: string; requireUserVerification: boolean },
): Promise<AssertionResult> {
  let verification;
  try {
    verification = await verifyAuthenticationResponse({
      response: input.response,
      expectedChallenge: input.expectedChallenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      requireUserVerification: input.requireUserVerification,
      credential: {
        id: key.credential_id!,
        publicKey: Buffer.from(key.public_key!, 'base64url'),
        counter: Number(key.sign_count ?? 0),
        ...transportHint(key),
      },
    });
  } catch (error) {
    const message = (error as Error).message;
    const cloneSuspected = /counter value/i.test(message);
    if (cloneSuspected) {
      await db.updateTable('methods').set({ clone_warning_at: Date.now() }).where('id', '=', key.id).execute();
    }
    return { ok: false, cloneSuspected, methodId: key.id, message: cloneSuspected ? COPY_SUSPECTED : message };
  }
  if (!verification.verified) return { ok: false, cloneSuspected: false, message: 'The signature did not verify.' };
  const outside = key.outside_rule === 1;
  // The counter moves either way (a copy is still detected); a refused key was not "used".
  await db
    .updateTable('methods')
    .set({ sign_count: verification.authenticationInfo.newCounter, ...(outside ? {} : { last_used_at: Date.now() }) })
    .where('id', '=', key.id)
    .execute();
  if (outside) throw new DomainError('security_key_model_not_allowed', OUTSIDE_RULE);
  return { ok: true, methodId: key.id };
}
