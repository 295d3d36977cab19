// The audit log's filters, shared by the list (GET /account/audit-events) and its CSV export.
import type { AuditFilterQuery } from '../../../contract/schemas.js';
import { AUDIT_ACTIONS, type AuditFilter } from '../../audit/audit.js';
import { ApiError } from '../errors.js';

function time(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new ApiError('invalid_request', `${name} is not a date or time.`);
  return ms;
}

export function auditFilter(query: AuditFilterQuery): AuditFilter {
  if (query.action !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(query.action)) {
    throw new ApiError('invalid_request', `Unknown action ${query.action}.`);
  }
  const from = time('from', query.from);
  const to = time('to', query.to);
  if (from !== undefined && to !== undefined && from >= to) throw new ApiError('invalid_request', 'from must be before to.');
  return { userId: query.userId, action: query.action, from, to };
}
