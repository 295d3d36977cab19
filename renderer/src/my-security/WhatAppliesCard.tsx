// My security → What applies to you: the account's authentication policies as they bear on this
// user, and why (GET /me `account.applies`, server/enforcement/applies-view.ts): whether 2FA is
// required of them (everyone, their role, their groups, or not / from the deployment day), which
// methods count, their grace, session lifetimes, sign-in networks, SSO only, remembered devices.
import type { Me } from '../../../contract/answers';
import { getIntl } from '../i18n';
import { useT } from '../i18n/I18nProvider';
import { graceIsOpen, graceText } from '../enrolment/grace';
import { deploymentDayText } from '../rollout/when';

export function WhatAppliesCard({ me }: { me: Me }) {
  const t = useT();
  const applies = me.account.applies;
  if (!applies) return null;
  const two = applies.twoFactor;
  const scheduledAt = me.account.twoFactorScheduledAt ?? null;
  const because = two.required || (two.inScope && scheduledAt !== null);
  const lines: string[] = [];
  if (two.required) lines.push(t('applies.required'));
  else if (two.inScope && scheduledAt !== null) lines.push(t('applies.scheduled', { when: deploymentDayText(scheduledAt) }));
  else lines.push(t('applies.notRequired'));
  if (because) {
    if (two.everyone) lines.push(t('applies.becauseEveryone'));
    if (two.role === 'admin') lines.push(t('applies.becauseAdmins'));
    if (two.role === 'agent') lines.push(t('applies.becauseAgents'));
    if (two.groups.length) lines.push(t('applies.becauseGroups', { count: two.groups.length, groups: getIntl().formatList(two.groups, { type: 'conjunction' }) }));
  }
  const grace = two.required && me.methods.length === 0 && graceIsOpen(me.grace) ? me.grace : null;

  return (
    <section className="card" aria-labelledby="applies-title" data-testid="what-applies">
      <h2 id="applies-title">{t('applies.title')}</h2>
      <ul className="applies-list">
        <li>{lines.join(' ')}</li>
        {grace ? <li>{t('applies.grace', { grace: graceText(grace) })}</li> : null}
        <li>
          {applies.methods === 'security_keys' ? t('applies.methodsKeys') : t('applies.methodsAny')}
          {applies.methods === 'security_keys' && applies.recoveryCodesUnderKeysOnly ? ` ${t('applies.recoveryUnderKeys')}` : ''}
        </li>
        <li>{t('applies.lifetimes', { idle: applies.idleMinutes, hours: applies.absoluteHours })}</li>
        {applies.signInNetworks === 'restricted' ? <li>{t('applies.networksRestricted')}</li> : null}
        {applies.signInNetworks === 'exempt' ? <li>{t('applies.networksExempt')}</li> : null}
        {applies.ssoOnly ? (
          <li>{applies.ssoOnly.exempt ? t('applies.ssoExempt') : applies.ssoOnly.provider ? t('applies.ssoProvider', { provider: applies.ssoOnly.provider }) : t('applies.ssoAny')}</li>
        ) : null}
        {applies.rememberDeviceDays > 0 ? <li>{t('applies.rememberDays', { days: applies.rememberDeviceDays })}</li> : null}
      </ul>
    </section>
  );
}
