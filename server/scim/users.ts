// SCIM Users (RFC 7643 §4.1, RFC 7644 §3): what an identity provider sees of an account's users and
// how it changes them, built on the people domain: creation through people/provisioning.ts (the
// same path as just-in-time SSO users), name/email through changeUserDetails, `active` through the
// lifecycle (people/lifecycle.ts: deactivation signs the user out everywhere at once and tells
// their open streams), DELETE through deleteUser. Nothing here writes a users row itself.
import type { Kysely } from 'kysely';
import { hasForbiddenCharacters } from '../../contract/names.js';
import type { RequestContext } from '../audit/audit.js';
import { DomainError } from '../errors.js';
import { normalizeEmail } from '../people/accounts.js';
import { changeUser, deleteUser, type Actor } from '../people/lifecycle.js';
import { changeUserDetails, createProvisionedUser, type Provisioner } from '../people/provisioning.js';
import type { SessionEvents } from '../sessions/events.js';
import type { Database, UserStatus } from '../store/schema.js';
import { invalidValue, listResponse, parseEqFilter, SCHEMA, ScimError, scimBoolean, type Page } from './protocol.js';
import { applyUserPatch, type UserPatchable } from './user-patch.js';
import type { ScimCaller } from './tokens.js';

export interface ScimContext {
  db: Kysely<Database>;
  events: SessionEvents;
  /** https://host/scim/v2: each resource's `meta.location` starts with it. */
  baseUrl: string;
  caller: ScimCaller;
  request: RequestContext;
}

interface UserRow {
  id: string;
  name: string;
  email: string;
  status?: UserStatus | undefined;
  scim_external_id?: string | null | undefined;
  created_at: number;
}

const columns = ['id', 'name', 'email', 'status', 'scim_external_id', 'created_at'] as const;

export function userResource(baseUrl: string, row: UserRow) {
  const created = new Date(Number(row.created_at)).toISOString();
  return {
    schemas: [SCHEMA.user],
    id: row.id,
    ...(row.scim_external_id ? { externalId: row.scim_external_id } : {}),
    userName: row.email,
    name: { formatted: row.name },
    displayName: row.name,
    emails: [{ value: row.email, type: 'work', primary: true }],
    active: (row.status ?? 'active') !== 'deactivated',
    meta: { resourceType: 'User', created, lastModified: created, location: `${baseUrl}/Users/${row.id}` },
  };
}

/** The audit's actor and details for a change made with the token. */
function provisioner(sc: ScimContext): Provisioner {
  const actorId = `scim-token:${sc.caller.tokenId}`;
  return { via: 'scim', accountId: sc.caller.accountId, actorId, actor: { name: `SCIM: ${sc.caller.tokenName}`, email: '' }, details: { scimToken: { id: sc.caller.tokenId, name: sc.caller.tokenName } }, request: sc.request };
}

function lifecycleActor(sc: ScimContext): Actor {
  const by = provisioner(sc);
  return { accountId: by.accountId, actorId: by.actorId, actor: by.actor, details: { via: 'scim', ...by.details }, request: by.request };
}

/** SCIM's answer for a domain refusal: the same meaning, in its shape. */
export function scimErrorOf(error: DomainError): ScimError {
  switch (error.code) {
    case 'not_found':
      return new ScimError(404, undefined, 'No such resource in this account.');
    case 'email_taken':
      return new ScimError(409, 'uniqueness', 'A user with this userName already exists in this account.');
    case 'admin_email_not_provisioned':
      return new ScimError(400, 'mutability', error.message);
    case 'last_admin_required':
      return new ScimError(400, 'mutability', 'The account needs at least one active administrator.');
    default:
      return new ScimError(400, 'invalidValue', error.message);
  }
}

async function findRow(sc: ScimContext, id: string): Promise<UserRow> {
  const row = await sc.db.selectFrom('users').select(columns).where('account_id', '=', sc.caller.accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw new ScimError(404, undefined, 'No such user in this account.');
  return row;
}

export async function listScimUsers(sc: ScimContext, filter: string | undefined, page: Page) {
  let query = sc.db.selectFrom('users').where('account_id', '=', sc.caller.accountId);
  if (filter !== undefined) {
    const eq = parseEqFilter(filter, ['userName', 'externalId'], SCHEMA.user);
    query = eq.attribute === 'userName' ? query.where('email', '=', normalizeEmail(eq.value)) : query.where('scim_external_id', '=', eq.value);
  }
  const total = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = page.count === 0 ? [] : await query.select(columns).orderBy('created_at').orderBy('id').offset(page.startIndex - 1).limit(page.count).execute();
  return listResponse(rows.map((r) => userResource(sc.baseUrl, r)), Number(total.n), page);
}

export async function getScimUser(sc: ScimContext, id: string) {
  return userResource(sc.baseUrl, await findRow(sc, id));
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}$/;

function object(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidValue(`${what} must be an object.`);
  return value as Record<string, unknown>;
}

function optionalString(value: unknown, name: string, max: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > max) throw invalidValue(`${name} must be text of at most ${max} characters.`);
  return value;
}

