// Each user's language (PRODUCT.md "Languages"): null follows the device (the renderer picks the
// OS's or browser's language), or one of ours, chosen under My security and kept on the user so
// it follows them to another desk and the emails sent to them are in it. A mail to a user
// without one is in the language of the request that caused it (its Accept-Language), else English.
import type { Kysely } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.js';
import { DomainError } from '../errors.js';
import { isLanguage, type Language } from '../mail/languages.js';
import type { Database } from '../store/schema.js';

/** The user chooses their language (or null: follow the device). Audited when it changes. */
export async function setUserLanguage(
  db: Kysely<Database>,
  input: { accountId: string; userId: string; language: Language | null; request?: RequestContext | undefined },
): Promise<{ language: Language | null }> {
  // Programmer misuse: the route's schema admits only ours.
  if (input.language !== null && !isLanguage(input.language)) throw new DomainError('invalid_request', 'Not a language AgentDesk speaks.');
  return db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').select(['id', 'language']).where('id', '=', input.userId).where('account_id', '=', input.accountId).executeTakeFirst();
    if (!user) throw new DomainError('not_found', 'No such user in this account.');
    const before = user.language ?? null;
    if (before === input.language) return { language: input.language };
    await trx.updateTable('users').set({ language: input.language }).where('id', '=', user.id).execute();
    await recordAudit(trx, {
      accountId: input.accountId,
      actorId: input.userId,
      action: 'user.language_changed',
      details: { userId: user.id, language: { from: before, to: input.language } },
      request: input.request,
    });
    return { language: input.language };
  });
}
