// Security-key models (PRODUCT.md "Authentication policies"): an account may accept only listed
// authenticator models (AAGUIDs), and a key proves its model by its attestation, checked against
// the account's trust anchors: the roots a FIDO Metadata Service BLOB lists for that model
// (metadata-blob.ts), or the admin's own roots. A model the BLOB lists as revoked or compromised
// is refused. What a key merely claims (attestation "none", self attestation, a chain to nowhere)
// proves nothing and is refused. User verification (PIN) keeps its own account setting.
//
// Keys registered before a rule, or of a model it no longer accepts, are outside it: saving the
// rule marks them (methods.outside_rule, for every key of the account in one statement, in the
// save's transaction) and they then count as no method at all (method-flags.ts): they pass no
// second step, no re-authentication and no sign-in with the key alone, and their owners are
// asked to replace them. A column set at save rather than computed at each read: the users'
// method flags, which enforcement and sign-in read by index, must follow it in the same
// transaction; and it is never stale, since a key's model never changes, a new key is checked
// against the rule at registration, and every save recomputes every key of the account both
// ways. Users the save leaves without a method the account accepts are, while 2FA is required of
// them (its scope, enforcement/requirement-scope.ts), treated as the requirement treats users without one (enforcement.ts): their sessions end now
// with the pushed sign-out and they enrol at next sign-in; the preview counts them.
import { X509Certificate } from 'node:crypto';
import { decodeAttestationObject, validateCertificatePath } from '@simplewebauthn/server/helpers';
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool, type Transaction } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.js';
import { publishRevocations, type Revocations } from '../enforcement/enforcement.js';
import { inRequirementScope } from '../enforcement/requirement-scope.js';
import { DomainError } from '../errors.js';
import type { SessionEvents } from '../sessions/events.js';
import { Sessions } from '../sessions/sessions.js';
import type { Database, SecurityKeyPoliciesTable } from '../store/schema.js';
import { refreshKeyOwnersFlags } from './method-flags.js';
import { acceptedMethodFlag, policyOf } from './policy.js';
import { FIDO_MDS_ROOTS } from './fido-mds-roots.js';
import { REFUSED_STATUSES, blobRefused, today, verifyMetadataBlob, type ModelEntry, type VerifiedBlob } from './metadata-blob.js';
import { lockRequirementInForce } from '../enforcement/requirement-in-force.js';

type Db = Kysely<Database> | Transaction<Database>;
type MetadataSource = SecurityKeyPoliciesTable['metadata'];

/** An account's rule as registration applies it. */
export interface KeyModelRule {
  allowedAaguids: string[];
  metadata: Exclude<MetadataSource, 'none'>;
  trustedRoots: string[];
  blob: { no: number; nextUpdate: string; entries: ModelEntry[] } | null;
}

export interface SecurityKeyPolicyAnswer {
  allowedAaguids: string[];
  metadata: MetadataSource;
  trustedRoots: string[];
  metadataBlob: { no: number; nextUpdate: string; models: number; uploadedAt: string } | null;
  /** The allowed models' names as the BLOB gives them (fido_mds). */
  modelNames?: Record<string, string>;
}

export interface SecurityKeyPolicyInput {
  allowedAaguids: string[];
  metadata: MetadataSource;
  metadataBlob?: string | undefined;
  trustedRoots?: string[] | undefined;
  /** "I understand": needed when the save signs users out. */
  acknowledged?: boolean | undefined;
}

/** What a rule does to the keys already registered. */
export interface KeyRuleImpact {
  /** Confirmed keys the rule refuses: they must be replaced. */
  keysOutsideRule: number;
  /** Users whom those keys leave without a method the account accepts. */
  usersWithoutMethod: number;
  /** Of those, the users signed out now, to enrol at next sign-in: those of whom 2FA is required (its scope). */
  signedOutUsers: number;
}

/** Whether the account has a rule (registration then asks for direct attestation): one small read. */
export async function hasKeyModelRule(db: Db, accountId: string): Promise<boolean> {
  const row = await db.selectFrom('security_key_policies').select('metadata').where('account_id', '=', accountId).executeTakeFirst();
  return !!row && row.metadata !== 'none';
}

