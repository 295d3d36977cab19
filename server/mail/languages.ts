// The languages AgentDesk speaks (en, pt-PT, pt-BR, es) and which one a mail is written in:
// the recipient's (users.language), else the language of the request that caused it (its
// Accept-Language), else English. No dependencies: the audit's request context reads it too.
import { isLanguage, LANGUAGES, matchLanguage, type Language } from '../../contract/languages.js';

export { isLanguage, LANGUAGES, matchLanguage, type Language };

/**
 * The first of ours in an Accept-Language header, by quality (RFC 9110 12.5.4), or null. A
 * header is the client's to write: it is read bounded, and what does not parse is skipped.
 */
export function languageOfAcceptLanguage(header: string | undefined): Language | null {
  if (!header) return null;
  const ranges = header
    .slice(0, 500)
    .split(',')
    .slice(0, 20)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(p)).find(Boolean);
      return { tag: tag.trim(), q: q ? Number(q[1]) : 1, index };
    })
    .filter((r) => r.tag && r.tag !== '*' && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const range of ranges) {
    const match = matchLanguage(range.tag);
    if (match) return match;
  }
  return null;
}

/** The language a mail to a user is written in: theirs, else the triggering request's, else English. */
export function mailLanguage(userLanguage: string | null | undefined, requestLanguage?: string | null): Language {
  if (isLanguage(userLanguage)) return userLanguage;
  if (isLanguage(requestLanguage)) return requestLanguage;
  return 'en';
}
