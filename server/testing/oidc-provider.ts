// A real OpenID Provider for the single sign-on tests: oidc-provider (OpenID-certified) on a
// loopback port, with users whose claims (email, email_verified, name) and whose sign-in
// (amr, acr) each test chooses. Its login is programmatic: the interaction endpoint signs in
// whoever `nextLogin` names, as a browser form would, so the whole code flow runs over HTTP.
// `Browser` is a minimal user agent: follows redirects by hand and keeps cookies per host.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface OpUser {
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface OpLogin {
  accountId: string;
  amr?: string[];
  acr?: string;
}

export interface TestOpenIdProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  users: Map<string, OpUser>;
  /** Who the next interaction signs in, and how. */
  nextLogin: OpLogin;
  /** Every authorization request seen (its query), newest last. */
  close(): Promise<void>;
}

export async function startOpenIdProvider(options: { redirectUris: string[]; clientId?: string; clientSecret?: string }): Promise<TestOpenIdProvider> {
  const clientId = options.clientId ?? 'agentdesk';
  const clientSecret = options.clientSecret ?? 'a-client-secret-of-the-test-provider';
  const users = new Map<string, OpUser>();
  let handler: ((req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => handler?.(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const op: TestOpenIdProvider = {
    issuer,
    clientId,
    clientSecret,
    users,
    nextLogin: { accountId: 'nobody' },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: options.redirectUris, grant_types: ['authorization_code'], response_types: ['code'] }],
    async findAccount(_ctx: unknown, sub: string) {
      if (!users.has(sub)) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...users.get(sub) }) };
    },
    // acr and amr in the openid scope: every ID token carries what the login said.
    claims: { openid: ['sub', 'acr', 'amr', 'auth_time'], email: ['email', 'email_verified'], profile: ['name'] },
    acrValues: ['urn:test:pwd', 'urn:test:mfa'],
    scopes: ['openid', 'email', 'profile'],
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    cookies: { keys: ['test-cookie-key'] },
    // First-party client: no consent screen, the grant is given.
    async loadExistingGrant(ctx: { oidc: { provider: Provider; client: { clientId: string }; session: { accountId: string } } }) {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  });
  const callback = provider.callback();
  handler = (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      void (async () => {
        try {
          await provider.interactionDetails(req, res);
          const login = op.nextLogin;
          await provider.interactionFinished(req, res, { login: { accountId: login.accountId, ...(login.amr && { amr: login.amr }), ...(login.acr && { acr: login.acr }) } }, { mergeWithLastSubmission: false });
        } catch (error) {
          res.statusCode = 500;
          res.end(String(error));
        }
      })();
      return;
    }
    callback(req, res);
  };
  return op;
}

/** A user agent for the tests: follows redirects one by one and keeps each host's cookies. */
export class Browser {
  private readonly jars = new Map<string, Map<string, string>>();
  /** Every URL visited, in order. */
  readonly visited: string[] = [];

  cookie(host: string, name: string): string | undefined {
    return this.jars.get(host)?.get(name);
  }

  /** A JSON POST from a page of the same origin (the console's fetch): its cookies kept. */
  async post(url: string, body: unknown): Promise<{ status: number; body: any }> {
    const target = new URL(url);
    const res = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', origin: target.origin, ...this.cookieHeader(target) }, body: JSON.stringify(body) });
    this.keep(target, res);
    return { status: res.status, body: await res.json() };
  }

  /**
   * Submits a page's form as a browser does (application/x-www-form-urlencoded, the page's origin
   * as Origin, this host's cookies), then follows the answer's redirects as `visit` does.
   */
  async submit(form: { action: string; fields: Record<string, string> }, from: string, options: { stopAt?: (url: URL) => boolean } = {}): Promise<{ url: URL; status: number; body: string }> {
    const target = new URL(form.action);
    this.visited.push(target.href);
    const res = await fetch(target, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(from).origin, ...this.cookieHeader(target) },
      body: new URLSearchParams(form.fields).toString(),
    });
    this.keep(target, res);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      return this.visit(new URL(location, target).href, options);
    }
    return { url: target, status: res.status, body: await res.text() };
  }

  private cookieHeader(url: URL): Record<string, string> {
    const jar = this.jars.get(url.host);
    return jar?.size ? { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
  }

  private keep(url: URL, res: Response): void {
    const jar = this.jars.get(url.host) ?? new Map<string, string>();
    this.jars.set(url.host, jar);
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const name = pair!.slice(0, pair!.indexOf('=')).trim();
      const value = pair!.slice(pair!.indexOf('=') + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  }

  /** Visits `url` and follows redirects until an answer that is not one (or a `stopAt` URL, not fetched). */
  async visit(url: string, options: { stopAt?: (url: URL) => boolean } = {}): Promise<{ url: URL; status: number; body: string }> {
    let current = new URL(url);
    for (let hop = 0; hop < 20; hop++) {
      if (options.stopAt?.(current)) return { url: current, status: 0, body: '' };
      this.visited.push(current.href);
      const res = await fetch(current, { redirect: 'manual', headers: this.cookieHeader(current) });
      this.keep(current, res);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        current = new URL(location, current);
        continue;
      }
      return { url: current, status: res.status, body: await res.text() };
    }
    throw new Error(`too many redirects from ${url}`);
  }
}