/** The account's rule; null when it has none (any key, attestation not asked for). */
export async function keyModelRule(db: Db, accountId: string): Promise<KeyModelRule | null> {
  return ruleOf(await db.selectFrom('security_key_policies').selectAll().where('account_id', '=', accountId).executeTakeFirst());
}

export async function readSecurityKeyPolicy(db: Db, accountId: string): Promise<SecurityKeyPolicyAnswer> {
  return answerOf(await db.selectFrom('security_key_policies').selectAll().where('account_id', '=', accountId).executeTakeFirst());
}

/** Each PEM parsed, current, and a certificate authority; normalised to Node's PEM. */
function parseRoots(pems: string[] | undefined): string[] {
  if (!pems?.length) throw new DomainError('trusted_roots_invalid');
  const now = Date.now();
  return [...new Set(pems.map((pem) => {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem);
    } catch {
      throw new DomainError('trusted_roots_invalid', 'One of the root certificates is not a PEM certificate.');
    }
    if (!cert.ca) throw new DomainError('trusted_roots_invalid', `${cert.subject.replace(/\n/g, ', ')} is not a certificate authority.`);
    if (Date.parse(cert.validTo) < now || Date.parse(cert.validFrom) > now) {
      throw new DomainError('trusted_roots_invalid', `${cert.subject.replace(/\n/g, ', ')} is not valid today.`);
    }
    return cert.toString();
  }))];
}

const statusRefused = (entry: ModelEntry) => entry.statuses.some((s) => REFUSED_STATUSES.has(s));

type Row = SecurityKeyPoliciesTable;

function ruleOf(row: Omit<Row, 'updated_at' | 'updated_by' | 'account_id'> | undefined): KeyModelRule | null {
  if (!row || row.metadata === 'none') return null;
  return {
    allowedAaguids: JSON.parse(row.allowed_aaguids) as string[],
    metadata: row.metadata,
    trustedRoots: row.trusted_roots ? (JSON.parse(row.trusted_roots) as string[]) : [],
    blob: row.blob_entries ? { no: Number(row.blob_no), nextUpdate: row.blob_next_update!, entries: JSON.parse(row.blob_entries) as ModelEntry[] } : null,
  };
}

function answerOf(row: Omit<Row, 'updated_at' | 'updated_by' | 'account_id'> | undefined): SecurityKeyPolicyAnswer {
  if (!row) return { allowedAaguids: [], metadata: 'none', trustedRoots: [], metadataBlob: null };
  const allowedAaguids = JSON.parse(row.allowed_aaguids) as string[];
  const entries = row.blob_entries ? (JSON.parse(row.blob_entries) as ModelEntry[]) : null;
  const modelNames = Object.fromEntries((entries ?? []).filter((e) => allowedAaguids.includes(e.aaguid) && e.description).map((e) => [e.aaguid, e.description]));
  return {
    allowedAaguids,
    metadata: row.metadata,
    trustedRoots: row.trusted_roots ? (JSON.parse(row.trusted_roots) as string[]) : [],
    metadataBlob: entries ? { no: Number(row.blob_no), nextUpdate: row.blob_next_update!, models: entries.length, uploadedAt: new Date(Number(row.blob_uploaded_at)).toISOString() } : null,
    ...(entries ? { modelNames } : {}),
  };
}

/**
 * The row a policy would be stored as, every part checked: an uploaded BLOB verified against
 * `blobRoots` (the FIDO roots; a test passes its own), or the one in use kept. Writes nothing.
 */
