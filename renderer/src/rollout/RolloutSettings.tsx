import './rollout.css';
import { useCallback, useEffect, useId, useState } from 'react';
import type { EnforcementImpact, EnrollmentPolicy, SecuritySettings } from '../../../preload/agentdesk-api';
import { agentdesk } from '../api/bridge';
import { describeError } from '../api/error-messages';
import { Notice } from '../components/Notice';
import { useSession } from '../session-context';
import { countdownText, deploymentDayText } from './when';

/** The value of a datetime-local input for an ISO time, in the admin's time zone. */
function localInputValue(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const enrollmentChoices: { value: EnrollmentPolicy; label: string; hint: string }[] = [
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
 * Admin → Security Settings: the deployment day (schedule, countdown, who is still missing,
 * move or cancel) and who may enrol at next sign-in.
 */
export function RolloutSettings({ adminHasMethod, onSaved }: { adminHasMethod: boolean; onSaved?: () => void }) {
  const { sensitive } = useSession();
  const [settings, setSettings] = useState<SecuritySettings | null>(null);
  const [missing, setMissing] = useState<EnforcementImpact | null>(null);
  const [when, setWhen] = useState('');
  const [understood, setUnderstood] = useState(false);
  const [enrollment, setEnrollment] = useState<EnrollmentPolicy>('known_device');
  const [message, setMessage] = useState<{ tone: 'error' | 'success'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [, tick] = useState(0);
  const whenId = useId();

  const load = useCallback(async () => {
    const s = await agentdesk.getSecuritySettings();
    setSettings(s);
    setEnrollment(s.enrollment ?? 'password');
    if (s.scheduledAt) setWhen(localInputValue(s.scheduledAt));
    if (!s.requireTwoFactor) setMissing(await agentdesk.getEnforcementImpact());
  }, []);
  useEffect(() => {
    load().catch((e: unknown) => setMessage({ tone: 'error', text: describeError(e) }));
    const timer = setInterval(() => tick((n) => n + 1), 30_000);
    return () => clearInterval(timer);
  }, [load]);

  async function save(change: { startsAt?: string | null; enrollment?: EnrollmentPolicy }, done: (s: SecuritySettings) => string) {
    if (!settings) return;
    setBusy(true);
    setMessage(null);
    try {
      const saved = await sensitive(() =>
        agentdesk.saveSecuritySettings({ requireTwoFactor: change.startsAt ? true : settings.requireTwoFactor, acknowledged: change.startsAt ? understood || Boolean(settings.scheduledAt) : false, ...change }),
      );
      if (saved) {
        const next = { ...settings, scheduledAt: saved.scheduledAt ?? null, ...(change.enrollment ? { enrollment: change.enrollment } : {}) };
        setSettings(next);
        setUnderstood(false);
        setMessage({ tone: 'success', text: done(next) });
        void load();
        onSaved?.();
      }
    } catch (e) {
      setMessage({ tone: 'error', text: describeError(e) });
    } finally {
      setBusy(false);
    }
  }

  if (!settings) return message ? <Notice tone={message.tone}>{message.text}</Notice> : null;
  const startsAt = when ? new Date(when) : null;
  const validTime = startsAt !== null && !Number.isNaN(startsAt.getTime()) && startsAt.getTime() > Date.now();
  const scheduled = settings.scheduledAt ?? null;

  return (
    <div className="setting-divider" data-testid="rollout-settings">
      {!settings.requireTwoFactor ? (
        <fieldset className="setting-group">
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
                    : `Still missing a method: ${missing.usersWithoutTwoFactor} ${missing.usersWithoutTwoFactor === 1 ? 'user' : 'users'}${
                        missing.users.length ? ` (${missing.users.slice(0, 20).map((u) => u.name).join(', ')}${missing.usersWithoutTwoFactor > 20 ? ', …' : ''})` : ''
                      }. At that time they are signed out and set one up at their next sign-in.`}
                </p>
              ) : null}
            </div>
          ) : (
            <p className="muted small">
              Instead of requiring it upon save, pick a date and time. Everyone without a method is told in the app until then; at that time the
              requirement takes effect once, with the same sign-out as a save.
            </p>
          )}
          <label htmlFor={whenId}>{scheduled ? 'Move to' : 'Require from'}</label>
          <input id={whenId} type="datetime-local" value={when} onChange={(e) => setWhen(e.target.value)} />
          {!scheduled ? (
            <div className="checkbox">
              <input id="schedule-understood" type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.target.checked)} />
              <label htmlFor="schedule-understood">At that time, everyone without a method is signed out: schedule it anyway</label>
            </div>
          ) : null}
          {!adminHasMethod ? <p className="muted small">Set up a method of your own first.</p> : null}
          <div className="button-row">
            <button
              type="button"
              className="button-secondary"
              disabled={busy || !validTime || !adminHasMethod || (!scheduled && !understood)}
              onClick={() => {
                void save({ startsAt: startsAt!.toISOString() }, (s) => `Two-factor authentication will be required from ${deploymentDayText(s.scheduledAt!)}.`);
              }}
            >
              {scheduled ? 'Move deployment day' : 'Schedule'}
            </button>
            {scheduled ? (
              <button type="button" className="button-secondary" disabled={busy} onClick={() => void save({ startsAt: null }, () => 'The deployment day is cancelled. Nothing changes for anyone.')}>
                Drop the deployment day
              </button>
            ) : null}
          </div>
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
              checked={enrollment === choice.value}
              aria-describedby={`enrollment-${choice.value}-hint`}
              onChange={() => setEnrollment(choice.value)}
            />
            <div>
              <label htmlFor={`enrollment-${choice.value}`}>{choice.label}</label>
              <p className="muted small" id={`enrollment-${choice.value}-hint`}>
                {choice.hint}
              </p>
            </div>
          </div>
        ))}
        <div className="button-row">
          <button
            type="button"
            className="button-secondary"
            disabled={busy || enrollment === (settings.enrollment ?? 'password')}
            onClick={() => void save({ enrollment }, () => (enrollment === 'known_device' ? 'New devices now need an enrolment code to set up a first method.' : 'The password alone is now enough to set up a first method.'))}
          >
            Use this enrolment rule
          </button>
        </div>
      </fieldset>
      {message ? (
        <Notice tone={message.tone}>
          <span data-testid="rollout-result">{message.text}</span>
        </Notice>
      ) : null}
    </div>
  );
}
