// The one HTTP client of the API, built from the contract: both the desktop's main process
// (main/server-client.ts: a bearer token) and the web console (renderer/src/api/web-api.ts: the
// session cookie) send every request through `request(op, input)`. The path, the query string,
// JSON or CSV bodies and answers, the timeout, and reading the server's error into an ApiError
// are written here once; a client only says how it authenticates and what it does with a new
// token. Plain `fetch`: runs in Node and in the browser.
import { ApiError } from './api-error.js';
import type { AnswerOf, AnyInput, Operation } from './operation.js';
import { pathOf, queryOf } from './operation.js';

export interface HttpClientOptions {
  /** The API's base, e.g. `http://localhost:4800/api/v1` or `/api/v1`. */
  baseUrl: string;
  /** Headers and fetch options of each request: the bearer token, or same-origin credentials. */
  authenticate?(): { headers?: Record<string, string>; credentials?: 'include' | 'same-origin' | 'omit' };
  /** Any HTTP answer at all: the server is reachable. */
  onAnswer?(): void;
  /**
   * A rotating operation answered a new token (the old one has ended): awaited before the answer
   * goes on, so every later request carries the new one. The token never reaches the caller.
   */
  onTokenRotated?(token: string): Promise<void> | void;
  /** Per request; a CSV body or answer gets twice this. */
  timeoutMs?: number;
}

export interface HttpClient {
  request<O extends Operation>(op: O, input?: AnyInput): Promise<AnswerOf<O>>;
  /** The address of an operation (the event stream's, for EventSource). */
  url(op: Operation, input?: AnyInput): string;
}

/** Said when the server cannot be reached at all. */
export const NETWORK_ERROR_MESSAGE = 'The AgentDesk server cannot be reached. Check your connection and try again.';

const DEFAULT_TIMEOUT_MS = 30_000;

/** Reads the server's error (`{ error: { code, message, … } }`), whatever the status. */
export function errorFromAnswer(status: number, payload: unknown, retryAfterHeader: string | null): ApiError {
  const error = (payload as { error?: Record<string, unknown> } | null)?.error ?? {};
  const retryHeader = Number(retryAfterHeader);
  return new ApiError(
    typeof error.code === 'string' ? error.code : 'unexpected_response',
    typeof error.message === 'string' ? error.message : `The server answered ${status}.`,
    status,
    typeof error.retryAfterSeconds === 'number' ? error.retryAfterSeconds : Number.isFinite(retryHeader) && retryHeader > 0 ? retryHeader : null,
    error.locked === true,
    typeof error.reason === 'string' ? error.reason : null,
    typeof error.lockedUntil === 'string' ? error.lockedUntil : null,
  );
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const url = (op: Operation, input: AnyInput = {}) => options.baseUrl + pathOf(op, input.params) + queryOf(input.query);

  async function request<O extends Operation>(op: O, input: AnyInput = {}): Promise<AnswerOf<O>> {
    const auth = options.authenticate?.() ?? {};
    const csvAnswer = op.answer.kind === 'csv' || op.answer.kind === 'xml';
    const headers: Record<string, string> = { accept: csvAnswer ? `${op.answer.kind === 'xml' ? 'application/samlmetadata+xml, application/xml' : 'text/csv'}, application/json` : 'application/json', ...auth.headers };
    // A declared body is always sent (an empty object when every field is optional).
    const body = op.body === undefined ? undefined : op.csvBody ? String(input.body ?? '') : JSON.stringify(input.body ?? {});
    if (body !== undefined) headers['content-type'] = op.csvBody ? 'text/csv' : 'application/json';
    let response: Response;
    try {
      response = await fetch(url(op, input), {
        method: op.method,
        headers,
        ...(body !== undefined && { body }),
        ...(auth.credentials && { credentials: auth.credentials }),
        redirect: 'error',
        signal: AbortSignal.timeout(csvAnswer || op.csvBody ? timeoutMs * 2 : timeoutMs),
      });
    } catch {
      throw new ApiError('network_error', NETWORK_ERROR_MESSAGE);
    }
    options.onAnswer?.();
    if (!response.ok) {
      const payload: unknown = await response.json().catch(() => null);
      throw errorFromAnswer(response.status, payload, response.headers.get('retry-after'));
    }
    if (op.answer.kind === 'none' || response.status === 204) return undefined as AnswerOf<O>;
    if (csvAnswer) return (await response.text()) as AnswerOf<O>;
    const payload: unknown = await response.json().catch(() => null);
    if (payload === null || typeof payload !== 'object') throw new ApiError('unexpected_response', `The server answered ${response.status} without JSON.`, response.status);
    if (op.rotatesToken) {
      const { token, ...answer } = payload as { token?: unknown };
      if (typeof token === 'string' && token) await options.onTokenRotated?.(token);
      return answer as AnswerOf<O>;
    }
    return payload as AnswerOf<O>;
  }

  return { request, url };
}