async function resolvePolicy(
  db: Db,
  input: { accountId: string; actorId: string; policy: SecurityKeyPolicyInput; blobRoots?: readonly string[] | undefined },
  verified?: VerifiedBlob | null,
): Promise<Row> {
  const { policy } = input;
  const allowedAaguids = [...new Set(policy.allowedAaguids.map((a) => a.toLowerCase()))];
  if (policy.metadata === 'none' && allowedAaguids.length) throw new DomainError('trust_anchors_required');
  const trustedRoots = policy.metadata === 'own_roots' ? parseRoots(policy.trustedRoots) : [];
  const blob = verified !== undefined ? verified : policy.metadata === 'fido_mds' && policy.metadataBlob !== undefined ? await verifyMetadataBlob(policy.metadataBlob, input.blobRoots ?? FIDO_MDS_ROOTS) : null;
  let blobColumns: Pick<Row, 'blob_no' | 'blob_next_update' | 'blob_entries' | 'blob_uploaded_at'> = { blob_no: null, blob_next_update: null, blob_entries: null, blob_uploaded_at: null };
  if (policy.metadata === 'fido_mds') {
    const kept = await db
      .selectFrom('security_key_policies')
      .select(['blob_no', 'blob_next_update', 'blob_entries', 'blob_uploaded_at'])
      .where('account_id', '=', input.accountId)
      .executeTakeFirst();
    if (blob) {
      // A BLOB from before the one in use could hide a revocation published since.
      if (kept?.blob_no != null && blob.no < Number(kept.blob_no)) throw blobRefused('older');
      blobColumns = { blob_no: blob.no, blob_next_update: blob.nextUpdate, blob_entries: JSON.stringify(blob.entries), blob_uploaded_at: Date.now() };
    } else if (kept?.blob_entries) {
      blobColumns = kept;
    } else {
      const error = new DomainError('metadata_blob_invalid', 'Upload the FIDO Metadata Service BLOB (https://mds3.fidoalliance.org/) to check keys against it.');
      error.reason = 'missing';
      throw error;
    }
  }
  return {
    account_id: input.accountId,
    allowed_aaguids: JSON.stringify(allowedAaguids),
    metadata: policy.metadata,
    trusted_roots: trustedRoots.length ? JSON.stringify(trustedRoots) : null,
    ...blobColumns,
    updated_at: Date.now(),
    updated_by: input.actorId,
  };
}

/** What saving the policy would do, without saving it: the policy as it would read, and the keys outside it. */
export async function previewSecurityKeyPolicy(
  db: Kysely<Database>,
  input: { accountId: string; actorId: string; policy: SecurityKeyPolicyInput; blobRoots?: readonly string[] | undefined },
): Promise<SecurityKeyPolicyAnswer & KeyRuleImpact> {
  const row = await resolvePolicy(db, input);
  const requirement = await requirementOf(db, input.accountId);
  return { ...answerOf(row), ...(await impactOf(db, input.accountId, ruleOf(row), requirement)) };
}

/**
 * Saves the account's rule (a declared sensitive change, audited); refusals change nothing.
 * Answers with the rule and the registered keys it would not accept today.
 */
export async function saveSecurityKeyPolicy(
  db: Kysely<Database>,
  events: SessionEvents,
  input: { accountId: string; actorId: string; policy: SecurityKeyPolicyInput; request: RequestContext; blobRoots?: readonly string[] | undefined },
): Promise<SecurityKeyPolicyAnswer & KeyRuleImpact & { revokedSessions: number }> {
  const { policy } = input;
  // Verified before the transaction: the chain's CRLs may be fetched, and no lock waits on that.
  const verified = policy.metadata === 'fido_mds' && policy.metadataBlob !== undefined ? await verifyMetadataBlob(policy.metadataBlob, input.blobRoots ?? FIDO_MDS_ROOTS) : null;
  const result = await db.transaction().execute(async (trx) => {
    // The account row's lock first, as an enforcement save and a method's removal take it: the
    // requirement read below is the one in force, and users' methods hold still until commit.
    await lockRequirementInForce(trx, input.accountId);
    const requirement = await requirementOf(trx, input.accountId);
    const before = await readSecurityKeyPolicy(trx, input.accountId);
    const row = await resolvePolicy(trx, input, verified);
    const rule = ruleOf(row);
    const impact = await impactOf(trx, input.accountId, rule, requirement);
    if (impact.usersWithoutMethod > 0) {
      const actorLeft = await usersLeftWithoutMethod(trx, input.accountId, rule, requirement.flag).where('u.id', '=', input.actorId).executeTakeFirst();
      if (actorLeft) throw new DomainError('admin_method_required', 'This rule refuses your own security key, and you have no other method it accepts. Add one first.');
    }
    if (impact.signedOutUsers > 0 && !policy.acknowledged) throw new DomainError('acknowledgement_required');
    await trx.deleteFrom('security_key_policies').where('account_id', '=', input.accountId).execute();
    await trx.insertInto('security_key_policies').values(row).execute();
    const revocations: Revocations = { two_factor_required: [], security_key_required: [] };
    let revoked: { id: string; user_id: string }[] = [];
    if (impact.signedOutUsers > 0) {
      // Before the flags change: these users still have them set, and the rule says they lose them.
      const ended = await Sessions.revokeUnderRequirement(trx, {
        accountId: input.accountId,
        acceptedMethodFlag: requirement.flag,
        reason: requirement.reason,
        passwordOnly: false,
        withoutMethod: usersLeftWithoutMethod(trx, input.accountId, rule, requirement.flag).where(inRequirementScope('u', { accountId: input.accountId })),
      });
      revoked = ended.withoutMethod;
      revocations[requirement.reason] = revoked.map((r) => r.id);
    }
    await trx
      .updateTable('methods')
      .set((eb) => ({ outside_rule: rule ? eb.case().when(outsideRule(eb, 'aaguid', rule)).then(1).else(0).end() : 0 }))
      .where('account_id', '=', input.accountId)
      .where('type', '=', 'security_key')
      .execute();
    await refreshKeyOwnersFlags(trx, input.accountId);
    const after = answerOf(row);
    const revokedSessions = revoked.length;
    await recordAudit(trx, {
      accountId: input.accountId,
      actorId: input.actorId,
      action: 'account.security_key_policy_changed',
      // Roots and BLOB contents are public and long: the audit keeps what identifies them.
      details: { before: auditView(before), after: auditView(after), ...impact, revokedSessions },
      request: input.request,
    });
    return { answer: { ...after, ...impact, revokedSessions }, revocations };
  });
  await publishRevocations(events, result.revocations);
  return result.answer;
}

