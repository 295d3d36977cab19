// Why not a library: `scim-patch` (0.8.3, the npm package for RFC 7644 §3.5.2) was evaluated
// for applying these operations to a SCIM User built from what we keep, and not adopted:
//  - it does not check a path's syntax: `{op: "replace", path: "bad path!"}` is applied as a new
//    attribute named "bad path!" instead of being refused (our invalidPath), so keeping the
//    refusal would mean our own path grammar in front of it, the special-casing we wanted gone;
//  - it writes through `__proto__` and `constructor.prototype`: `{op: "replace", path:
//    "__proto__.x", value: 1}` sets `x` on Object.prototype for the whole server process
//    (reproduced; pinned by the "Attack: ... Object.prototype" test in scim.test.ts);
//  - it removes `userName` when asked (no mutability), and its errors carry no scimType (a path
//    filter it cannot parse is a bare Error), so every refusal would have to be re-derived.
// It does accept what we need to accept (Entra's "Replace", Okta's operation without a path, the
// value "False" kept as a string for scimBoolean), but not safely; so the operations stay here,
// on an allow-list of the attributes we keep. Filters do use a library (protocol.ts).
//
// PATCH of a SCIM User (RFC 7644 §3.5.2) in both dialects identity providers send:
// Okta's `{op: "replace", value: {active: false}}` (no path, the value an object of attributes)
// and Entra ID's path-based operations (`{op: "Replace", path: "active", value: "False"}`,
// `name.givenName`, `emails[type eq "work"].value`), op names in any case and booleans as the
// strings Entra sends. Applied to a copy of what we keep, checked whole, and only then written:
// one bad operation refuses the whole request, nothing changed.
//
// AgentDesk keeps one name, the email (userName), the provider's externalId and `active`.
// Attributes it does not keep (title, phoneNumbers, the enterprise extension...) are accepted and
// ignored, as an identity provider's default mappings send them; `emails` follows userName.
import { invalidValue, SCHEMA, ScimError, scimBoolean } from './protocol.js';

export interface UserPatchable {
  userName: string;
  displayName: string;
  externalId: string | null;
  active: boolean;
}

const MAX_OPERATIONS = 100;
const CORE_PREFIX = `${SCHEMA.user}:`.toLowerCase();
const PATH = /^([A-Za-z][\w$-]*)(?:\[[^\]]{1,200}\])?(?:\.([A-Za-z][\w$-]*))?$/;

type Op = 'add' | 'replace' | 'remove';

interface Draft extends UserPatchable {
  /** Name parts of this request: AgentDesk keeps one name, so they replace its first word or the rest. */
  givenName?: string;
  familyName?: string;
  nameSet: boolean;
}

function str(value: unknown, name: string, max: number): string {
  if (typeof value !== 'string' || value.length > max) throw invalidValue(`${name} must be text of at most ${max} characters.`);
  return value;
}

function applyPath(draft: Draft, op: Op, path: string, value: unknown): void {
  if (path.toLowerCase().startsWith(CORE_PREFIX)) path = path.slice(CORE_PREFIX.length);
  else if (path.toLowerCase().startsWith('urn:')) return; // an extension's attribute: not kept
  const match = PATH.exec(path);
  if (!match) throw new ScimError(400, 'invalidPath', `"${path.slice(0, 100)}" is not an attribute path.`);
  const attribute = match[1]!.toLowerCase();
  const sub = match[2]?.toLowerCase();
  const removing = op === 'remove';
  switch (attribute) {
    case 'username':
      if (removing) throw new ScimError(400, 'mutability', 'userName cannot be removed.');
      draft.userName = str(value, 'userName', 254);
      return;
    case 'displayname':
      if (removing) throw new ScimError(400, 'mutability', 'displayName cannot be removed.');
      draft.displayName = str(value, 'displayName', 120);
      draft.nameSet = true;
      return;
    case 'externalid':
      draft.externalId = removing ? null : str(value, 'externalId', 256);
      return;
    case 'active':
      if (removing) throw new ScimError(400, 'mutability', 'active cannot be removed.');
      draft.active = scimBoolean(value, 'active');
      return;
    case 'name': {
      if (removing) return; // the name parts are not kept; the name itself stays
      if (sub === undefined) {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidValue('name must be an object.');
        for (const [key, v] of Object.entries(value)) applyPath(draft, op, `name.${key}`, v);
        return;
      }
      if (sub === 'formatted') {
        draft.displayName = str(value, 'name.formatted', 120);
        draft.nameSet = true;
      } else if (sub === 'givenname') draft.givenName = str(value, 'name.givenName', 120);
      else if (sub === 'familyname') draft.familyName = str(value, 'name.familyName', 120);
      return;
    }
    default:
      return; // emails follow userName; other attributes are not kept
  }
}

/** The user after the request's operations; throws (nothing applied) on any bad one. */
export function applyUserPatch(current: UserPatchable, body: unknown): UserPatchable {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidValue('The body must be a PatchOp object.');
  const { schemas, Operations } = body as { schemas?: unknown; Operations?: unknown };
  if (schemas !== undefined && (!Array.isArray(schemas) || !schemas.includes(SCHEMA.patchOp))) throw new ScimError(400, 'invalidSyntax', `schemas must include ${SCHEMA.patchOp}.`);
  if (!Array.isArray(Operations) || Operations.length === 0) throw new ScimError(400, 'invalidSyntax', 'Operations must be a non-empty array.');
  if (Operations.length > MAX_OPERATIONS) throw new ScimError(400, 'tooMany', `At most ${MAX_OPERATIONS} operations in one request.`);
  const draft: Draft = { ...current, nameSet: false };
  for (const operation of Operations as unknown[]) {
    if (operation === null || typeof operation !== 'object' || Array.isArray(operation)) throw new ScimError(400, 'invalidSyntax', 'Each operation must be an object.');
    const { op, path, value } = operation as { op?: unknown; path?: unknown; value?: unknown };
    const name = typeof op === 'string' ? op.toLowerCase() : '';
    if (name !== 'add' && name !== 'replace' && name !== 'remove') throw new ScimError(400, 'invalidSyntax', 'op must be add, replace or remove.');
    if (path !== undefined && (typeof path !== 'string' || path.length > 300)) throw new ScimError(400, 'invalidPath', 'path must be text.');
    if (path === undefined || path === '') {
      if (name === 'remove') throw new ScimError(400, 'noTarget', 'remove needs a path.');
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidValue('Without a path, value must be an object of attributes.');
      for (const [key, v] of Object.entries(value)) {
        if (key === 'schemas') continue;
        applyPath(draft, name, key, v);
      }
    } else {
      if (name !== 'remove' && value === undefined) throw invalidValue(`${op as string} needs a value.`);
      applyPath(draft, name, path, value);
    }
  }
  let displayName = draft.displayName;
  if (!draft.nameSet && (draft.givenName !== undefined || draft.familyName !== undefined)) {
    const space = current.displayName.indexOf(' ');
    const first = space < 0 ? current.displayName : current.displayName.slice(0, space);
    const rest = space < 0 ? '' : current.displayName.slice(space + 1);
    displayName = [draft.givenName ?? first, draft.familyName ?? rest].map((s) => s.trim()).filter(Boolean).join(' ');
  }
  return { userName: draft.userName, displayName: displayName.trim(), externalId: draft.externalId, active: draft.active };
}
