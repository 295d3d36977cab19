// Every client error the API can answer, with its HTTP status: the one map from the domain's
// error codes (server/errors.ts) to HTTP. Codes are stable: clients branch on them.
import { DomainError, type ErrorCode } from '../errors.js';

export const errorStatus = {
  invalid_request: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_credentials: 401,
  unauthenticated: 401,
  second_factor_required: 403,
  enrollment_required: 403,
  forbidden: 403,
  invalid_origin: 403,
  reauthentication_required: 403,
  signup_closed: 403,
  enrollment_code_required: 403,
  schedule_in_past: 400,
  already_required: 409,
  passwordless_disabled: 403,
  method_not_allowed: 403,
  not_found: 404,
  invalid_code: 400,
  security_key_rejected: 400,
  challenge_expired: 400,
  acknowledgement_required: 400,
  too_many_attempts: 429,
  too_many_streams: 429,
  request_timeout: 408,
  headers_too_large: 431,
  expectation_failed: 417,
  admin_method_required: 409,
  last_method_required: 409,
  method_already_registered: 409,
  method_already_confirmed: 409,
  email_taken: 409,
  slug_taken: 409,
  password_too_common: 400,
  current_password_incorrect: 400,
  invalid_link: 400,
  last_admin_required: 409,
  not_invited: 409,
  user_deactivated: 409,
  invalid_csv: 400,
  import_rejected: 400,
  identity_provider_unreachable: 422,
  invalid_issuer: 400,
  invalid_redirect_uri: 400,
  sso_failed: 400,
  sso_user_unknown: 403,
  sso_email_unverified: 403,
  sso_user_inactive: 403,
  audit_stream_target_refused: 400,
  audit_stream_limit: 409,
  network_not_allowed: 403,
  network_policy_excludes_you: 409,
} as const satisfies Record<ErrorCode, number>;




/** An error only the HTTP layer raises (origin, headers, session cookie); answered like any other. */
export class ApiError extends DomainError {}