/**
 * Whether 2FA is required and which methods count (second-factors/policy.ts), and the reason
 * a sign-out gives: as an enforcement save gives it (enforcement.ts). Of whom it is required is
 * the requirement's scope (enforcement/requirement-scope.ts), applied in the queries.
 */
async function requirementOf(db: Db, accountId: string) {
  const account = await db.selectFrom('accounts').select(['require_two_factor', 'second_factor_policy']).where('id', '=', accountId).executeTakeFirstOrThrow();
  const policy = policyOf(account);
  return {
    required: account.require_two_factor === 1,
    flag: acceptedMethodFlag(policy),
    reason: policy === 'security_keys' ? ('security_key_required' as const) : ('two_factor_required' as const),
  };
}

async function impactOf(db: Db, accountId: string, rule: KeyModelRule | null, requirement: Awaited<ReturnType<typeof requirementOf>>): Promise<KeyRuleImpact> {
  const keysOutsideRule = await countKeysOutsideRule(db, accountId, rule);
  if (!rule || keysOutsideRule === 0) return { keysOutsideRule, usersWithoutMethod: 0, signedOutUsers: 0 };
  // Both counts in one pass over the users the rule leaves without a method.
  const left = await usersLeftWithoutMethod(db, accountId, rule, requirement.flag)
    .clearSelect()
    .select((eb) => [
      eb.fn.countAll<number>().as('n'),
      eb.fn.sum<number>(sql`case when ${inRequirementScope('u', { accountId })} then 1 else 0 end`).as('in_scope'),
    ])
    .executeTakeFirstOrThrow();
  const usersWithoutMethod = Number(left.n);
  return { keysOutsideRule, usersWithoutMethod, signedOutUsers: requirement.required ? Number(left.in_scope ?? 0) : 0 };
}

/**
 * The users whose methods the account accepts (`flag`) are all keys the rule refuses: those it
 * leaves without one. Read from the flags as they stand before the save changes them.
 */
function usersLeftWithoutMethod(db: Db, accountId: string, rule: KeyModelRule | null, flag: 'has_two_factor' | 'has_security_key') {
  return db
    .selectFrom('users as u')
    .select('u.id')
    .where('u.account_id', '=', accountId)
    .where(`u.${flag}`, '=', 1)
    .where((eb) =>
      rule
        ? eb.not(
            eb.exists(
              eb
                .selectFrom('methods as m')
                .select(sql<number>`1`.as('one'))
                .whereRef('m.user_id', '=', 'u.id')
                .where('m.confirmed', '=', 1)
                .$if(flag === 'has_security_key', (q) => q.where('m.type', '=', 'security_key'))
                .where((eb) => eb.or([eb('m.type', '!=', 'security_key'), eb.not(outsideRule(eb, 'm.aaguid', rule))])),
            ),
          )
        : sql<SqlBool>`1 = 0`,
    );
}

