// Four kinds of failure, kept apart so callers can tell "the key said no" from "the wire broke":
// CtapHidError (transport and framing), CtapProtocolError (a well-framed answer we cannot read),
// CtapError (a status the key returned) and SecurityKeyError (client-level outcomes).

/** CTAP 2.1 §8.2 status codes, with the CTAP1/CTAPHID ones that share the space. */
export const CtapStatus = {
  SUCCESS: 0x00,
  INVALID_COMMAND: 0x01,
  INVALID_PARAMETER: 0x02,
  INVALID_LENGTH: 0x03,
  INVALID_SEQ: 0x04,
  TIMEOUT: 0x05,
  CHANNEL_BUSY: 0x06,
  LOCK_REQUIRED: 0x0a,
  INVALID_CHANNEL: 0x0b,
  CBOR_UNEXPECTED_TYPE: 0x11,
  INVALID_CBOR: 0x12,
  MISSING_PARAMETER: 0x14,
  LIMIT_EXCEEDED: 0x15,
  UNSUPPORTED_EXTENSION: 0x16,
  FP_DATABASE_FULL: 0x17,
  LARGE_BLOB_STORAGE_FULL: 0x18,
  CREDENTIAL_EXCLUDED: 0x19,
  PROCESSING: 0x21,
  INVALID_CREDENTIAL: 0x22,
  USER_ACTION_PENDING: 0x23,
  OPERATION_PENDING: 0x24,
  NO_OPERATIONS: 0x25,
  UNSUPPORTED_ALGORITHM: 0x26,
  OPERATION_DENIED: 0x27,
  KEY_STORE_FULL: 0x28,
  NOT_BUSY: 0x29,
  NO_OPERATION_PENDING: 0x2a,
  UNSUPPORTED_OPTION: 0x2b,
  INVALID_OPTION: 0x2c,
  KEEPALIVE_CANCEL: 0x2d,
  NO_CREDENTIALS: 0x2e,
  USER_ACTION_TIMEOUT: 0x2f,
  NOT_ALLOWED: 0x30,
  PIN_INVALID: 0x31,
  PIN_BLOCKED: 0x32,
  PIN_AUTH_INVALID: 0x33,
  PIN_AUTH_BLOCKED: 0x34,
  PIN_NOT_SET: 0x35,
  PUAT_REQUIRED: 0x36,
  PIN_POLICY_VIOLATION: 0x37,
  PIN_TOKEN_EXPIRED: 0x38,
  REQUEST_TOO_LARGE: 0x39,
  ACTION_TIMEOUT: 0x3a,
  UP_REQUIRED: 0x3b,
  UV_BLOCKED: 0x3c,
  INTEGRITY_FAILURE: 0x3d,
  INVALID_SUBCOMMAND: 0x3e,
  UV_INVALID: 0x3f,
  UNAUTHORIZED_PERMISSION: 0x40,
  OTHER: 0x7f,
} as const;
export type CtapStatusName = keyof typeof CtapStatus;
export type CtapStatusCode = (typeof CtapStatus)[CtapStatusName];

const statusNames = new Map<number, CtapStatusName>(
  Object.entries(CtapStatus).map(([name, code]) => [code, name as CtapStatusName]),
);

/** The enum name of a status byte; `'UNKNOWN'` for spec-reserved, extension and vendor codes. */
export function ctapStatusName(status: number): CtapStatusName | 'UNKNOWN' {
  return statusNames.get(status) ?? 'UNKNOWN';
}

const TOUCH_TIMEOUT = "The security key wasn't touched in time. Try again and touch the key when it blinks.";
const BUSY = 'The security key is busy with another request. Wait a moment and try again.';

/** Plain-language text for an agent; `retries` fills in the PIN-tries count where known. */
export function describeCtapStatus(status: number, retries?: number): string {
  switch (status) {
    case CtapStatus.PIN_INVALID:
      return retries === undefined
        ? 'Wrong PIN for this security key.'
        : `Wrong PIN for this security key. ${retries} ${retries === 1 ? 'try' : 'tries'} left before the PIN is blocked.`;
    case CtapStatus.PIN_BLOCKED:
      return "This security key's PIN is blocked after too many wrong tries. The key must be reset (which erases it) before it can be used again; ask your admin to reset your two-factor methods.";
    case CtapStatus.PIN_AUTH_BLOCKED:
      return 'Too many wrong PINs in a row. Unplug the security key, plug it back in, and try again.';
    case CtapStatus.PIN_NOT_SET:
      return 'This security key has no PIN yet, and this sign-in needs one. Set a PIN on the key first.';
    case CtapStatus.PUAT_REQUIRED:
      return 'This security key needs its PIN for this request.';
    case CtapStatus.PIN_POLICY_VIOLATION:
      return "That PIN doesn't meet the security key's rules (usually at least 4 characters).";
    case CtapStatus.PIN_AUTH_INVALID:
    case CtapStatus.PIN_TOKEN_EXPIRED:
      return 'The security key did not accept the PIN session. Try again.';
    case CtapStatus.UV_BLOCKED:
      return "The security key's fingerprint check is blocked; use its PIN instead.";
    case CtapStatus.UV_INVALID:
      return "The security key didn't recognise the fingerprint. Try again.";
    case CtapStatus.NO_CREDENTIALS:
      return "This security key isn't registered for this account. Try another key or another sign-in method.";
    case CtapStatus.CREDENTIAL_EXCLUDED:
      return 'This security key is already registered for this account.';
    case CtapStatus.USER_ACTION_TIMEOUT:
    case CtapStatus.ACTION_TIMEOUT:
    case CtapStatus.TIMEOUT:
      return TOUCH_TIMEOUT;
    case CtapStatus.KEEPALIVE_CANCEL:
      return 'The security key request was cancelled.';
    case CtapStatus.CHANNEL_BUSY:
    case CtapStatus.USER_ACTION_PENDING:
    case CtapStatus.OPERATION_PENDING:
      return BUSY;
    case CtapStatus.OPERATION_DENIED:
    case CtapStatus.NOT_ALLOWED:
      return 'The request was declined on the security key.';
    case CtapStatus.UNSUPPORTED_ALGORITHM:
      return "This security key doesn't support the signature type this service requires.";
    case CtapStatus.KEY_STORE_FULL:
      return 'This security key has no room for another sign-in. Remove one from it or use another key.';
    case CtapStatus.UP_REQUIRED:
      return 'The security key must be touched for this request.';
    case CtapStatus.UNSUPPORTED_OPTION:
    case CtapStatus.INVALID_OPTION:
    case CtapStatus.UNSUPPORTED_EXTENSION:
      return "This security key doesn't support what this service asked for.";
    default: {
      const hex = `0x${status.toString(16).padStart(2, '0')}`;
      return `The security key reported an error (${ctapStatusName(status)} ${hex}). Try again or use another key.`;
    }
  }
}

