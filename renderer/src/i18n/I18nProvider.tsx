// Gives the whole console its language, and lets My security change it without a reload.
import { useCallback, useSyncExternalStore, type ReactNode } from 'react';
import { FormattedMessage, RawIntlProvider, useIntl } from 'react-intl';
import { currentLocale, getIntl, onLocaleChange, setLocale, type MessageId, type MessageValues } from './index';
import { initialLocale, pickLocale, storedLocale, storeLocale, systemLanguages, type Locale } from './locales';

setLocale(initialLocale());

export function I18nProvider({ children }: { children: ReactNode }) {
  const intl = useSyncExternalStore(onLocaleChange, getIntl, getIntl);
  return <RawIntlProvider value={intl}>{children}</RawIntlProvider>;
}

/** `t('signIn.title')`: a message in the current language, re-rendered when it changes. */
export function useT(): (id: MessageId, values?: MessageValues) => string {
  const intl = useIntl();
  return useCallback((id: MessageId, values?: MessageValues) => intl.formatMessage({ id }, values), [intl]);
}

/** A message with markup in it: `<strong>…</strong>` and the like, passed as `values`. */
export function Msg({ id, values }: { id: MessageId; values?: Record<string, ReactNode | ((chunks: ReactNode[]) => ReactNode)> }) {
  return <FormattedMessage id={id} values={values as never} />;
}

/** The language in use, the one chosen on this device (null: the system's), and a way to choose. */
export function useLanguage(): { locale: Locale; chosen: Locale | null; system: Locale; choose: (locale: Locale | null) => void } {
  const locale = useSyncExternalStore(onLocaleChange, currentLocale, currentLocale);
  const system = pickLocale(systemLanguages());
  const choose = useCallback(
    (next: Locale | null) => {
      // Kept on the user too by the chooser (LanguageCard: PUT /me/language).
      storeLocale(next);
      setLocale(next ?? system);
    },
    [system],
  );
  return { locale, chosen: storedLocale(), system, choose };
}
