// The language chooser under My security: "as the system" or one of ours, kept on this device.
// TODO(server): keep the choice on the user (so emails follow); the server routes are not ours yet.
import { useId } from 'react';
import { useLanguage, useT } from '../i18n/I18nProvider';
import { isLocale, localeNames, locales } from '../i18n/locales';

export function LanguageCard() {
  const t = useT();
  const id = useId();
  const { chosen, system, choose } = useLanguage();
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
          onChange={(event) => choose(isLocale(event.target.value) ? event.target.value : null)}
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
    </section>
  );
}
