// Test helpers for the rollout tests: sign-ins that carry a device token (the desktop app's
// way), and an admin with a recent second factor.
import assert from 'node:assert/strict';
import { PASSWORD, type ApiClient } from './harness.js';
import { totpCode } from './totp-reference.js';

export interface SignedIn {
  token: string;
  deviceToken: string;
  state: string;
}

/** Signs in with account, email and password from the device holding `deviceToken` (none: a new device). */
export async function signInOn(server: ApiClient, slug: string, email: string, deviceToken?: string, password = PASSWORD): Promise<SignedIn> {
  const res = await server.call('POST', '/sessions', { body: { account: slug, email, password, ...(deviceToken ? { deviceToken } : {}) } });
  assert.equal(res.status, 201, `sign in ${email}: ${JSON.stringify(res.body)}`);
  return { token: res.body.token, deviceToken: res.body.deviceToken, state: res.body.session.state };
}

/** Passes the second step with an authenticator code of the step `offsetSteps` from now; returns the new token. */
export async function passTotp(server: ApiClient, token: string, secret: string, offsetSteps = 1): Promise<string> {
  const res = await server.call('POST', '/sessions/current/second-factor', { token, body: { method: 'totp', code: totpCode(secret, Date.now() + offsetSteps * 30_000) } });
  assert.equal(res.status, 200, `second step: ${JSON.stringify(res.body)}`);
  return (res.body.token as string | undefined) ?? token;
}

/** Passes the second step with a recovery code (codes of one authenticator step are accepted once per user). */
export async function passRecoveryCode(server: ApiClient, token: string, code: string): Promise<string> {
  const res = await server.call('POST', '/sessions/current/second-factor', { token, body: { method: 'recovery_code', code } });
  assert.equal(res.status, 200, `second step (recovery code): ${JSON.stringify(res.body)}`);
  return (res.body.token as string | undefined) ?? token;
}

/** Adds and confirms an authenticator app on `token`; returns the secret, recovery codes and the token to use next. */
export async function addTotp(server: ApiClient, token: string) {
  const start = await server.call('POST', '/me/methods/totp', { token, body: {} });
  assert.equal(start.status, 201, `totp start: ${JSON.stringify(start.body)}`);
  const confirm = await server.call('POST', `/me/methods/totp/${start.body.id}/confirm`, { token, body: { code: totpCode(start.body.secret) } });
  assert.equal(confirm.status, 200, `totp confirm: ${JSON.stringify(confirm.body)}`);
  return {
    secret: start.body.secret as string,
    methodId: start.body.id as string,
    recoveryCodes: confirm.body.recoveryCodes as string[] | undefined,
    token: (confirm.body.token as string | undefined) ?? token,
  };
}

/** Creates the account (open signup), gives its admin an authenticator app, signs them in with it. */
export async function accountWithAdmin(server: ApiClient, slug: string) {
  const res = await server.call('POST', '/accounts', {
    body: { name: `${slug} Ltd`, slug, admin: { name: `Admin ${slug}`, email: `admin@${slug}.test`, password: PASSWORD } },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const email = `admin@${slug}.test`;
  const first = await signInOn(server, slug, email);
  const { secret } = await addTotp(server, first.token);
  const again = await signInOn(server, slug, email, first.deviceToken);
  const token = await passTotp(server, again.token, secret);
  return { accountId: res.body.account.id as string, adminId: res.body.user.id as string, email, secret, token, deviceToken: first.deviceToken };
}

/** A user invited by the admin who accepted with PASSWORD (or, before invitations, created with it). */
export async function addUser(
  server: ApiClient,
  adminToken: string,
  slug: string,
  name: string,
  role: 'agent' | 'admin' = 'agent',
  /** Where mail is configured the link is emailed, not answered: how to read it from the mail. */
  emailedLink?: (email: string) => Promise<string>,
) {
  const email = `${name.toLowerCase()}@${slug}.test`;
  let res = await server.call('POST', '/account/users', { token: adminToken, body: { name, email, role } });
  if (res.status === 400) res = await server.call('POST', '/account/users', { token: adminToken, body: { name, email, password: PASSWORD, role } });
  assert.equal(res.status, 201, `create user: ${JSON.stringify(res.body)}`);
  const link = (res.body.invitation?.link as string | undefined) ?? (res.body.invitation && emailedLink ? await emailedLink(email) : undefined);
  if (link) {
    const token = new URL(link.replace('#/', '')).searchParams.get('token');
    const accepted = await server.call('POST', '/invitations/accept', { body: { token, password: PASSWORD } });
    assert.ok(accepted.status < 300, `accept invitation: ${JSON.stringify(accepted.body)}`);
  }
  return { id: res.body.user.id as string, email };
}
