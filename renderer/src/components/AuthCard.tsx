// The centred card of the screens before the app itself: sign-in, second step, enrollment,
// account creation. The heading takes focus when the card appears.
import type { ReactNode } from 'react';
import { FocusHeading } from './FocusHeading';

export function AuthCard({ title, wide = false, children }: { title: string; wide?: boolean; children: ReactNode }) {
  return (
    <main className="auth-page">
      <div className={wide ? 'auth-card auth-card-wide' : 'auth-card'}>
        <p className="brand" aria-hidden="true">
          AgentDesk
        </p>
        <FocusHeading>{title}</FocusHeading>
        {children}
      </div>
    </main>
  );
}
