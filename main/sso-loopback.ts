// Single sign-on from the desktop (RFC 8252, OAuth for native apps): the sign-in happens in the
// system browser (never an embedded window: the page could read what the user types), and comes
// back to a loopback redirect on 127.0.0.1 (§7.3; not "localhost", §8.3) that this module
// listens on for one request. The server gives the browser a one-time code for that redirect; it
// is bound to this app's PKCE challenge, so only the process that holds the verifier can
// exchange it (POST /sessions/sso/exchange). A `state` of our own in the redirect URI refuses a
// request some other local page sends to the port. Plain Node: the Electron glue passes
// `shell.openExternal` as `openBrowser`; the tests pass a scripted browser.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError } from '../contract/api-error.js';
import { operations } from '../contract/operations.js';
import type { SignedIn } from '../contract/answers.js';
import type { ServerClient } from './server-client.js';

/** The path the loopback answers on; anything else is 404 and does not end the wait. */
const CALLBACK_PATH = '/sso/callback';

export interface LoopbackListener {
  /** http://127.0.0.1:<port>/sso/callback?state=… : the redirect the server sends the code to. */
  redirectUri: string;
  /** The PKCE pair: the challenge goes to the server at the start, the verifier at the exchange. */
  codeVerifier: string;
  codeChallenge: string;
  /** The one-time code, once the browser came back (rejects with the server's error code, or on timeout). */
  code: Promise<string>;
  close(): void;
}

const page = (title: string, text: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body style="font-family:system-ui;margin:3em"><h1>${title}</h1><p>${text}</p></body></html>`;

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Listens on 127.0.0.1, a port the system picks, for the one redirect back from the browser. */
export async function listenForSsoRedirect(options: { timeoutMs?: number } = {}): Promise<LoopbackListener> {
  const state = randomBytes(32).toString('base64url');
  const codeVerifier = randomBytes(32).toString('base64url');
  const codeChallenge = createHash('sha256').update(codeVerifier).digest('base64url');
  let settle: { resolve(code: string): void; reject(error: Error): void } | undefined;
  const code = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  // A caller that gave up (closed) does not leave an unhandled rejection behind.
  code.catch(() => undefined);
  let done = false;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== CALLBACK_PATH || done) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
      return;
    }
    const answer = (status: number, title: string, text: string) =>
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', connection: 'close' }).end(page(title, text));
    // Not our state: some other page on this machine, not the server's redirect. Keep waiting.
    if (!same(url.searchParams.get('state') ?? '', state)) {
      answer(400, 'Sign-in not recognised', 'This sign-in was not started by AgentDesk.');
      return;
    }
    done = true;
    const error = url.searchParams.get('error');
    const received = url.searchParams.get('code');
    if (error || !received) {
      answer(400, 'Sign-in did not complete', 'Go back to AgentDesk and try again. You can close this window.');
      settle!.reject(new ApiError(error ?? 'sso_failed', 'Single sign-on did not complete.'));
    } else {
      answer(200, 'Signed in', 'You can close this window and go back to AgentDesk.');
      settle!.resolve(received);
    }
    close();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const timer = setTimeout(() => {
    settle!.reject(new ApiError('sso_timeout', 'Single sign-on was not completed in the browser in time.'));
    close();
  }, options.timeoutMs ?? 5 * 60_000);
  function close() {
    clearTimeout(timer);
    done = true;
    server.close();
    server.closeIdleConnections();
    settle!.reject(new ApiError('sso_cancelled', 'Single sign-on was cancelled.'));
  }
  const port = (server.address() as AddressInfo).port;
  return { redirectUri: `http://127.0.0.1:${port}${CALLBACK_PATH}?state=${state}`, codeVerifier, codeChallenge, code, close };
}

/**
 * The whole desktop sign-in: listen, ask the server for the provider's URL, open it in the
 * system browser, wait for the code, exchange it. Answers as ServerClient.signIn does (the token
 * is main's, never the renderer's).
 */
export async function signInWithSso(
  client: ServerClient,
  input: {
    account: string;
    provider: string;
    deviceToken?: string | null | undefined;
    openBrowser(url: string): Promise<unknown> | void;
    timeoutMs?: number;
    /** The agent gave up waiting ("Cancel"): the loopback closes and the sign-in ends in sso_cancelled. */
    signal?: AbortSignal;
  },
): Promise<SignedIn> {
  const loopback = await listenForSsoRedirect({ ...(input.timeoutMs !== undefined && { timeoutMs: input.timeoutMs }) });
  const cancel = () => loopback.close();
  input.signal?.addEventListener('abort', cancel, { once: true });
  try {
    if (input.signal?.aborted) throw new ApiError('sso_cancelled', 'Single sign-on was cancelled.');
    const { authorizationUrl } = await client.requestWith(null, operations.startSsoSignIn, {
      body: { account: input.account, provider: input.provider, client: 'desktop', redirectUri: loopback.redirectUri, codeChallenge: loopback.codeChallenge },
    });
    // Cancelled while the server answered: no browser opens.
    if (input.signal?.aborted) throw new ApiError('sso_cancelled', 'Single sign-on was cancelled.');
    await input.openBrowser(authorizationUrl);
    const code = await loopback.code;
    return await client.requestWith(null, operations.exchangeSsoCode, {
      body: { code, codeVerifier: loopback.codeVerifier, ...(input.deviceToken && { deviceToken: input.deviceToken }) },
    });
  } finally {
    input.signal?.removeEventListener('abort', cancel);
    loopback.close();
  }
}
