// The language chooser under My security: "as the system" or one of ours, kept on this device and
// on the user (PUT /me/language), so it follows them to another desk and emails are in it.
import { useId, useState } from 'react';
import { useApiMutation } from '../data/operations';
import { describeError } from '../api/error-messages';
import { Notice } from '../shared/Notice';
import { useLanguage, useT } from '../i18n/I18nProvider';
import { isLocale, localeNames, locales, type Locale } from '../i18n/locales';

export function LanguageCard() {
  const t = useT();
  const id = useId();
  const { chosen, system, choose } = useLanguage();
  const [notSaved, setNotSaved] = useState<string | null>(null);
  const saveLanguage = useApiMutation('setMyLanguage');

  function change(next: Locale | null) {
    // This device follows at once; the account keeps it for the other desks and the emails.
    choose(next);
    setNotSaved(null);
    saveLanguage.mutateAsync({ body: { language: next } }).catch((error: unknown) => setNotSaved(describeError(error)));
  }

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('language.title')}</h2>
      <div className="field">
        <label htmlFor={`${id}-select`}>{t('language.label')}</label>
        <p className="field-hint" id={`${id}-hint`}>
          {t('language.hint')}
        </p>
        <select
          id={`${id}-select`}
          data-testid="language-select"
          aria-describedby={`${id}-hint`}
          value={chosen ?? ''}
          onChange={(event) => change(isLocale(event.target.value) ? event.target.value : null)}
        >
          <option value="">{t('language.system', { language: localeNames[system] })}</option>
          {locales.map((locale) => (
            // Each language is named in itself, so a user who cannot read the current one finds theirs.
            <option key={locale} value={locale} lang={locale}>
              {localeNames[locale]}
            </option>
          ))}
        </select>
      </div>
      {notSaved ? <Notice tone="warning" title={t('language.notSaved')}>{notSaved}</Notice> : null}
    </section>
  );
}
