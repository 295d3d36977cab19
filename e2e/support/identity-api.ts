// Arranging a journey's starting point over HTTP (as the desktop does, with a bearer token),
// so each browser test drives only the screens it is about.
import type { AuthenticatorCodes } from './authenticator-codes.js';

export class IdentityApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(`${status} ${code}: ${message}`);
  }
}

export class IdentityApi {
  constructor(readonly baseUrl: string, private token: string | null = null) {}

  async call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const response = await fetch(`${this.baseUrl}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    const payload = text ? JSON.parse(text) : null;
    if (!response.ok) throw new IdentityApiError(response.status, payload?.error?.code ?? 'unknown', payload?.error?.message ?? text);
    // Passing the second step and the first method's enrollment rotate the token: the old one
    // ends, so follow the new one as the desktop does.
    if (this.token && typeof payload?.token === 'string') this.token = payload.token;
    return payload as T;
  }

  static async signIn(baseUrl: string, account: string, email: string, password: string): Promise<IdentityApi> {
    const answer = await new IdentityApi(baseUrl).call<{ token: string }>('POST', '/sessions', { account, email, password });
    return new IdentityApi(baseUrl, answer.token);
  }

  /** Adds an authenticator app and returns its secret, as a user scanning the QR code would. */
  async enrollAuthenticatorApp(codes: AuthenticatorCodes): Promise<string> {
    const setup = await this.call<{ id: string; secret: string }>('POST', '/me/methods/totp', {});
    await this.call('POST', `/me/methods/totp/${setup.id}/confirm`, { code: await codes.next(setup.secret) });
    return setup.secret;
  }
}

export const password = 'correct horse battery staple';

export interface SeededAccount {
  slug: string;
  admin: { email: string; secret: string; api: IdentityApi };
  createUser(name: string, email: string, role?: 'admin' | 'agent'): Promise<void>;
}

/** An account whose admin already has an authenticator app. */
export async function seedAccount(baseUrl: string, codes: AuthenticatorCodes, slug = 'acme', name = 'Acme Support', enrollment: 'password' | 'known_device' = 'password'): Promise<SeededAccount> {
  const email = `alice@${slug}.test`;
  await new IdentityApi(baseUrl).call('POST', '/accounts', { name, slug, admin: { name: 'Alice Admin', email, password } });
  const api = await IdentityApi.signIn(baseUrl, slug, email, password);
  const secret = await api.enrollAuthenticatorApp(codes);
  // New accounts accept a first method only from a known device or with an enrolment code
  // (e2e/rollout.test.ts); these journeys follow the article, where the password is enough.
  if (enrollment === 'password') await api.call('PUT', '/account/security-settings', { requireTwoFactor: false, acknowledged: false, enrollment: 'password' });
  return {
    slug,
    admin: { email, secret, api },
    async createUser(userName, userEmail, role = 'agent') {
      // Invited (no mail configured: the admin gets the link), then the invitee chooses the password.
      const invited = await api.call<{ invitation: { link: string } }>('POST', '/account/users', { name: userName, email: userEmail, role });
      const token = new URL(invited.invitation.link.replace('#/', '')).searchParams.get('token');
      await new IdentityApi(baseUrl).call('POST', '/invitations/accept', { token, password });
    },
  };
}
