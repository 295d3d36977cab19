// What only a client can do, beside the contract's operations: sign-in and sign-out (main keeps
// the token), the security-key ceremonies, recovery codes kept until saved, and the reads that
// are downloads rather than state on screen. Screens call these, never the bridge.
import { useEffect, useState } from 'react';
import type { CurrentSession, Me, SignInInput, SignupStatus } from '../../../contract/answers';
import { queryValues, type QueryValues } from '../../../contract/operation';
import type { AuditFilter, UserListQuery } from '../../../contract/answers';
import { agentdesk, type SecurityKeyProgress } from '../api/bridge';
import { clearServerState, queryClient } from './client';
import { invalidateAfter, keyOf, run } from './operations';

export type { SecurityKeyProgress };

/** Before the server has answered, or if it cannot say: offer the link, the server still decides. */
const unknownSignup: SignupStatus = { open: true, firstRun: false };

export function loadSignupStatus(): Promise<SignupStatus> {
  return agentdesk.getSignupStatus().catch(() => unknownSignup);
}

/** The session this client already holds, or null. */
export function restoreSession(): Promise<CurrentSession | null> {
  return agentdesk.getCurrentSession().catch(() => null);
}

export async function signIn(input: SignInInput): Promise<CurrentSession> {
  clearServerState();
  return agentdesk.signIn(input);
}

export async function signInWithSecurityKey(input: { account: string; autofill?: boolean }): Promise<CurrentSession> {
  const current = await agentdesk.signInWithSecurityKey(input);
  clearServerState();
  return current;
}

/** Sign-in through the account's identity provider (the web console leaves for it; the desktop waits for the system browser). */
export async function signInWithSso(input: { account: string; provider: string }): Promise<CurrentSession> {
  const current = await agentdesk.signInWithSso(input);
  clearServerState();
  return current;
}

/** The desktop stops waiting for the system browser; the pending signInWithSso ends in `sso_cancelled`. */
export const cancelSignInWithSso = () => agentdesk.cancelSignInWithSso();

/** The account's identity providers (ids and names only, public): asked as the account is typed, not kept. */
export const listSsoProviders = (account: string) => run('listSsoProviders', { query: { account } });

export async function signOut(): Promise<void> {
  await agentdesk.signOut();
  clearServerState();
}

/** The user, methods and account as the server has them now (and the cache with it). */
export function fetchMe(): Promise<Me> {
  return queryClient.fetchQuery({ queryKey: keyOf('getMe'), queryFn: () => run('getMe'), staleTime: 0 });
}

/** The second step (or re-authentication) by touching a security key. */
export const passWithSecurityKey = () => agentdesk.useSecurityKey();

export async function addSecurityKey(name: string, options?: { passwordless?: boolean }) {
  const added = await agentdesk.addSecurityKey(name, options);
  void invalidateAfter(queryClient, 'addSecurityKey');
  return added;
}

/** Each step of a security-key ceremony, as the client reports it. */
export function useSecurityKeyProgress(): SecurityKeyProgress | null {
  const [progress, setProgress] = useState<SecurityKeyProgress | null>(null);
  useEffect(() => agentdesk.onSecurityKeyProgress(setProgress), []);
  return progress;
}

export const submitSecurityKeyPin = (pin: string) => agentdesk.submitSecurityKeyPin(pin);
export const chooseSecurityKeyAccount = (index: number) => agentdesk.chooseSecurityKeyAccount(index);
export const cancelSecurityKey = () => agentdesk.cancelSecurityKey();

/**
 * Whether this desk is shared, as the desktop asked once (`shared` null: not yet); null in a
 * browser, which is no desk. undefined until the client has said.
 */
export function useDeskSharing(): [{ shared: boolean | null } | null | undefined, (shared: boolean) => Promise<void>] {
  const [desk, setDesk] = useState<{ shared: boolean | null } | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    agentdesk.getDeskSharing().then(
      (answer) => live && setDesk(answer),
      () => live && setDesk(null),
    );
    return () => {
      live = false;
    };
  }, []);
  const answer = async (shared: boolean) => {
    await agentdesk.setDeskSharing(shared);
    setDesk((known) => (known === null ? null : { shared }));
    void invalidateAfter(queryClient, 'declareCurrentDevice');
  };
  return [desk, answer];
}

/** Recovery codes issued to this client and not yet confirmed saved (they survive a reload). */
export const getPendingRecoveryCodes = () => agentdesk.getPendingRecoveryCodes();
export const confirmRecoveryCodesSaved = () => agentdesk.confirmRecoveryCodesSaved();

/** The users list as a CSV file, with the list's filters. */
export const fetchUsersCsv = (query: QueryValues<Pick<UserListQuery, 'q' | 'role' | 'status' | 'twoFactor' | 'scopeRoles' | 'scopeGroupIds'>>) => run('exportUsers', { query });

/** The audit log as a CSV file, with the log's filters. */
export const fetchAuditCsv = (query: QueryValues<AuditFilter>) => run('exportAuditEvents', { query });

/** The adoption figures as a CSV file: one row per day, or who is still missing. */
export const fetchAdoptionCsv = (days: number, part: 'days' | 'missing', groupId: string | null = null) =>
  run('exportAdoption', { query: { days: String(days), part, ...(groupId ? { groupId } : {}) } });

/** How many users match now, asked afresh (for a sentence after a save, not a screen). */
export async function fetchUserCount(query: Omit<UserListQuery, 'limit' | 'offset'>): Promise<number> {
  return (await run('listUsers', { query: queryValues({ ...query, limit: 1 }) })).total;
}

/** Pushed by the server when this session is revoked (enforcement, reset, signed out elsewhere). */
export const onSessionRevoked = (callback: Parameters<typeof agentdesk.onSessionRevoked>[0]) => agentdesk.onSessionRevoked(callback);
