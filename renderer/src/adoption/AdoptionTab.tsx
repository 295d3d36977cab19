import { lazy, Suspense } from 'react';
import { useT } from '../i18n/I18nProvider';

// The chart library is loaded with the tab, not with the app: only admins who open Adoption pay for it.
const AdoptionPanel = lazy(() => import('./AdoptionPanel').then((m) => ({ default: m.AdoptionPanel })));

export function AdoptionTab() {
  const t = useT();
  return (
    <Suspense fallback={<p role="status">{t('adoption.loading')}</p>}>
      <AdoptionPanel />
    </Suspense>
  );
}
