// The one place that turns a message id into words, for React and for plain modules alike
// (error messages, session-revoked reasons, dates). react-intl (FormatJS): ICU messages.
import { createIntl, createIntlCache, type IntlShape } from 'react-intl';
import { en, type MessageId } from './messages/en';
import { es } from './messages/es';
import { ptBR } from './messages/pt-BR';
import { ptPT } from './messages/pt-PT';
import { formattingLocale, isLocale, storeLocale, type Locale } from './locales';

export type { MessageId } from './messages/en';
export type MessageValues = Record<string, string | number | Date | null | undefined>;

export const catalogues: Record<Locale, Record<MessageId, string>> = { en, 'pt-PT': ptPT, 'pt-BR': ptBR, es };

const cache = createIntlCache();
let current: Locale = 'en';
let intl: IntlShape = make('en');

function make(locale: Locale): IntlShape {
  // Messages in our locale; numbers and dates in the system's variant of it (see formattingLocale).
  return createIntl({ locale: formattingLocale(locale), messages: catalogues[locale], defaultLocale: 'en' }, cache);
}

const listeners = new Set<() => void>();

export function currentLocale(): Locale {
  return current;
}

export function getIntl(): IntlShape {
  return intl;
}

export function setLocale(locale: Locale): void {
  if (locale === current) return;
  current = locale;
  intl = make(locale);
  globalThis.document?.documentElement?.setAttribute('lang', locale);
  for (const listener of listeners) listener();
}

export function onLocaleChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * The signed-in user's own language, kept on the server, wins over the device's (at sign-in, and
 * when it was changed on another desk); this device remembers it. Null leaves the device's.
 */
export function followUserLanguage(language: string | null | undefined): void {
  if (!isLocale(language)) return;
  storeLocale(language);
  setLocale(language);
}

/** A message in the current language. */
export function t(id: MessageId, values?: MessageValues): string {
  return intl.formatMessage({ id }, values);
}
