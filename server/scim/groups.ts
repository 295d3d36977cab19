// SCIM Groups (RFC 7643 §4.2, RFC 7644 §3), built on groups/groups.ts — the one way groups change,
// shared with the admin API — with the SCIM token as the actor (audited `SCIM: <name>`). A
// membership change goes through one setMembers: all or nothing (an id that is not a user of the
// account refuses it, nothing changed), and a user who comes under the 2FA requirement without a
// method is signed out at once, exactly as when an admin changes the members.
import { hasForbiddenCharacters } from '../../contract/names.js';
import { DomainError } from '../errors.js';
import { createGroup, deleteGroup, findGroup, groupMemberIds, listGroups, renameGroup, setMembers, type Group, type GroupActor } from '../groups/groups.js';
import { invalidValue, listResponse, parseEqFilter, SCHEMA, ScimError, type Page } from './protocol.js';
import type { ScimContext } from './users.js';

const MAX_OPERATIONS = 100;

function actorOf(sc: ScimContext): GroupActor {
  return { kind: 'scim_token', id: sc.caller.tokenId, name: sc.caller.tokenName, request: sc.request };
}

function scimErrorOf(error: DomainError): ScimError {
  switch (error.code) {
    case 'not_found':
      return new ScimError(404, undefined, 'No such group in this account.');
    case 'group_name_taken':
      return new ScimError(409, 'uniqueness', error.message);
    default:
      return new ScimError(400, 'invalidValue', error.message);
  }
}

async function domain<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw error instanceof DomainError ? scimErrorOf(error) : error;
  }
}

export function groupResource(baseUrl: string, group: Group, members: string[] | undefined) {
  return {
    schemas: [SCHEMA.group],
    id: group.id,
    displayName: group.name,
    ...(group.externalId ? { externalId: group.externalId } : {}),
    ...(members ? { members: members.map((id) => ({ value: id, $ref: `${baseUrl}/Users/${id}`, type: 'User' })) } : {}),
    meta: { resourceType: 'Group', created: group.createdAt, lastModified: group.createdAt, location: `${baseUrl}/Groups/${group.id}` },
  };
}

async function found(sc: ScimContext, id: string): Promise<Group> {
  const group = await findGroup(sc.db, sc.caller.accountId, { id });
  if (!group) throw new ScimError(404, undefined, 'No such group in this account.');
  return group;
}

/** `excludedAttributes=members` (what Entra ID and Okta ask when they only look a group up). */
export function withoutMembers(excluded: string | undefined): boolean {
  return (excluded ?? '').split(',').some((a) => a.trim().toLowerCase() === 'members');
}

export async function listScimGroups(sc: ScimContext, filter: string | undefined, page: Page, excludeMembers: boolean) {
  let groups = await listGroups(sc.db, sc.caller.accountId);
  if (filter !== undefined) {
    const eq = parseEqFilter(filter, ['displayName', 'externalId'], SCHEMA.group);
    groups = eq.attribute === 'displayName' ? groups.filter((g) => g.name.toLowerCase() === eq.value.trim().toLowerCase()) : groups.filter((g) => g.externalId === eq.value);
  }
  const shown = groups.slice(page.startIndex - 1, page.startIndex - 1 + page.count);
  const resources = [];
  for (const g of shown) resources.push(groupResource(sc.baseUrl, g, excludeMembers ? undefined : await groupMemberIds(sc.db, sc.caller.accountId, g.id)));
  return listResponse(resources, groups.length, page);
}

export async function getScimGroup(sc: ScimContext, id: string, excludeMembers = false) {
  const group = await found(sc, id);
  return groupResource(sc.baseUrl, group, excludeMembers ? undefined : await groupMemberIds(sc.db, sc.caller.accountId, id));
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidValue(`${what} must be an object.`);
  return value as Record<string, unknown>;
}

function displayNameOf(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > 80 || hasForbiddenCharacters(value)) throw invalidValue('displayName must be text of 1 to 80 characters, with no control characters.');
  return value;
}

function externalIdOf(value: unknown): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (typeof value !== 'string' || value.length > 256) throw invalidValue('externalId must be text of at most 256 characters.');
  return value;
}

/** `[{value: "<user id>"}, …]`, as both providers send members. */
function memberIdsOf(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((m) => {
    const id = object(m, 'Each member').value;
    if (typeof id !== 'string' || id.length === 0 || id.length > 64) throw invalidValue('Each member needs a value: a user id.');
    return id;
  });
}

function groupOfBody(body: unknown) {
  const b = object(body, 'The body');
  if (b.schemas !== undefined && (!Array.isArray(b.schemas) || !b.schemas.includes(SCHEMA.group))) throw new ScimError(400, 'invalidSyntax', `schemas must include ${SCHEMA.group}.`);
  return { name: displayNameOf(b.displayName), externalId: externalIdOf(b.externalId), members: b.members === undefined || b.members === null ? undefined : memberIdsOf(b.members) };
}

export async function createScimGroup(sc: ScimContext, body: unknown) {
  const input = groupOfBody(body);
  const group = await domain(() => createGroup(sc.db, sc.events, { accountId: sc.caller.accountId, actor: actorOf(sc), name: input.name, externalId: input.externalId ?? null, memberIds: input.members }));
  return getScimGroup(sc, group.id);
}

