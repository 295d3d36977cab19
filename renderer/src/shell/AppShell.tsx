import { useEffect, type MouseEvent } from 'react';
import { getPendingRecoveryCodes } from '../data/client-calls';
import { AdminScreen } from './AdminScreen';
import { Notice } from '../shared/Notice';
import { useRoute, type Route } from '../routes';
import { useSession } from '../session-context';
import { MySecurityScreen } from '../my-security/MySecurityScreen';
import { DeploymentDayBanner } from '../rollout/DeploymentDayBanner';
import { SecurityAlertsBanner } from '../rollout/SecurityAlertsBanner';
import { useT } from '../i18n/I18nProvider';

const mySecurity: Route = { view: 'security' };
const adminHome: Route = { view: 'admin', tab: 'security' };

/** The skip link moves focus without touching the address, which names the screen. */
function skipToContent(event: MouseEvent<HTMLAnchorElement>) {
  event.preventDefault();
  document.getElementById('content')?.focus();
}

/** The signed-in app: header with the account, navigation, and the current screen. */
export function AppShell({ onSignOut }: { onSignOut: () => void }) {
  const t = useT();
  const { current } = useSession();
  const isAdmin = current.user.role === 'admin';
  // The screen lives in the address (#/security, #/admin/users, …); agents never see admin ones.
  const [route, go] = useRoute((r) => r.view !== 'admin' || isAdmin, isAdmin ? adminHome : mySecurity);
  const view = route.view;
  const suggestTwoFactor = current.methods.length === 0 && !current.account.requireTwoFactor;

  // Recovery codes shown before a reload and not confirmed as saved: My security shows them again.
  useEffect(() => {
    getPendingRecoveryCodes().then((codes) => codes && go(mySecurity), () => undefined);
  }, [go]);

  return (
    <div className="shell">
      <a className="skip-link" href="#content" onClick={skipToContent}>
        {t('shell.skip')}
      </a>
      <header className="topbar">
        <span className="brand">{t('app.brand')}</span>
        <span className="account-name">{current.account.name}</span>
        <nav className="topnav" aria-label={t('shell.mainNav')}>
          <button type="button" className="navlink" aria-current={view === 'security' ? 'page' : undefined} onClick={() => go(mySecurity)}>
            {t('shell.mySecurity')}
          </button>
          {isAdmin ? (
            <button type="button" className="navlink" aria-current={view === 'admin' ? 'page' : undefined} onClick={() => go(view === 'admin' ? route : adminHome)}>
              {t('shell.admin')}
            </button>
          ) : null}
        </nav>
        <span className="user-name" title={current.user.email}>
          {current.user.name}
        </span>
        <button type="button" className="button-secondary button-small" onClick={onSignOut}>
          {t('shell.signOut')}
        </button>
      </header>
      <DeploymentDayBanner onSetUp={() => go(mySecurity)} />
      <main id="content" className="content" data-testid="app-home" tabIndex={-1}>
        {isAdmin && view === 'admin' ? <SecurityAlertsBanner /> : null}
        {suggestTwoFactor && view !== 'security' ? (
          <Notice tone="info" title={t('shell.protect')}>
            <p>{t('shell.protectText')}</p>
            <button type="button" className="button-secondary" onClick={() => go(mySecurity)}>
              {t('shell.setUp')}
            </button>
          </Notice>
        ) : null}
        {suggestTwoFactor && view === 'security' ? (
          <Notice tone="info" title={t('shell.protect')}>
            {t('shell.protectHere')}
          </Notice>
        ) : null}
        {route.view === 'security' ? (
          <MySecurityScreen key="security" />
        ) : (
          <AdminScreen key="admin" tab={route.tab} onTab={(tab) => go({ view: 'admin', tab })} onSetUpOwnMethod={() => go(mySecurity)} />
        )}
      </main>
    </div>
  );
}
