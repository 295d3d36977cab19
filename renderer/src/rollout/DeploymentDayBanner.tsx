import { Msg, useT } from '../i18n/I18nProvider';
import './rollout.css';
import { useMe } from '../data/queries';
import { deploymentDayText } from './when';
import { deploymentDayGraceText, graceIsOpen } from '../enrolment/grace';

/**
 * On every screen of a user without a method while a deployment day is set: when 2FA becomes
 * required (in their time zone), how long they may still postpone it after that (the grace the
 * server says they will have on the day) and a button to set it up now.
 */
export function DeploymentDayBanner({ onSetUp }: { onSetUp: () => void }) {
  const t = useT();
  // The admin moved or cancelled it, or the user added a method meanwhile: the data layer
  // refetches on account.updated and after one's own changes; once a minute besides.
  const me = useMe(60_000).data ?? null;
  const at = me?.account.twoFactorScheduledAt;
  if (!me || !at || me.methods.length > 0 || me.account.requireTwoFactor) return null;
  const grace = me.account.graceOnDeploymentDay;
  return (
    <div className="deployment-banner" role="region" aria-label={t('deploymentDay.label')} data-testid="deployment-day-banner">
      <p>
        <Msg id="deploymentDay.text" values={{ when: deploymentDayText(at), account: me.account.name, strong: (chunks) => <strong>{chunks}</strong> }} />
      </p>
      {graceIsOpen(grace, Date.parse(at)) ? <p data-testid="deployment-day-grace">{deploymentDayGraceText(grace)}</p> : null}
      <button type="button" className="button-primary button-small" onClick={onSetUp}>
        {t('deploymentDay.setUp')}
      </button>
    </div>
  );
}
