// "End your other sessions" offered after a method is removed (ASVS 5.0 7.4.3): the answer says
// how many other sessions of the user are live, the ones DELETE /me/sessions would end.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

/** The user's live sessions other than `exceptSessionId`: not ended and not expired. */
export async function countOtherSessions(db: Kysely<Database>, input: { userId: string; exceptSessionId: string }, now = Date.now()): Promise<number> {
  const row = await db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('user_id', '=', input.userId)
    .where('id', '!=', input.exceptSessionId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
