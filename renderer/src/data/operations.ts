// The renderer's server state, one operation of the contract at a time: a query is cached under
// the operation's name and its input (`['listUsers', { query }]`), and a change (a mutation)
// marks stale, and refetches where shown, every query it can have changed (`invalidates`
// below). Screens use these hooks and the named ones beside them; they never call the bridge.
import { useMutation, useQuery, useQueryClient, type QueryClient, type UseQueryOptions } from '@tanstack/react-query';
import type { BridgeCalls } from '../../../contract/operations';
import { agentdesk } from '../api/bridge';

export type CallName = keyof BridgeCalls;
type Call<K extends CallName> = BridgeCalls[K];
export type InputOf<K extends CallName> = Parameters<Call<K>>[0];
export type AnswerOf<K extends CallName> = Awaited<ReturnType<Call<K>>>;

/** The operations that only read: each a query, cached under its name. */
export type ReadName =
  | 'getMe'
  | 'getSecurityPolicy'
  | 'getSecuritySettings'
  | 'getEnforcementImpact'
  | 'listUsers'
  | 'listAuditEvents'
  | 'listMySessions'
  | 'listMyDevices'
  | 'listSecurityActivity'
  | 'listSecurityAlerts'
  | 'previewInvitation'
  | 'getAdoption'
  | 'getSessionPolicy'
  | 'getNetworkPolicy'
  | 'listScimTokens'
  | 'listGroups'
  | 'getGroupMembers'
  | 'listIdentityProviders'
  | 'getSignInSettings'
  | 'getSecurityKeyPolicy';

/** A query's key: the operation's name, then its input (left out when there is none). */
export function keyOf<K extends CallName>(name: K, input?: InputOf<K>): readonly unknown[] {
  return input === undefined ? [name] : [name, input];
}

/** Runs one operation of the bridge. Only the data layer calls it. */
export function run<K extends CallName>(name: K, input?: InputOf<K>): Promise<AnswerOf<K>> {
  return (agentdesk[name] as (input?: InputOf<K>) => Promise<AnswerOf<K>>)(input);
}

/**
 * What each change can make stale, by the operation's name: the reads to fetch again after it
 * succeeds. Reads not listed stay cached. A change not listed changes nothing a query shows.
 */
