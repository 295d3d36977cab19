// Which language the console speaks: the user's choice on this device, else the first of the
// browser's (or, on the desktop, the OS's) languages we have, else English.
export const locales = ['en', 'pt-PT', 'pt-BR', 'es'] as const;
export type Locale = (typeof locales)[number];

/** Each language named in itself, for the chooser. */
export const localeNames: Record<Locale, string> = {
  en: 'English',
  'pt-PT': 'Português (Portugal)',
  'pt-BR': 'Português (Brasil)',
  es: 'Español',
};

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (locales as readonly string[]).includes(value);
}

/**
 * One language tag to ours: es-* is Spanish; Portuguese goes by region, Brazil to pt-BR and every
 * other region to pt-PT (Angola, Mozambique and the rest write the European norm). A bare "pt" is
 * taken as pt-PT: it is what Portugal's own systems and the European Portuguese
 * keyboards send (Brazilian ones say pt-BR), and the product's home market is Portugal.
 */
export function matchLocale(tag: string): Locale | null {
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

/** The first of the preferred languages we speak, else English. */
export function pickLocale(preferred: readonly string[]): Locale {
  for (const tag of preferred) {
    const match = matchLocale(tag);
    if (match) return match;
  }
  return 'en';
}

const storageKey = 'agentdesk.language';

/** The language chosen under My security on this device, or null for "as the system". */
export function storedLocale(): Locale | null {
  try {
    const value = globalThis.localStorage?.getItem(storageKey);
    return isLocale(value) ? value : null;
  } catch {
    return null;
  }
}

export function storeLocale(locale: Locale | null): void {
  try {
    if (locale) globalThis.localStorage?.setItem(storageKey, locale);
    else globalThis.localStorage?.removeItem(storageKey);
  } catch {
    // remembering is a convenience
  }
}

/** The system's languages: the browser's; in Electron the renderer's are the OS's. */
export function systemLanguages(): readonly string[] {
  const nav = (globalThis as { navigator?: { languages?: readonly string[]; language?: string } }).navigator;
  if (nav?.languages?.length) return nav.languages;
  return nav?.language ? [nav.language] : [];
}

/** The language to start in. */
export function initialLocale(): Locale {
  return storedLocale() ?? pickLocale(systemLanguages());
}

/**
 * The locale for dates and numbers: the system's own tag when it is the same language (an
 * en-GB desktop keeps day-first dates, es-MX its own), else the chosen language.
 */
export function formattingLocale(locale: Locale): string {
  for (const tag of systemLanguages()) if (matchLocale(tag) === locale) return tag;
  return locale;
}
