import './rollout.css';
import { useEffect, useId, useState } from 'react';
import type { EnrollmentPolicy, SecuritySettings } from '../../../contract/answers';
import { useEnforcementImpact } from '../data/queries';
import { getIntl, t, type MessageId } from '../i18n';
import { Msg, useT } from '../i18n/I18nProvider';
import { byName } from '../shared/by-name';
import { countdownText, deploymentDayText } from './when';

/** The value of a datetime-local input for an ISO time, in the admin's time zone. */
export function localInputValue(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export const enrollmentChoices: { value: EnrollmentPolicy; label: MessageId; hint: MessageId }[] = [
  { value: 'known_device', label: 'rollout.known_device.label', hint: 'rollout.known_device.hint' },
  { value: 'password', label: 'rollout.password.label', hint: 'rollout.password.hint' },
];

/**
 * Admin → Security Settings: the deployment day (countdown, who is still missing, a date to set,
 * move or drop) and who may enrol at next sign-in. Its choices are part of the page's one Save.
 */
export function RolloutSettings(props: {
  settings: SecuritySettings;
  /** Shown only while the requirement is off and not being turned on by this save. */
  showDeploymentDay: boolean;
  day: string;
  onDay: (day: string) => void;
  scheduleUnderstood: boolean;
  onScheduleUnderstood: (understood: boolean) => void;
  enrollment: EnrollmentPolicy;
  onEnrollment: (enrollment: EnrollmentPolicy) => void;
}) {
  const t = useT();
  const { settings } = props;
  const [, tick] = useState(0);
  const whenId = useId();
  const scheduled = settings.scheduledAt ?? null;
  // Who is still missing a method: fetched again with every change of the settings or the users.
  const missing = useEnforcementImpact(undefined, Boolean(scheduled)).data ?? null;
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 30_000);
    return () => clearInterval(timer);
  }, []);

  return (
    <div className="setting-divider" data-testid="rollout-settings">
      {props.showDeploymentDay ? (
        <fieldset className="setting-group deployment-day">
          <legend>{t('rollout.legend')}</legend>
          {scheduled ? (
            <div className="info-box" role="region" aria-label={t('rollout.scheduledLabel')} data-testid="deployment-day-scheduled">
              <p>
                <Msg
                  id="rollout.scheduled"
                  values={{ when: deploymentDayText(scheduled), countdown: countdownText(scheduled), ...byName(settings.scheduledBy), strong: (chunks) => <strong>{chunks}</strong> }}
                />
              </p>
              {missing ? (
                <p data-testid="still-missing">
                  {missing.usersWithoutTwoFactor === 0
                    ? t('rollout.everyoneHas')
                    : t('rollout.stillMissing', {
                        count: missing.usersWithoutTwoFactor,
                        names: missing.users.length ? ` (${missing.users.slice(0, 20).map((u) => u.name).join(', ')}${missing.usersWithoutTwoFactor > 20 ? ', …' : ''})` : '',
                      })}
                </p>
              ) : null}
            </div>
          ) : (
            <p className="muted small">
              {t('rollout.intro')}
            </p>
          )}
          <label htmlFor={whenId}>{scheduled ? t('rollout.moveTo') : t('rollout.requireFrom')}</label>
          <p className="field-hint">{t('rollout.timeZone', { zone: timeZoneName() })}</p>
          <div className="inline-form">
            <input id={whenId} type="datetime-local" value={props.day} onChange={(e) => props.onDay(e.target.value)} />
            {props.day ? (
              <button type="button" className="button-secondary" onClick={() => props.onDay('')}>
                {scheduled ? t('rollout.drop') : t('rollout.clear')}
              </button>
            ) : null}
          </div>
          {!scheduled && props.day ? (
            <div className="checkbox">
              <input id="schedule-understood" type="checkbox" checked={props.scheduleUnderstood} onChange={(e) => props.onScheduleUnderstood(e.target.checked)} />
              <label htmlFor="schedule-understood">{t('rollout.understood')}</label>
            </div>
          ) : null}
        </fieldset>
      ) : null}

      <fieldset className="setting-group" aria-describedby="enrollment-policy-hint">
        <legend>{t('rollout.enrolLegend')}</legend>
        <p className="muted small" id="enrollment-policy-hint">
          {t('rollout.enrolIntro')}
        </p>
        {enrollmentChoices.map((choice) => (
          <div className="radio" key={choice.value}>
            <input
              type="radio"
              id={`enrollment-${choice.value}`}
              name="enrollment-policy"
              value={choice.value}
              checked={props.enrollment === choice.value}
              aria-describedby={`enrollment-${choice.value}-hint`}
              onChange={() => props.onEnrollment(choice.value)}
            />
            <div>
              <label htmlFor={`enrollment-${choice.value}`}>{t(choice.label)}</label>
              <p className="muted small" id={`enrollment-${choice.value}-hint`}>
                {t(choice.hint)}
              </p>
            </div>
          </div>
        ))}
      </fieldset>
    </div>
  );
}

/** "CET", "GMT+1": the admin's own time zone, short. */
function timeZoneName(): string {
  return new Intl.DateTimeFormat(getIntl().locale, { timeZoneName: 'short' }).formatToParts(new Date()).find((p) => p.type === 'timeZoneName')?.value ?? t('rollout.localTime');
}
