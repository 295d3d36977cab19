// The Security Settings page's one draft: what the admin changed and has not saved yet, over the
// settings the server has now. Every card edits this draft; the one Save sends it. A field left
// out of the draft is as the server has it, so a push that changes the server's settings shows
// at once in every field the admin has not touched.
import { useState } from 'react';
import type { EnrollmentPolicy, SaveSecuritySettingsInput, SecondFactorPolicy, SecuritySettings, UserVerificationPolicy } from '../../../contract/answers';
import { t } from '../i18n';
import { localInputValue } from '../rollout/RolloutSettings';
import { deploymentDayText } from '../rollout/when';
import { pinPolicyLabel } from './PinPolicySettings';
import type { ScopeChoice } from '../data/queries';

export interface Draft {
  requireTwoFactor?: boolean;
  userVerification?: UserVerificationPolicy;
  secondFactorPolicy?: SecondFactorPolicy;
  passwordlessSignIn?: boolean;
  allowRecoveryCodesUnderKeysOnly?: boolean;
  enrollment?: EnrollmentPolicy;
  /** The deployment day as a datetime-local value; '' for none. */
  day?: string;
  /** Whom the requirement applies to. */
  appliesTo?: ScopeChoice;
}

/** The stored scope as the draft holds it. */
export function savedScope(settings: SecuritySettings): ScopeChoice {
  const stored = settings.appliesTo;
  return stored ? { everyone: stored.everyone, roles: stored.roles, groupIds: stored.groups.map((g) => g.id) } : { everyone: true, roles: [], groupIds: [] };
}

function sameScope(a: ScopeChoice, b: ScopeChoice): boolean {
  if (a.everyone || b.everyone) return a.everyone === b.everyone;
  const same = (x: string[], y: string[]) => x.length === y.length && x.every((v) => y.includes(v));
  return same(a.roles, b.roles) && same(a.groupIds, b.groupIds);
}

const yesNo = (on: boolean) => (on ? 'yes' : 'no');

