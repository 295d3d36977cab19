// Which language the console speaks: the user's choice on this device, else the first of the
// browser's (or, on the desktop, the OS's) languages we have, else English.
import { isLanguage, LANGUAGES, matchLanguage, type Language } from '../../../contract/languages';

/** The console's languages: the contract's (contract/languages.ts), which the server's mails speak too. */
export const locales = LANGUAGES;
export type Locale = Language;

/** Each language named in itself, for the chooser. */
export const localeNames: Record<Locale, string> = {
  en: 'English',
  'pt-PT': 'Português (Portugal)',
  'pt-BR': 'Português (Brasil)',
  es: 'Español',
};

export const isLocale = isLanguage;

/** One language tag to ours, or null (contract/languages.ts says how Portuguese and Spanish are matched). */
export const matchLocale = matchLanguage;

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