/** The name is checked free before anything is written, so a PUT or PATCH is refused whole. */
async function assertNameFree(sc: ScimContext, groupId: string, name: string) {
  const key = name.trim().toLowerCase();
  const groups = await listGroups(sc.db, sc.caller.accountId);
  if (groups.some((g) => g.id !== groupId && g.name.toLowerCase() === key)) throw new ScimError(409, 'uniqueness', 'A group with this name already exists in this account.');
}

async function apply(sc: ScimContext, group: Group, change: { name?: string | undefined; externalId?: string | null | undefined; members?: string[] | undefined }) {
  if (change.name !== undefined) await assertNameFree(sc, group.id, change.name);
  const actor = actorOf(sc);
  // Members first: an unknown user refuses the request before the name changes.
  if (change.members !== undefined) await domain(() => setMembers(sc.db, sc.events, { accountId: sc.caller.accountId, actor, groupId: group.id, userIds: change.members! }));
  if ((change.name !== undefined && change.name.trim() !== group.name) || (change.externalId !== undefined && change.externalId !== group.externalId)) {
    await domain(() => renameGroup(sc.db, { accountId: sc.caller.accountId, actor, groupId: group.id, name: change.name, externalId: change.externalId }));
  }
  return getScimGroup(sc, group.id);
}

export async function replaceScimGroup(sc: ScimContext, id: string, body: unknown) {
  const input = groupOfBody(body);
  const group = await found(sc, id);
  return apply(sc, group, { name: input.name, externalId: input.externalId, members: input.members ?? [] });
}

const MEMBER_FILTER = /^members\[\s*value\s+eq\s+"([^"]{1,64})"\s*\]$/i;

/**
 * PATCH in both dialects: Okta's `{op: "replace", value: {id, displayName}}`, `{op: "add", path:
 * "members", value: [...]}`, `{op: "remove", path: "members[value eq \"id\"]"}`; Entra ID's
 * `{op: "Remove", path: "members", value: [{value}]}`. Folded into one final state first.
 */
export async function patchScimGroup(sc: ScimContext, id: string, body: unknown) {
  const b = object(body, 'The body');
  if (b.schemas !== undefined && (!Array.isArray(b.schemas) || !b.schemas.includes(SCHEMA.patchOp))) throw new ScimError(400, 'invalidSyntax', `schemas must include ${SCHEMA.patchOp}.`);
  const ops = b.Operations;
  if (!Array.isArray(ops) || ops.length === 0) throw new ScimError(400, 'invalidSyntax', 'Operations must be a non-empty array.');
  if (ops.length > MAX_OPERATIONS) throw new ScimError(400, 'tooMany', `At most ${MAX_OPERATIONS} operations in one request.`);
  const group = await found(sc, id);
  let members: Set<string> | undefined;
  const current = async () => (members ??= new Set(await groupMemberIds(sc.db, sc.caller.accountId, id)));
  let name: string | undefined;
  let externalId: string | null | undefined;
  const attribute = async (op: string, path: string, value: unknown) => {
    const lower = path.toLowerCase().replace(`${SCHEMA.group.toLowerCase()}:`, '');
    const member = MEMBER_FILTER.exec(path);
    if (lower === 'displayname') {
      if (op === 'remove') throw new ScimError(400, 'mutability', 'displayName cannot be removed.');
      name = displayNameOf(value);
    } else if (lower === 'externalid') externalId = op === 'remove' ? null : externalIdOf(value);
    else if (lower === 'members') {
      const set = await current();
      if (op === 'replace') members = new Set(value === undefined || value === null ? [] : memberIdsOf(value));
      else if (op === 'add') for (const m of memberIdsOf(value)) set.add(m);
      else if (value === undefined || value === null) members = new Set();
      else for (const m of memberIdsOf(value)) set.delete(m);
    } else if (member) {
      if (op !== 'remove') throw new ScimError(400, 'invalidPath', 'Only remove takes a filtered members path.');
      (await current()).delete(member[1]!);
    } else if (lower !== 'id' && lower !== 'meta' && lower !== 'schemas') throw new ScimError(400, 'invalidPath', `"${path.slice(0, 100)}" is not a group attribute.`);
  };
  for (const operation of ops as unknown[]) {
    const { op, path, value } = object(operation, 'Each operation') as { op?: unknown; path?: unknown; value?: unknown };
    const kind = typeof op === 'string' ? op.toLowerCase() : '';
    if (kind !== 'add' && kind !== 'replace' && kind !== 'remove') throw new ScimError(400, 'invalidSyntax', 'op must be add, replace or remove.');
    if (path !== undefined && (typeof path !== 'string' || path.length > 300)) throw new ScimError(400, 'invalidPath', 'path must be text.');
    if (path === undefined || path === '') {
      if (kind === 'remove') throw new ScimError(400, 'noTarget', 'remove needs a path.');
      for (const [key, v] of Object.entries(object(value, 'Without a path, value'))) await attribute(kind, key, v);
    } else await attribute(kind, path, value);
  }
  return apply(sc, group, { name, externalId, members: members === undefined ? undefined : [...members] });
}

export async function deleteScimGroup(sc: ScimContext, id: string): Promise<void> {
  await found(sc, id);
  await domain(() => deleteGroup(sc.db, { accountId: sc.caller.accountId, actor: actorOf(sc), groupId: id }));
}