/**
 * Whether the key whose model is in column `aaguid` is outside the rule: never attested (every
 * key registered before a rule), another model than those listed, or a model the BLOB refuses.
 */
function outsideRule<DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>, aaguid: 'aaguid' | 'm.aaguid', rule: KeyModelRule): Expression<SqlBool> {
  const model = sql.ref<string | null>(aaguid);
  const refusedModels = (rule.blob?.entries ?? []).filter(statusRefused).map((e) => e.aaguid);
  return eb.or([
    eb(model, 'is', null),
    ...(rule.allowedAaguids.length ? [eb(model, 'not in', rule.allowedAaguids)] : []),
    ...(refusedModels.length ? [eb(model, 'in', refusedModels)] : []),
  ]);
}

function auditView(p: SecurityKeyPolicyAnswer) {
  return {
    allowedAaguids: p.allowedAaguids,
    metadata: p.metadata,
    trustedRoots: p.trustedRoots.map((pem) => new X509Certificate(pem).fingerprint256),
    metadataBlob: p.metadataBlob && { no: p.metadataBlob.no, nextUpdate: p.metadataBlob.nextUpdate },
  };
}

/**
 * The account's confirmed security keys the rule would refuse today: never attested (every key
 * registered before a rule), another model than those listed, or a model the BLOB now refuses.
 */
export async function countKeysOutsideRule(db: Db, accountId: string, rule: KeyModelRule | null): Promise<number> {
  if (!rule) return 0;
  const row = await db
    .selectFrom('methods')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .where('type', '=', 'security_key')
    .where('confirmed', '=', 1)
    .where((eb) => outsideRule(eb, 'aaguid', rule))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

const derToPem = (der: Uint8Array) => new X509Certificate(der).toString();

/**
 * Decides whether a registration's verified attestation (signature already checked by
 * verifyRegistrationResponse) proves an accepted model; returns its AAGUID or throws a refusal.
 */
export async function checkKeyModel(
  rule: KeyModelRule,
  registration: { fmt: string; aaguid: string; attestationObject: Parameters<typeof decodeAttestationObject>[0] },
  now = new Date(),
): Promise<string> {
  const x5c = decodeAttestationObject(registration.attestationObject).get('attStmt').get('x5c');
  // "none" and self attestation (packed without x5c) are the key's word for its own model.
  if (registration.fmt === 'none' || !x5c?.length) throw new DomainError('security_key_attestation_untrusted');
  // Real chains are a leaf and an intermediate or two; a long one is only work for the chain builder.
  if (x5c.length > 5) throw new DomainError('security_key_attestation_untrusted');
  const aaguid = registration.aaguid.toLowerCase();
  if (rule.allowedAaguids.length && !rule.allowedAaguids.includes(aaguid)) throw new DomainError('security_key_model_not_allowed');
  let anchors: string[];
  if (rule.metadata === 'fido_mds') {
    if (!rule.blob) throw new DomainError('metadata_blob_expired');
    if (rule.blob.nextUpdate < today(now)) throw new DomainError('metadata_blob_expired');
    const entry = rule.blob.entries.find((e) => e.aaguid === aaguid);
    if (!entry) throw new DomainError('security_key_model_not_allowed', 'This security key model is not in the FIDO Metadata Service. Your administrator accepts only models that are.');
    if (statusRefused(entry)) throw new DomainError('security_key_model_revoked');
    anchors = entry.attestationRootCertificates.map((b64) => {
      try {
        return derToPem(Buffer.from(b64, 'base64'));
      } catch {
        return '';
      }
    }).filter(Boolean);
  } else {
    anchors = rule.trustedRoots;
  }
  // Never an empty list: validateCertificatePath accepts any chain when given no anchors.
  if (!anchors.length) throw new DomainError('security_key_attestation_untrusted');
  try {
    await validateCertificatePath(x5c.map(derToPem), anchors);
  } catch {
    throw new DomainError('security_key_attestation_untrusted');
  }
  return aaguid;
}
