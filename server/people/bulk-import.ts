// Bulk invitation from a CSV file (name, email, role): a dry run answers each row's errors and
// the counts; the real import creates every row or none (one transaction), then the caller
// sends the invitations. Parsed with csv-parse (quoted fields, embedded commas and newlines,
// a byte-order mark from spreadsheet exports), never by splitting lines.
import { parse } from 'csv-parse/sync';
import type { Kysely } from 'kysely';
import { DomainError } from '../errors.js';
import { LANGUAGES, type Language } from '../mail/languages.js';
import type { Database } from '../store/schema.js';
import { normalizeEmail } from './accounts.js';
import { hasForbiddenCharacters } from '../../contract/names.js';
import { createInvitations, isUniqueViolation, type Invitee, type Inviter, type SentInvitation } from './invitations.js';

export const MAX_IMPORT_ROWS = 10_000;

export type RowErrorCode = 'missing_name' | 'name_too_long' | 'invalid_name' | 'invalid_email' | 'unknown_role' | 'unknown_language' | 'duplicate_in_file' | 'email_taken';

export interface RowError {
  /** The line of the file (the header is line 1). */
  line: number;
  email: string;
  code: RowErrorCode;
  message: string;
}

const rowMessages: Record<RowErrorCode, string> = {
  missing_name: 'The name is empty.',
  name_too_long: 'The name is longer than 120 characters.',
  invalid_name: 'The name holds a line break, a control character or a bidirectional control.',
  invalid_email: 'This is not an email address.',
  unknown_role: 'The role must be admin or agent.',
  unknown_language: 'The language must be en, pt-PT, pt-BR or es, or empty (the user\'s device decides).',
  duplicate_in_file: 'This email appears on an earlier line of the file.',
  email_taken: 'A user with this email already exists in this account.',
};

// The same shape the API's schema accepts for one invitation (an address with a dot in its domain).
const EMAIL = /^[^\s@"(),:;<>[\\\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

interface ParsedRow {
  line: number;
  name: string;
  email: string;
  role: string;
  /** The optional `language` column, as written. */
  language: string;
}

/** A language cell: empty is none (the device decides), any case of one of ours is it, else undefined. */
function languageCell(value: string): Language | null | undefined {
  if (!value) return null;
  return LANGUAGES.find((l) => l.toLowerCase() === value.toLowerCase());
}

export function parseImportCsv(text: string): ParsedRow[] {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, max_record_size: 4096 }) as string[][];
  } catch (error) {
    throw new DomainError('invalid_csv', `The file could not be read as CSV: ${(error as Error).message.split('\n')[0]}`);
  }
  const header = records[0]?.map((h) => h.toLowerCase());
  if (!header) throw new DomainError('invalid_csv', 'The file is empty: it needs a header line "name,email,role" and a line per user.');
  const column = { name: header.indexOf('name'), email: header.indexOf('email'), role: header.indexOf('role'), language: header.indexOf('language') };
  if (column.name < 0 || column.email < 0 || column.role < 0) throw new DomainError('invalid_csv');
  if (records.length - 1 > MAX_IMPORT_ROWS) throw new DomainError('invalid_csv', `A file may hold at most ${MAX_IMPORT_ROWS.toLocaleString('en')} users.`);
  if (records.length < 2) throw new DomainError('invalid_csv', 'The file has a header line but no users.');
  return records.slice(1).map((r, i) => ({ line: i + 2, name: r[column.name] ?? '', email: r[column.email] ?? '', role: (r[column.role] ?? '').toLowerCase(), language: column.language < 0 ? '' : (r[column.language] ?? '') }));
}

export interface ImportCheck {
  invitees: Invitee[];
  errors: RowError[];
  counts: { rows: number; valid: number; invalid: number };
}

/** Every row's errors: its own, a duplicate of an earlier line, an email already in the account. */
export async function checkImport(db: Kysely<Database>, accountId: string, rows: ParsedRow[]): Promise<ImportCheck> {
  const errors: RowError[] = [];
  const invitees: Invitee[] = [];
  const seen = new Set<string>();
  const candidates: { row: ParsedRow; email: string }[] = [];
  for (const row of rows) {
    const email = normalizeEmail(row.email);
    const fail = (code: RowErrorCode) => errors.push({ line: row.line, email: row.email, code, message: rowMessages[code] });
    if (!row.name) fail('missing_name');
    else if (row.name.length > 120) fail('name_too_long');
    else if (hasForbiddenCharacters(row.name)) fail('invalid_name');
    else if (email.length > 254 || !EMAIL.test(email)) fail('invalid_email');
    else if (row.role !== 'admin' && row.role !== 'agent') fail('unknown_role');
    else if (languageCell(row.language) === undefined) fail('unknown_language');
    else if (seen.has(email)) fail('duplicate_in_file');
    else candidates.push({ row, email });
    if (EMAIL.test(email)) seen.add(email);
  }
  const taken = new Set<string>();
  for (let i = 0; i < candidates.length; i += 1000) {
    const emails = candidates.slice(i, i + 1000).map((c) => c.email);
    const rowsTaken = await db.selectFrom('users').select('email').where('account_id', '=', accountId).where('email', 'in', emails).execute();
    for (const r of rowsTaken) taken.add(r.email);
  }
  for (const c of candidates) {
    if (taken.has(c.email)) errors.push({ line: c.row.line, email: c.row.email, code: 'email_taken', message: rowMessages.email_taken });
    else invitees.push({ name: c.row.name, email: c.email, role: c.row.role as Invitee['role'], language: languageCell(c.row.language) ?? null });
  }
  errors.sort((a, b) => a.line - b.line);
  return { invitees, errors, counts: { rows: rows.length, valid: invitees.length, invalid: errors.length } };
}

/** All rows or none: any row error refuses the whole file (import_rejected, nothing created). */
export async function importInvitations(db: Kysely<Database>, inviter: Inviter, rows: ParsedRow[]): Promise<{ check: ImportCheck; sent: SentInvitation[] }> {
  const check = await checkImport(db, inviter.accountId, rows);
  if (check.errors.length > 0) {
    const error = new DomainError('import_rejected');
    error.extra = { counts: check.counts, errors: check.errors.slice(0, 1000) };
    throw error;
  }
  try {
    const sent = await db.transaction().execute(async (trx) => createInvitations(trx, inviter, check.invitees, { imported: true }));
    return { check, sent };
  } catch (error) {
    // Another admin added one of these emails between the check and the insert.
    if (isUniqueViolation(error)) throw new DomainError('email_taken', 'A user with one of these emails was added meanwhile: check the file again.');
    throw error;
  }
}
