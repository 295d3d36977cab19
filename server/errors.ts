// Domain errors: what went wrong, as a stable snake_case code clients branch on (never rename
// one), a message in the product's words, and optional details. They know nothing of HTTP:
// server/http/errors.ts maps each code to its status in one table.
const defaultMessages = {
  invalid_request: 'The request is not valid.',
  payload_too_large: 'The request body is too large.',
  unsupported_media_type: 'Send the request body as application/json.',
  invalid_credentials: 'The account, email or password is not correct.',
  unauthenticated: 'Sign in to continue.',
  second_factor_required: 'Complete the second sign-in step first.',
  enrollment_required: 'Set up two-factor authentication first.',
  forbidden: 'Only an administrator can do this.',
  invalid_origin: 'This request did not come from AgentDesk.',
  reauthentication_required: 'Confirm it is you with your second factor, then try again.',
  signup_closed: 'New accounts cannot be created on this server.',
  enrollment_code_required:
    'To set up two-factor authentication on this device, ask your administrator for an enrolment code and enter it here.',
  schedule_in_past: 'Pick a date and time in the future.',
  already_required: 'Two-factor authentication is already required: there is no deployment day to schedule.',
  passwordless_disabled: 'Signing in with a security key alone is not turned on for this account. Sign in with your email and password.',
  method_not_allowed: 'Your administrator accepts security keys only.',
  not_found: 'Not found.',
  invalid_code: 'That code is not correct or has already been used.',
  security_key_rejected: 'The security key response could not be verified.',
  challenge_expired: 'The request expired. Try again.',
  acknowledgement_required: 'Tick "I understand" before saving.',
  too_many_attempts: 'Too many attempts. Try again later.',
  too_many_streams: 'Too many event streams are open for this session or user. Close one first.',
  request_timeout: 'The request took too long to arrive.',
  headers_too_large: 'The request headers are too large.',
  expectation_failed: 'The only expectation this server meets is 100-continue.',
  admin_method_required: 'Set up two-factor authentication for yourself before requiring it.',
  last_method_required:
    'Your administrator requires two-factor authentication, so you cannot remove your last method.',
  method_already_registered: 'This security key is already registered.',
  method_already_confirmed: 'This method is already set up.',
  email_taken: 'A user with this email already exists in this account.',
  slug_taken: 'An account with this short name already exists.',
  password_too_common: 'This password is on a list of common or breached passwords. Choose another.',
  current_password_incorrect: 'Your current password is not correct.',
  invalid_link: 'This link is not valid, has already been used or has expired. Ask for a new one.',
  last_admin_required: 'The account needs at least one active administrator.',
  not_invited: 'This user has already accepted their invitation.',
  user_deactivated: 'This user is deactivated. Reactivate them first.',
  invalid_csv: 'The file is not a CSV with the columns name, email and role.',
  import_rejected: 'Some rows have errors: nothing was imported.',
  identity_provider_unreachable: "The identity provider's OpenID configuration could not be read. Check the issuer, and that this server can reach it.",
  invalid_saml_metadata: "The identity provider's SAML metadata is not usable: it must be an EntityDescriptor with an IDPSSODescriptor, an https single sign-on URL (HTTP-Redirect binding) and a signing certificate.",
  invalid_issuer: 'The issuer must be an https address (http only on a loopback address, for a local provider).',
  invalid_redirect_uri: 'The desktop app must redirect to http://127.0.0.1 on a port of its own.',
  sso_failed: 'Single sign-on did not complete. Start again from the sign-in screen.',
  sso_user_unknown: 'No user of this account has the email your identity provider gave. Ask your administrator to invite you.',
  sso_email_unverified: 'Your identity provider has not verified your email address.',
  sso_user_inactive: 'Your user is deactivated or has not accepted the invitation yet.',
  audit_stream_target_refused: 'This address cannot receive audit events.',
  audit_stream_limit: 'This account already streams its audit log to 5 places. Remove one first.',
  network_not_allowed: 'Your administrator allows sign-in only from the office networks, and this address is not one of them.',
  network_policy_excludes_you: 'Your own address is not in these networks: saving them would sign you out. Add your network first.',
  security_key_model_not_allowed: 'Your administrator accepts only certain security key models, and this key is not one of them.',
  security_key_model_revoked: 'This security key model has a known security problem (the FIDO Alliance lists it as revoked or compromised). Use another key.',
  security_key_attestation_untrusted: 'This security key could not prove which model it is. Your administrator accepts only keys that do.',
  metadata_blob_invalid: 'This FIDO Metadata Service BLOB cannot be used.',
  metadata_blob_expired: 'Your administrator’s list of security key models is out of date. Ask them to upload the current one.',
  trusted_roots_invalid: 'Give at least one valid, current root certificate (PEM).',
  trust_anchors_required: 'A list of models needs something to check keys against: upload the FIDO Metadata Service BLOB or your own root certificates.',
  remember_device_off: 'Remembering this device is not available: your administrator has not turned it on, or you have no second step to skip.',
  device_not_personal: 'Only a device marked personal can be remembered. A shared desk always asks for the second step.',
  device_marked_shared: 'This device was marked shared, and a shared device stays shared.',
  admin_email_not_provisioned: "An administrator's email is changed in AgentDesk, not by provisioning.",
  scim_token_limit: 'This account already has 20 SCIM tokens. Revoke one first.',
  group_name_taken: 'A group with this name already exists in this account.',
  unknown_users: 'Some of these users are not users of this account: nothing was changed.',
  invalid_scope: 'Choose everyone, or at least one existing role or group.',
  invalid_grace: 'The grace is not valid: at most 10 sign-ins, and an end date in the future at most 90 days ahead.',
  grace_exhausted: 'You can no longer postpone: set up two-factor authentication now.',
  not_enrolling: 'Only a session that must set up two-factor authentication can postpone it.',
  sso_only: 'Your administrator has turned on single sign-on only: sign in with your identity provider.',
  sso_only_excludes_you: 'Turning on single sign-on only would lock you out: name yourself a break-glass admin, or sign in once through the identity provider first.',
  break_glass_invalid: 'Break-glass admins must be active administrators of this account.',
  break_glass_required: 'Name at least one break-glass admin: they keep their password and second factor when single sign-on only is on.',
  break_glass_method_required: 'Every break-glass admin needs a second-factor method of their own.',
  break_glass_admin: 'This user is a break-glass admin while single sign-on only is on. Take them off the break-glass admins first.',
  identity_provider_required: 'Single sign-on only needs at least one identity provider.',
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof defaultMessages;

/** A refusal: nothing is changed. */
export class DomainError extends Error {
  /** Why: a session ended (`unauthenticated`), a key may be a copy (`security_key_rejected`: `counter_regression`). */
  reason?: string;
  /** More fields of the error body (e.g. `locked` on too_many_attempts). */
  extra?: Record<string, unknown>;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message ?? defaultMessages[code]);
  }
}
