import { useState } from 'react';
import { AdminScreen } from '../admin/AdminScreen';
import { Notice } from '../components/Notice';
import { useSession } from '../session-context';
import { MySecurityScreen } from './MySecurityScreen';

type View = 'security' | 'admin';

/** The signed-in app: header with the account, navigation, and the current screen. */
export function AppShell({ onSignOut }: { onSignOut: () => void }) {
  const { current } = useSession();
  const isAdmin = current.user.role === 'admin';
  const [view, setView] = useState<View>(isAdmin ? 'admin' : 'security');
  const suggestTwoFactor = current.methods.length === 0 && !current.account.requireTwoFactor;

  return (
    <div className="shell">
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">AgentDesk</span>
        <span className="account-name">{current.account.name}</span>
        <nav className="topnav" aria-label="Main">
          <button type="button" className="navlink" aria-current={view === 'security' ? 'page' : undefined} onClick={() => setView('security')}>
            My security
          </button>
          {isAdmin ? (
            <button type="button" className="navlink" aria-current={view === 'admin' ? 'page' : undefined} onClick={() => setView('admin')}>
              Admin
            </button>
          ) : null}
        </nav>
        <span className="user-name" title={current.user.email}>
          {current.user.name}
        </span>
        <button type="button" className="button-secondary button-small" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="content" className="content" data-testid="app-home">
        {suggestTwoFactor && view !== 'security' ? (
          <Notice tone="info" title="Protect your account">
            <p>Turn on two-factor authentication so a stolen password alone cannot open your account.</p>
            <button type="button" className="button-secondary" onClick={() => setView('security')}>
              Set up two-factor authentication
            </button>
          </Notice>
        ) : null}
        {suggestTwoFactor && view === 'security' ? (
          <Notice tone="info" title="Protect your account">
            Turn on two-factor authentication: add an authenticator app or a security key below.
          </Notice>
        ) : null}
        {view === 'security' ? <MySecurityScreen key="security" /> : <AdminScreen key="admin" onSetUpOwnMethod={() => setView('security')} />}
      </main>
    </div>
  );
}
