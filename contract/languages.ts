// The languages AgentDesk speaks, for the server (mails, the audit's request context) and the
// console alike: one list, and one way to match a language tag (a browser's, an OS's, an
// Accept-Language entry) to one of them.
export const LANGUAGES = ['en', 'pt-PT', 'pt-BR', 'es'] as const;
export type Language = (typeof LANGUAGES)[number];

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/**
 * One language tag to ours: es-* is Spanish; Portuguese goes by region, Brazil to pt-BR and every
 * other region to pt-PT (Angola, Mozambique and the rest write the European norm). A bare "pt" is
 * taken as pt-PT: it is what Portugal's own systems and the European Portuguese keyboards send
 * (Brazilian ones say pt-BR), and the product's home market is Portugal. Anything else: null.
 */
export function matchLanguage(tag: string): Language | null {
  let parsed: Intl.Locale;
  try {
    parsed = new Intl.Locale(tag);
  } catch {
    return null;
  }
  if (parsed.language === 'es') return 'es';
  if (parsed.language === 'en') return 'en';
  if (parsed.language === 'pt') return parsed.region === 'BR' ? 'pt-BR' : 'pt-PT';
  return null;
}
