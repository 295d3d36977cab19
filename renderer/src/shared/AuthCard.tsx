// The centred card of the screens before the app itself: sign-in, second step, enrollment,
// account creation. The heading takes focus when the card appears, unless the screen puts it in
// a field of its own (the second step's code, the password after creating an account).
import type { ReactNode } from 'react';
import { FocusHeading } from './FocusHeading';
import { useT } from '../i18n/I18nProvider';

export function AuthCard({ title, wide = false, focusHeading = true, children }: { title: string; wide?: boolean; focusHeading?: boolean; children: ReactNode }) {
  const t = useT();
  return (
    <main className="auth-page">
      <div className={wide ? 'auth-card auth-card-wide' : 'auth-card'}>
        <p className="brand" aria-hidden="true">
          {t('app.brand')}
        </p>
        {focusHeading ? <FocusHeading>{title}</FocusHeading> : <h1>{title}</h1>}
        {children}
      </div>
    </main>
  );
}
