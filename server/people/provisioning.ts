// Users an identity provider brings (PRODUCT.md "Enterprise sign-in"): created as agents with no
// password of ours (they sign in through the provider), by just-in-time SSO or by SCIM; and the
// details a provider keeps for them (name, email, its own id), changed by SCIM. Role and status
// are not here: a role is an admin's decision, and deactivation goes through people/lifecycle.ts.
import type { Kysely, Transaction } from 'kysely';
import { recordAudit, type AuditPerson, type RequestContext } from '../audit/audit.js';
import { newId } from '../crypto/tokens.js';
import { DomainError } from '../errors.js';
import { NO_METHOD_FLAGS } from '../second-factors/method-flags.js';
import type { Database } from '../store/schema.js';
import { normalizeEmail } from './accounts.js';
import { isUniqueViolation } from './invitations.js';
import { NO_PASSWORD } from './passwords.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Who brings or changes the user: a provider at sign-in (no actor), or a SCIM token (`scim-token:<id>`, by name). */
export interface Provisioner {
  via: 'sso' | 'scim';
  accountId: string;
  actorId: string | null;
  actor?: AuditPerson | undefined;
  /** Said in each audit entry's details: `via` and the provider or token. */
  details: Record<string, unknown>;
  request?: RequestContext | undefined;
}

export interface ProvisionedUser {
  name: string;
  email: string;
  externalId?: string | null | undefined;
  /** `deactivated` when the provider creates the user already inactive. */
  status?: 'active' | 'deactivated' | undefined;
}

/** Creates the agent inside the caller's transaction; a taken email is `email_taken`. */
export async function createProvisionedUser(trx: Db, by: Provisioner, input: ProvisionedUser): Promise<{ id: string; createdAt: number }> {
  const id = newId();
  const now = Date.now();
  const email = normalizeEmail(input.email);
  const status = input.status ?? 'active';
  try {
    await trx
      .insertInto('users')
      .values({ id, account_id: by.accountId, name: input.name, email, password_hash: NO_PASSWORD, role: 'agent', created_at: now, status, scim_external_id: input.externalId ?? null, provisioned_via: by.via, ...NO_METHOD_FLAGS })
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError('email_taken');
    throw error;
  }
  await recordAudit(trx, {
    accountId: by.accountId,
    actorId: by.actorId,
    actor: by.actor,
    subjectUserId: id,
    action: 'user.created',
    details: { userId: id, name: input.name, email, role: 'agent', ...(status === 'active' ? {} : { status }), via: by.via, ...by.details },
    request: by.request,
    at: now,
  });
  return { id, createdAt: now };
}

export interface DetailsChange {
  name?: string | undefined;
  email?: string | undefined;
  externalId?: string | null | undefined;
}

/**
 * Changes what the provider keeps for a user, in one transaction, audited when the name or email
 * changes. An admin's email is not the provider's to change: the email is where a password reset
 * goes, so changing it would hand the admin's account to whoever holds the new address.
 */
export async function changeUserDetails(db: Kysely<Database>, by: Provisioner, userId: string, change: DetailsChange): Promise<void> {
  try {
    await db.transaction().execute(async (trx) => {
      const user = await trx.selectFrom('users').select(['id', 'name', 'email', 'role', 'scim_external_id']).where('id', '=', userId).where('account_id', '=', by.accountId).executeTakeFirst();
      if (!user) throw new DomainError('not_found', 'No such user in this account.');
      const email = change.email === undefined ? user.email : normalizeEmail(change.email);
      const name = change.name ?? user.name;
      const externalId = change.externalId === undefined ? (user.scim_external_id ?? null) : change.externalId;
      if (email !== user.email && user.role === 'admin') throw new DomainError('admin_email_not_provisioned');
      if (email === user.email && name === user.name && externalId === (user.scim_external_id ?? null)) return;
      await trx.updateTable('users').set({ name, email, scim_external_id: externalId }).where('id', '=', user.id).execute();
      if (email === user.email && name === user.name) return;
      await recordAudit(trx, {
        accountId: by.accountId,
        actorId: by.actorId,
        actor: by.actor,
        subjectUserId: user.id,
        action: 'user.updated',
        details: { userId: user.id, ...(name !== user.name ? { name: { from: user.name, to: name } } : {}), ...(email !== user.email ? { email: { from: user.email, to: email } } : {}), ...by.details },
        request: by.request,
      });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError('email_taken');
    throw error;
  }
}