const everyUserList: ReadName[] = ['listUsers', 'getEnforcementImpact', 'listAuditEvents', 'getAdoption'];
const myMethods: ReadName[] = ['getMe', 'getSecurityPolicy', 'listSecurityActivity', 'listMySessions', ...everyUserList];
export const invalidates: Partial<Record<CallName | ClientChange, readonly ReadName[]>> = {
  // Security Settings: the settings, who is affected, the users' columns, the admin's own view.
  saveSecuritySettings: ['getSecuritySettings', 'getEnforcementImpact', 'listUsers', 'getMe', 'getSecurityPolicy', 'listAuditEvents', 'listSecurityAlerts', 'getAdoption'],
  // People: the list and its counts, and the audit log that records each change.
  inviteUser: everyUserList,
  importUsers: everyUserList,
  updateUser: [...everyUserList, 'getMe'],
  deleteUser: everyUserList,
  resendInvitation: everyUserList,
  revokeInvitation: everyUserList,
  sendPasswordReset: everyUserList,
  resetUserTwoFactor: everyUserList,
  issueEnrollmentCode: everyUserList,
  liftLockout: everyUserList,
  signUserOutEverywhere: everyUserList,
  signEveryoneElseOut: [...everyUserList, 'listMySessions'],
  forgetUsersDevices: ['listAuditEvents', 'listMyDevices'],
  // My security: my methods, codes and sessions (and, for an admin, the users' columns).
  confirmAuthenticatorApp: myMethods,
  addSecurityKey: myMethods,
  renameMethod: myMethods,
  removeMethod: myMethods,
  regenerateRecoveryCodes: ['getMe', 'listSecurityActivity', 'listAuditEvents'],
  redeemEnrollmentCode: ['getMe'],
  // Grace: the user's own count; an admin's change shows in the users list and the log.
  postponeEnrolment: ['getMe'],
  setUserGrace: everyUserList,
  // The user's language shows in GET /me and in the users list's column.
  setMyLanguage: ['getMe', 'listUsers'],
  changePassword: ['listMySessions', 'listMyDevices', 'listSecurityActivity', 'listAuditEvents'],
  // Remembered devices: the card's list; the log records each.
  forgetMyDevice: ['listMyDevices', 'listAuditEvents'],
  forgetMyDevices: ['listMyDevices', 'listAuditEvents'],
  rememberDevice: ['listMyDevices', 'listAuditEvents'],
  declareCurrentDevice: ['listMyDevices'],
  // The card marks the row it signed out and keeps it until the list is read again.
  endMySession: ['listSecurityActivity', 'listUsers'],
  endOtherSessions: ['listMySessions', 'listSecurityActivity', 'listUsers'],
  // Account policies: the card's own setting; ending sessions shows in the lists and the log.
  saveSessionPolicy: ['getSessionPolicy', 'listMySessions', 'listAuditEvents'],
  saveNetworkPolicy: ['getNetworkPolicy', 'listAuditEvents'],
  // SCIM tokens: the card's list, and the audit log that records each.
  createScimToken: ['listScimTokens', 'listAuditEvents'],
  revokeScimToken: ['listScimTokens', 'listAuditEvents'],
  // Groups: the list, the members, and whom the requirement's groups hold (its settings and impact).
  createGroup: ['listGroups', 'listAuditEvents'],
  renameGroup: ['listGroups', 'getSecuritySettings', 'listAuditEvents'],
  deleteGroup: ['listGroups', 'getGroupMembers', 'getSecuritySettings', ...everyUserList],
  setGroupMembers: ['listGroups', 'getGroupMembers', 'getSecuritySettings', ...everyUserList],
  // Single sign-on: the providers, SSO only, and the log.
  addIdentityProvider: ['listIdentityProviders', 'listAuditEvents'],
  updateIdentityProvider: ['listIdentityProviders', 'listAuditEvents'],
  removeIdentityProvider: ['listIdentityProviders', 'listAuditEvents'],
  // A provider test changes nothing but the log that records it.
  testIdentityProvider: ['listAuditEvents'],
  saveSignInSettings: ['getSignInSettings', 'listAuditEvents'],
  // Keys outside a new rule stop counting: the users' methods and columns change with it.
  saveSecurityKeyPolicy: ['getSecurityKeyPolicy', 'getMe', ...everyUserList],
  // Security activity and alerts.
  markAllSecurityActivityRead: ['listSecurityActivity'],
  markSecurityActivityRead: ['listSecurityActivity'],
  reportNotMe: ['listSecurityActivity', 'listSecurityAlerts', 'listAuditEvents'],
  resolveSecurityAlert: ['listSecurityAlerts', 'listAuditEvents'],
};

/** The changes made by a client function rather than an operation of the contract. */
export type ClientChange = 'addSecurityKey';

/** Marks stale (and refetches where shown) what `name` can have changed. */
export function invalidateAfter(client: QueryClient, name: CallName | ClientChange): Promise<void> {
  const stale = invalidates[name] ?? [];
  return Promise.all(stale.map((read) => client.invalidateQueries({ queryKey: [read] }))).then(() => undefined);
}

/** A read, cached under its name and input. */
export function useApiQuery<K extends ReadName>(
  name: K,
  input?: InputOf<K>,
  options: Omit<UseQueryOptions<AnswerOf<K>, Error, AnswerOf<K>, readonly unknown[]>, 'queryKey' | 'queryFn'> = {},
) {
  return useQuery({ queryKey: keyOf(name, input), queryFn: () => run(name, input), ...options });
}

/**
 * A change: `mutateAsync(input)` runs it and, once it succeeds, invalidates what it changed. A
 * sensitive change runs inside the session's `sensitive(...)`, which asks for the factor and
 * calls it again: `sensitive(() => save.mutateAsync(input))`.
 */
export function useApiMutation<K extends CallName>(name: K) {
  const client = useQueryClient();
  return useMutation<AnswerOf<K>, Error, InputOf<K> | void>({
    mutationFn: (input) => run(name, (input ?? undefined) as InputOf<K>),
    onSuccess: () => invalidateAfter(client, name),
  });
}
