// The SCIM 2.0 wire protocol (RFC 7643/7644) as AgentDesk speaks it: schema URNs, the error
// message (§3.12: `status` as a string, a `scimType`), the list message, and the two filters the
// identity providers send to find a user before creating one (§3.4.2.2). Only `eq` on the
// attributes we match by is supported; anything else is `invalidFilter`, said plainly, rather
// than a filter half understood that would answer "no such user" and create a duplicate.
import { parse, type Filter } from 'scim2-parse-filter';

export const SCHEMA = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  serviceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

/** RFC 7644 §3.12 Table 9, the ones we answer. */
export type ScimType = 'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'invalidValue';

/** A refusal in SCIM's own shape; nothing was changed. */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: ScimType | undefined,
    detail: string,
  ) {
    super(detail);
  }

  body() {
    return { schemas: [SCHEMA.error], status: String(this.status), ...(this.scimType ? { scimType: this.scimType } : {}), detail: this.message };
  }
}

export const invalidValue = (detail: string) => new ScimError(400, 'invalidValue', detail);

/** The most a page holds (ServiceProviderConfig `filter.maxResults`); a larger `count` is cut to it. */
export const MAX_PAGE = 200;

export interface Page {
  /** 1-based (§3.4.2.4); values below 1 are read as 1. */
  startIndex: number;
  count: number;
}

/** `startIndex` and `count` from the query: absent means 1 and the default page; not an integer is invalidValue. */
export function pageOf(query: { startIndex?: string | undefined; count?: string | undefined }): Page {
  const integer = (value: string | undefined, name: string, fallback: number) => {
    if (value === undefined || value === '') return fallback;
    if (!/^-?\d{1,9}$/.test(value)) throw invalidValue(`${name} must be an integer.`);
    return Number(value);
  };
  return { startIndex: Math.max(1, integer(query.startIndex, 'startIndex', 1)), count: Math.min(MAX_PAGE, Math.max(0, integer(query.count, 'count', 100))) };
}

export function listResponse<T>(resources: T[], totalResults: number, page: Page) {
  return { schemas: [SCHEMA.listResponse], totalResults, startIndex: page.startIndex, itemsPerPage: resources.length, Resources: resources };
}

export interface EqFilter {
  attribute: string;
  value: string;
}

const MAX_FILTER = 1000;

/**
 * `attribute eq "value"` where attribute is one of `allowed` (compared case-insensitively, as
 * RFC 7644 §3.4.2.2 says attribute names are, and optionally with `schema`'s URN as its prefix);
 * the value is a JSON string. The filter is parsed by RFC 7644's grammar with `scim2-parse-filter`;
 * of what parses, only a single `eq` comparison of an allowed attribute against a string is
 * answered. Anything else (another operator, `and`/`or`/`not`, a value path, another attribute, a
 * number, boolean or null, text that does not parse) is `invalidFilter`.
 */
export function parseEqFilter(filter: string, allowed: readonly string[], schema: string): EqFilter {
  if (filter.length > MAX_FILTER) throw new ScimError(400, 'invalidFilter', 'The filter is too long.');
  const supported = `Only ${allowed.map((a) => `${a} eq "…"`).join(' and ')} are supported.`;
  let ast: Filter;
  try {
    ast = parse(filter);
  } catch {
    throw new ScimError(400, 'invalidFilter', `The filter is not valid SCIM filter syntax (RFC 7644 §3.4.2.2). ${supported}`);
  }
  if (ast.op === 'and' || ast.op === 'or' || ast.op === 'not' || ast.op === '[]') {
    throw new ScimError(400, 'invalidFilter', `A single comparison is supported, not "${ast.op === '[]' ? 'a value path' : ast.op}". ${supported}`);
  }
  if (ast.op !== 'eq') throw new ScimError(400, 'invalidFilter', `The operator "${ast.op}" is not supported. ${supported}`);
  let path = ast.attrPath;
  const prefix = `${schema}:`;
  if (path.toLowerCase().startsWith(prefix.toLowerCase())) path = path.slice(prefix.length);
  const attribute = allowed.find((a) => a.toLowerCase() === path.toLowerCase());
  if (!attribute) throw new ScimError(400, 'invalidFilter', `Filtering by "${path.slice(0, 100)}" is not supported. ${supported}`);
  if (typeof ast.compValue !== 'string') throw new ScimError(400, 'invalidFilter', `${attribute} is compared with a string in double quotes.`);
  return { attribute, value: jsonString(ast.compValue) };
}

/**
 * The value as RFC 7644 §3.4.2.2 reads it, a JSON string (RFC 8259 §7). scim2-parse-filter
 * undoes only `\"` and keeps every other backslash as it came (`\\` stays two characters,
 * `\u00e9` six): the text it read is that value with each `"` written back as `\"`, and JSON
 * decodes it. Invalid JSON escapes (`\q`) and raw control characters are invalidFilter, as before.
 * (The library refuses an escaped backslash just before the closing quote, `"a\\"`; that filter
 * is invalidFilter.)
 */
function jsonString(libraryValue: string): string {
  try {
    return JSON.parse(`"${libraryValue.replaceAll('"', '\\"')}"`) as string;
  } catch {
    throw new ScimError(400, 'invalidFilter', 'The value is not a valid JSON string.');
  }
}

/** SCIM booleans, and the strings "True"/"False" Entra ID sends for them (any case). */
export function scimBoolean(value: unknown, name: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw invalidValue(`${name} must be true or false.`);
}
