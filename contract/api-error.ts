// The one error type of both clients: a stable `code` to branch on (the server's error codes of
// docs/api.md, or a ClientErrorCode made on this side), whatever produced it — the HTTP client
// (contract/http-client.ts), main's security-key ceremonies, or the Electron bridge, across which
// it travels as plain data and is rebuilt here (ApiError.from).

export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly code: string,
    message: string,
    readonly status: number | null = null,
    readonly retryAfterSeconds: number | null = null,
    /** A lock-out (429 with `locked: true`): waiting is the only way, or an admin lifts it. */
    readonly locked = false,
    /** Why: a session the server ended (401, the reasons of session.revoked), a key that may be a copy (security_key_rejected: counter_regression). */
    readonly reason: string | null = null,
    /** When a lock-out ends (ISO time), on servers that say so; else count from retryAfterSeconds. */
    readonly lockedUntil: string | null = null,
  ) {
    super(message);
  }

  /** Errors cross the Electron bridge as plain objects; rebuild the class from any shape. */
  static from(error: unknown): ApiError {
    if (error instanceof ApiError) return error;
    if (error && typeof error === 'object') {
      const e = error as { code?: unknown; message?: unknown; status?: unknown; retryAfterSeconds?: unknown; locked?: unknown; reason?: unknown; lockedUntil?: unknown };
      const code = typeof e.code === 'string' ? e.code : 'unexpected_response';
      return new ApiError(
        code,
        typeof e.message === 'string' ? e.message : 'Something went wrong.',
        typeof e.status === 'number' ? e.status : null,
        typeof e.retryAfterSeconds === 'number' ? e.retryAfterSeconds : null,
        e.locked === true,
        typeof e.reason === 'string' ? e.reason : null,
        typeof e.lockedUntil === 'string' ? e.lockedUntil : null,
      );
    }
    return new ApiError('unexpected_response', String(error));
  }
}

export function errorCode(error: unknown): string {
  return ApiError.from(error).code;
}

/** When a refusal for too many attempts ends (ms since epoch), or null when it does not say. */
export function refusedUntil(error: ApiError, now = Date.now()): number | null {
  if (error.code !== 'too_many_attempts') return null;
  const until = error.lockedUntil ? Date.parse(error.lockedUntil) : NaN;
  if (Number.isFinite(until)) return until;
  return error.retryAfterSeconds && error.retryAfterSeconds > 0 ? now + error.retryAfterSeconds * 1000 : null;
}
