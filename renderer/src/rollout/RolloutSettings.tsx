import './rollout.css';
import { useEffect, useId, useState } from 'react';
import type { EnforcementImpact, EnrollmentPolicy, SecuritySettings } from '../../../preload/agentdesk-api';
import { agentdesk } from '../api/bridge';
import { count } from '../plurals';
import { countdownText, deploymentDayText } from './when';

/** The value of a datetime-local input for an ISO time, in the admin's time zone. */
export function localInputValue(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export const enrollmentChoices: { value: EnrollmentPolicy; label: string; hint: string }[] = [
  {
    value: 'known_device',
    label: 'Only from a device they used before, or with an enrolment code',
    hint: 'Recommended. Someone who only stole a password cannot set up the second factor first: from a new device, the user needs a one-time code you issue from Admin → Users.',
  },
  {
    value: 'password',
    label: 'Anyone with the password',
    hint: 'The password alone is enough to set up the first method. Whoever signs in first with it owns the second factor.',
  },
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
  const { settings } = props;
  const [missing, setMissing] = useState<EnforcementImpact | null>(null);
  const [, tick] = useState(0);
  const whenId = useId();
  const scheduled = settings.scheduledAt ?? null;

  // Who is still missing a method, counted again whenever the settings change.
  useEffect(() => {
    if (!scheduled) return;
    let live = true;
    agentdesk.getEnforcementImpact().then(
      (impact) => live && setMissing(impact),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [scheduled, settings.updatedAt]);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 30_000);
    return () => clearInterval(timer);
  }, []);

  return (
    <div className="setting-divider" data-testid="rollout-settings">
      {props.showDeploymentDay ? (
        <fieldset className="setting-group deployment-day">
          <legend>Deployment day</legend>
          {scheduled ? (
            <div className="info-box" role="region" aria-label="Scheduled deployment day" data-testid="deployment-day-scheduled">
              <p>
                Two-factor authentication becomes required on <strong>{deploymentDayText(scheduled)}</strong> ({countdownText(scheduled)})
                {settings.scheduledBy ? `, scheduled by ${settings.scheduledBy.name}` : ''}. Until then, everyone without a method sees the date on
                every screen, with a button to set it up now.
              </p>
              {missing ? (
                <p data-testid="still-missing">
                  {missing.usersWithoutTwoFactor === 0
                    ? 'Everyone has a method already.'
                    : `Still missing a method: ${count(missing.usersWithoutTwoFactor, { one: 'user', other: 'users' })}${
                        missing.users.length ? ` (${missing.users.slice(0, 20).map((u) => u.name).join(', ')}${missing.usersWithoutTwoFactor > 20 ? ', …' : ''})` : ''
                      }. At that time they are signed out and set one up at their next sign-in.`}
                </p>
              ) : null}
            </div>
          ) : (
            <p className="muted small">
              Instead of requiring it now, pick a date and time and save. Everyone without a method is told in the app until then; at that time
              the requirement takes effect once, with the same sign-out as a save.
            </p>
          )}
          <label htmlFor={whenId}>{scheduled ? 'Move to' : 'Require from'}</label>
          <p className="field-hint">In your time zone ({timeZoneName()}).</p>
          <div className="inline-form">
            <input id={whenId} type="datetime-local" value={props.day} onChange={(e) => props.onDay(e.target.value)} />
            {props.day ? (
              <button type="button" className="button-secondary" onClick={() => props.onDay('')}>
                {scheduled ? 'Drop the deployment day' : 'Clear the date'}
              </button>
            ) : null}
          </div>
          {!scheduled && props.day ? (
            <div className="checkbox">
              <input id="schedule-understood" type="checkbox" checked={props.scheduleUnderstood} onChange={(e) => props.onScheduleUnderstood(e.target.checked)} />
              <label htmlFor="schedule-understood">At that time, everyone without a method is signed out: schedule it anyway</label>
            </div>
          ) : null}
        </fieldset>
      ) : null}

      <fieldset className="setting-group" aria-describedby="enrollment-policy-hint">
        <legend>Who may set up two-factor authentication at their next sign-in</legend>
        <p className="muted small" id="enrollment-policy-hint">
          When two-factor authentication becomes required, users without a method set one up at their next sign-in. This decides whether a
          password is enough for that.
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
              <label htmlFor={`enrollment-${choice.value}`}>{choice.label}</label>
              <p className="muted small" id={`enrollment-${choice.value}-hint`}>
                {choice.hint}
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
  return new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' }).formatToParts(new Date()).find((p) => p.type === 'timeZoneName')?.value ?? 'local time';
}
