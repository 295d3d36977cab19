// The audit outbox: one row per audit entry and stream of its account, written by recordAudit
// in the entry's own transaction (one INSERT … SELECT, which inserts nothing for an account
// without streams), deleted once the stream's receiver took the entry (delivery.ts).
//
// Why rows rather than a cursor per stream over audit_events ordered by id: entry ids are
// time-ordered when written, not when committed. Two transactions on PostgreSQL (or two
// instances' clocks) commit out of id order, and a cursor that already moved past the later id
// would skip the earlier one for ever. A row cannot be skipped: it stays until delivered.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import { preparedStatement } from '../store/prepared.js';

/** Called inside the entry's transaction (recordAudit makes sure there is one). */
export async function addToOutbox(trx: Kysely<Database> | Transaction<Database>, accountId: string, eventId: string, at: number): Promise<void> {
  await insertOutboxRows(trx, { accountId, eventId, at });
}

/** Every audit entry runs it: compiled once (store/prepared.ts). */
const insertOutboxRows = preparedStatement(['accountId', 'eventId', 'at'], (db: Kysely<Database>, a: { accountId: string; eventId: string; at: number }) =>
  db
    .insertInto('audit_outbox')
    .columns(['stream_id', 'event_id', 'created_at'])
    .expression((eb) =>
      eb
        .selectFrom('audit_streams')
        .select((s) => ['id', s.cast<string>(s.val(a.eventId), 'text').as('event_id'), s.cast<number>(s.val(a.at), 'bigint').as('created_at')])
        .where('account_id', '=', a.accountId),
    )
    .compile(),
);