/** The draft over `settings`: each value as it would be saved, what changed, and the unsaved changes in words. */
export function useSettingsDraft(settings: SecuritySettings) {
  const [draft, setDraft] = useState<Draft>({});
  const [understood, setUnderstood] = useState(false);
  const [scheduleUnderstood, setScheduleUnderstood] = useState(false);

  const wanted = draft.requireTwoFactor ?? settings.requireTwoFactor;
  const pinPolicy = draft.userVerification ?? settings.userVerification;
  const factorPolicy = draft.secondFactorPolicy ?? settings.secondFactorPolicy ?? 'any';
  const passwordless = draft.passwordlessSignIn ?? settings.passwordlessSignIn ?? false;
  const codesUnderKeys = draft.allowRecoveryCodesUnderKeysOnly ?? settings.allowRecoveryCodesUnderKeysOnly ?? false;
  const enrollment = draft.enrollment ?? settings.enrollment ?? 'password';
  const savedDay = settings.scheduledAt ? localInputValue(settings.scheduledAt) : '';
  const day = draft.day ?? savedDay;
  const storedScope = savedScope(settings);
  const scope = draft.appliesTo ?? storedScope;
  const scopeChanged = !sameScope(scope, storedScope);
  // Chosen roles and groups, but none ticked: not a scope (the Save waits for one).
  const scopeEmpty = !scope.everyone && scope.roles.length === 0 && scope.groupIds.length === 0;

  const turningOn = wanted && !settings.requireTwoFactor;
  const turningOff = !wanted && settings.requireTwoFactor;
  const pinPolicyChanged = pinPolicy !== settings.userVerification;
  const factorPolicyChanged = factorPolicy !== (settings.secondFactorPolicy ?? 'any');
  const passwordlessChanged = passwordless !== (settings.passwordlessSignIn ?? false);
  const codesUnderKeysChanged = codesUnderKeys !== (settings.allowRecoveryCodesUnderKeysOnly ?? false);
  const enrollmentChanged = enrollment !== (settings.enrollment ?? 'password');
  // The deployment day applies only while the requirement is off and stays off in this save.
  const showDeploymentDay = !settings.requireTwoFactor && !wanted;
  const dayChanged = showDeploymentDay && day !== savedDay;
  const scheduling = dayChanged && day !== '';
  const dropping = dayChanged && day === '';
  const startsAt = scheduling ? new Date(day) : null;
  const validDay = startsAt !== null && !Number.isNaN(startsAt.getTime()) && startsAt.getTime() > Date.now();
  // "Security keys only" while 2FA stays required signs out whoever has no key: the same warning.
  const tightening = wanted && settings.requireTwoFactor && factorPolicy === 'security_keys' && settings.secondFactorPolicy !== 'security_keys';
  // A new scope while it is on signs out whoever it brings in: the same warning.
  const rescoping = wanted && settings.requireTwoFactor && scopeChanged;
  const warns = turningOn || tightening || rescoping;

  // The unsaved changes, in words, beside the Save.
  const unsaved: string[] = [];
  if (turningOn || turningOff) unsaved.push(t('settings.unsaved.require', { on: yesNo(wanted) }));
  if (scheduling) unsaved.push(validDay ? t('settings.unsaved.day', { when: deploymentDayText(startsAt!.toISOString()) }) : t('settings.unsaved.dayInvalid'));
  if (dropping) unsaved.push(t('settings.unsaved.dayDropped'));
  if (enrollmentChanged) unsaved.push(t('settings.unsaved.enrol', { policy: enrollment }));
  if (pinPolicyChanged) unsaved.push(t('settings.unsaved.pin', { label: pinPolicyLabel(pinPolicy).toLowerCase() }));
  if (factorPolicyChanged) unsaved.push(t('settings.unsaved.factors', { policy: factorPolicy }));
  if (passwordlessChanged) unsaved.push(t('settings.unsaved.passwordless', { on: yesNo(passwordless) }));
  if (codesUnderKeysChanged) unsaved.push(t('settings.unsaved.codesUnderKeys', { on: yesNo(codesUnderKeys) }));
  if (scopeChanged) unsaved.push(t('settings.unsaved.scope'));

  /** What the Save sends: only what changed, and the acknowledgement the change needs. */
  function input(): SaveSecuritySettingsInput {
    return {
      // A deployment day is asked for as the requirement with a start time.
      requireTwoFactor: wanted || scheduling,
      // The warning's "I understand" (turning on, or keys only while on); a new deployment day
      // its own tick; moving an existing one was acknowledged when it was set.
      acknowledged: warns ? understood : scheduling ? scheduleUnderstood || Boolean(settings.scheduledAt) : wanted,
      ...(pinPolicyChanged ? { userVerification: pinPolicy } : {}),
      ...(factorPolicyChanged ? { secondFactorPolicy: factorPolicy } : {}),
      ...(passwordlessChanged ? { passwordlessSignIn: passwordless } : {}),
      ...(codesUnderKeysChanged ? { allowRecoveryCodesUnderKeysOnly: codesUnderKeys } : {}),
      ...(enrollmentChanged ? { enrollment } : {}),
      ...(dayChanged ? { startsAt: scheduling ? startsAt!.toISOString() : null } : {}),
      ...(scopeChanged ? { appliesTo: scope.everyone ? { everyone: true } : { roles: scope.roles, groupIds: scope.groupIds } } : {}),
    };
  }

  function change(next: Draft) {
    setDraft((d) => ({ ...d, ...next }));
    if ('requireTwoFactor' in next || 'secondFactorPolicy' in next || 'appliesTo' in next) setUnderstood(false);
  }

  function discard() {
    setDraft({});
    setUnderstood(false);
    setScheduleUnderstood(false);
  }

  return {
    wanted, pinPolicy, factorPolicy, passwordless, codesUnderKeys, enrollment, day, startsAt, validDay,
    scope, scopeChanged, scopeEmpty, rescoping,
    turningOn, turningOff, tightening, warns, scheduling, dropping, showDeploymentDay,
    pinPolicyChanged, factorPolicyChanged, passwordlessChanged, enrollmentChanged,
    understood, setUnderstood, scheduleUnderstood, setScheduleUnderstood,
    unsaved, input, change, discard,
  };
}

export type SettingsDraft = ReturnType<typeof useSettingsDraft>;
