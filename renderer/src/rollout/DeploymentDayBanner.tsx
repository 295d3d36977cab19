import { Msg, useT } from '../i18n/I18nProvider';
import './rollout.css';
import { useEffect, useState } from 'react';
import type { Me } from '../../../contract/answers';
import { agentdesk } from '../api/bridge';
import { deploymentDayText } from './when';

/**
 * On every screen of a user without a method while a deployment day is set: when 2FA becomes
 * required (in their time zone) and a button to set it up now.
 */
export function DeploymentDayBanner({ onSetUp }: { onSetUp: () => void }) {
  const t = useT();
  const [me, setMe] = useState<Me | null>(null);
  useEffect(() => {
    let live = true;
    const load = () => agentdesk.getMe().then((m) => live && setMe(m), () => undefined);
    void load();
    // The admin moved or cancelled it, or the user added a method meanwhile.
    const off = agentdesk.onAccountUpdated(() => void load());
    const timer = setInterval(() => void load(), 60_000);
    return () => {
      live = false;
      off();
      clearInterval(timer);
    };
  }, []);
  const at = me?.account.twoFactorScheduledAt;
  if (!me || !at || me.methods.length > 0 || me.account.requireTwoFactor) return null;
  return (
    <div className="deployment-banner" role="region" aria-label={t('deploymentDay.label')} data-testid="deployment-day-banner">
      <p>
        <Msg id="deploymentDay.text" values={{ when: deploymentDayText(at), account: me.account.name, strong: (chunks) => <strong>{chunks}</strong> }} />
      </p>
      <button type="button" className="button-primary button-small" onClick={onSetUp}>
        {t('deploymentDay.setUp')}
      </button>
    </div>
  );
}
