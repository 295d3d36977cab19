// The audit log's filters, shared by the list (GET /account/audit-events) and its CSV export.
import { Type, type Static } from 'typebox';
import { AUDIT_ACTIONS, type AuditFilter } from '../../audit/audit.js';
import { ApiError } from '../errors.js';

const IsoTime = Type.String({ minLength: 10, maxLength: 40, description: 'ISO 8601 date or date and time.' });

export const AuditFilterQuery = Type.Object(
  {
    userId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
    action: Type.Optional(Type.String({ pattern: '^[a-z_.]{1,64}$' })),
    from: Type.Optional(IsoTime),
    to: Type.Optional(IsoTime),
  },
  { additionalProperties: false },
);

export const AuditListQuery = Type.Object(
  {
    ...AuditFilterQuery.properties,
    limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]?|1[0-9]{2}|200)$' })),
    before: Type.Optional(Type.String({ pattern: '^[0-9a-z]{1,64}$' })),
  },
  { additionalProperties: false },
);

function time(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new ApiError('invalid_request', `${name} is not a date or time.`);
  return ms;
}

export function auditFilter(query: Static<typeof AuditFilterQuery>): AuditFilter {
  if (query.action !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(query.action)) {
    throw new ApiError('invalid_request', `Unknown action ${query.action}.`);
  }
  const from = time('from', query.from);
  const to = time('to', query.to);
  if (from !== undefined && to !== undefined && from >= to) throw new ApiError('invalid_request', 'from must be before to.');
  return { userId: query.userId, action: query.action, from, to };
}