/** A non-zero status byte returned by the key (CTAP2), or the CTAP2 equivalent of a U2F status word. */
export class CtapError extends Error {
  override readonly name = 'CtapError';
  readonly code: CtapStatusName | 'UNKNOWN';
  constructor(
    readonly status: number,
    readonly details: { retries?: number; command?: string } = {},
  ) {
    super(describeCtapStatus(status, details.retries));
    this.code = ctapStatusName(status);
  }
  get retries(): number | undefined {
    return this.details.retries;
  }
}

export type CtapHidErrorReason =
  | 'timeout' // no report in time
  | 'no_init_answer' // CTAPHID_INIT unanswered: a wedged key (or nothing listening), not one waiting for a touch
  | 'invalid_report' // not a 64-byte report
  | 'unexpected_continuation' // continuation frame where an initialisation frame was due
  | 'interrupted' // new initialisation frame in the middle of a message
  | 'invalid_sequence' // continuation out of order
  | 'message_too_large' // announced length beyond the maximum message size
  | 'unexpected_command' // answer for another command than the one sent
  | 'nonce_mismatch' // INIT answers never carried our nonce
  | 'invalid_init_response'
  | 'device_error' // CTAPHID_ERROR from the key
  | 'channel_busy' // still busy after the retries
  | 'overflow' // the key sent more reports than we keep
  | 'closed' // device unplugged or transport closed
  | 'transport'; // the OS refused to write or read

/** Transport and CTAPHID framing failures: the conversation with the key broke down. */
export class CtapHidError extends Error {
  override readonly name = 'CtapHidError';
  constructor(
    readonly reason: CtapHidErrorReason,
    message: string,
    readonly hidErrorCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A complete message that is not valid CTAP: bad CBOR, wrong types, bad APDU. */
export class CtapProtocolError extends Error {
  override readonly name = 'CtapProtocolError';
  constructor(
    readonly reason: 'invalid_cbor' | 'unexpected_response' | 'invalid_apdu',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type SecurityKeyErrorCode =
  | 'cancelled'
  | 'timeout'
  | 'invalid_options'
  | 'not_supported' // no present key can do what the server asked (UV, resident key, algorithm)
  | 'pin_not_set'
  | 'pin_required'
  | 'request_too_large' // the request cannot fit the key's maxMsgSize, however its lists are cut
  | 'no_security_key'
  | 'key_not_responding'; // every key present stays silent on CTAPHID_INIT

const clientMessages: Record<SecurityKeyErrorCode, string> = {
  cancelled: 'Security key request cancelled.',
  timeout: TOUCH_TIMEOUT,
  invalid_options: 'The sign-in request from the server is not valid for this security key client.',
  not_supported: "This security key can't do what this service requires (for example a PIN or fingerprint). Try another key.",
  pin_not_set: 'This service requires a security key PIN, and this key has none yet. Set a PIN on the key first.',
  pin_required: 'A PIN is needed to use this security key.',
  request_too_large: "This sign-in request is too large for this security key. Try another key or another sign-in method.",
  no_security_key: 'No security key found. Insert your security key.',
  key_not_responding: 'The security key is not responding. Unplug it and plug it in again.',
};

/** Outcomes decided by the WebAuthn client itself rather than by a key. */
export class SecurityKeyError extends Error {
  override readonly name = 'SecurityKeyError';
  constructor(
    readonly code: SecurityKeyErrorCode,
    message?: string,
    options?: { cause?: unknown },
  ) {
    super(message ?? clientMessages[code], options);
  }
}

/** A CTAP1/U2F status word other than 0x9000 (FIDO U2F raw message formats §3.3). */
export class U2fStatusError extends Error {
  override readonly name = 'U2fStatusError';
  constructor(readonly statusWord: number) {
    super(`The security key refused the U2F request (status 0x${statusWord.toString(16).padStart(4, '0')}).`);
  }
}