export function userNameOf(value: unknown): string {
  if (typeof value !== 'string' || value.length > 254 || !EMAIL.test(value.trim()) || hasForbiddenCharacters(value)) throw invalidValue('userName must be the user’s email address.');
  return value.trim();
}

/** The one name AgentDesk keeps: displayName, else name.formatted, else given and family names. */
export function personNameOf(input: { displayName?: unknown; formatted?: unknown; givenName?: unknown; familyName?: unknown }, fallback: string): string {
  const pick = (v: unknown, n: string) => optionalString(v, n, 120)?.trim() || undefined;
  const joined = [pick(input.givenName, 'name.givenName'), pick(input.familyName, 'name.familyName')].filter(Boolean).join(' ');
  const name = pick(input.displayName, 'displayName') ?? pick(input.formatted, 'name.formatted') ?? (joined || fallback);
  if (name.length > 120 || hasForbiddenCharacters(name)) throw invalidValue('The name must be at most 120 characters, with no control characters.');
  return name;
}

/** The user of a POST or PUT body, checked whole before anything is written. */
function userOfBody(body: unknown) {
  const b = object(body, 'The body');
  if (b.schemas !== undefined && (!Array.isArray(b.schemas) || !b.schemas.includes(SCHEMA.user))) throw new ScimError(400, 'invalidSyntax', `schemas must include ${SCHEMA.user}.`);
  const userName = userNameOf(b.userName);
  const name = b.name === undefined || b.name === null ? {} : object(b.name, 'name');
  return {
    userName,
    name: personNameOf({ displayName: b.displayName, formatted: name.formatted, givenName: name.givenName, familyName: name.familyName }, userName.slice(0, userName.indexOf('@'))),
    externalId: optionalString(b.externalId, 'externalId', 256),
    active: b.active === undefined ? undefined : scimBoolean(b.active, 'active'),
  };
}

export async function createScimUser(sc: ScimContext, body: unknown) {
  const user = userOfBody(body);
  try {
    const row = { name: user.name, email: normalizeEmail(user.userName), scim_external_id: user.externalId ?? null, status: user.active === false ? ('deactivated' as const) : ('active' as const) };
    const { id, createdAt } = await sc.db.transaction().execute((trx) => createProvisionedUser(trx, provisioner(sc), { name: row.name, email: row.email, externalId: row.scim_external_id, status: row.status }));
    // Answered from what was written, not read back.
    return userResource(sc.baseUrl, { ...row, id, created_at: createdAt });
  } catch (error) {
    throw error instanceof DomainError ? scimErrorOf(error) : error;
  }
}

/** Applies a checked change: details first (a taken email refuses it all), then `active`. */
async function applyChange(sc: ScimContext, row: UserRow, change: { userName?: string | undefined; name?: string | undefined; externalId?: string | null | undefined; active?: boolean | undefined }) {
  try {
    // A PATCH of `active` alone (an identity provider's deactivation) changes no details: no transaction for them.
    if (change.userName !== undefined || change.name !== undefined || change.externalId !== undefined) {
      await changeUserDetails(sc.db, provisioner(sc), row.id, { email: change.userName, name: change.name, externalId: change.externalId });
    }
    const active = (row.status ?? 'active') !== 'deactivated';
    if (change.active !== undefined && change.active !== active) {
      await changeUser(sc.db, sc.events, lifecycleActor(sc), row.id, { status: change.active ? 'active' : 'deactivated' });
    }
  } catch (error) {
    throw error instanceof DomainError ? scimErrorOf(error) : error;
  }
  return getScimUser(sc, row.id);
}

export async function replaceScimUser(sc: ScimContext, id: string, body: unknown) {
  const user = userOfBody(body);
  const row = await findRow(sc, id);
  return applyChange(sc, row, user);
}

export async function patchScimUser(sc: ScimContext, id: string, body: unknown) {
  const row = await findRow(sc, id);
  const current: UserPatchable = { userName: row.email, displayName: row.name, externalId: row.scim_external_id ?? null, active: (row.status ?? 'active') !== 'deactivated' };
  const patched = applyUserPatch(current, body);
  return applyChange(sc, row, {
    userName: patched.userName === current.userName ? undefined : userNameOf(patched.userName),
    name: patched.displayName === current.displayName ? undefined : personNameOf({ displayName: patched.displayName }, row.name),
    externalId: patched.externalId === current.externalId ? undefined : patched.externalId,
    active: patched.active,
  });
}

export async function deleteScimUser(sc: ScimContext, id: string): Promise<void> {
  await findRow(sc, id);
  try {
    await deleteUser(sc.db, sc.events, lifecycleActor(sc), id);
  } catch (error) {
    throw error instanceof DomainError ? scimErrorOf(error) : error;
  }
}
