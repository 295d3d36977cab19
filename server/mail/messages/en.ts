// The mails' English: every word a mail says, as ICU messages (intl-messageformat). The other
// languages have exactly these keys, with the same arguments (catalogues.test.ts). Dates are
// `{x, date, when}`: day, month, year, time and time zone in the recipient's language.
export const en = {
  'mail.greeting': 'Hello {userName},',
  'mail.openAddress': 'Or open this address: {link}',
  'mail.signature': '— AgentDesk',

  'invitation.subject': 'You’re invited to {accountName} on AgentDesk',
  'invitation.body': '{invitedBy} invited you to sign in to {accountName} on AgentDesk. Open the link below to choose your password; then sign in with your email and that password.',
  'invitation.button': 'Choose your password',
  'invitation.expiry': 'The link works once, until {expiresAt, date, when}. If you did not expect this invitation, ignore this message.',

  'passwordReset.subject': 'Reset your AgentDesk password for {accountName}',
  'passwordReset.reason': '{by, select, admin {An administrator of {accountName} sent you a link to choose a new password.} other {Someone (hopefully you) asked to reset your password for {accountName}.}}',
  'passwordReset.button': 'Choose a new password',
  'passwordReset.expiry': 'The link works once, until {expiresAt, date, when}. Choosing a new password signs you out everywhere; you then sign in with it and your second factor as usual. If you did not ask for this, ignore this message: your password stays as it is.',

  'security.subject': 'Security change on your AgentDesk account ({accountName})',
  'security.happened': '{what} ({when, date, when}).',
  'security.notMeIntro': 'If this wasn’t you, end every session of your account and alert your administrators:',
  'security.notMeButton': 'This wasn’t me',
  'security.tellAdmin': 'If this was not you, tell your administrator at once.',

  // To the admins when a user answers “This wasn’t me” (notifications/security-mail.ts).
  'notMe.subject': '{userName} reported activity that was not them ({accountName})',
  'notMe.reported': '{userName} ({userEmail}) answered “This wasn’t me” on {reportedAt, date, when} to this security notice of {happenedAt, date, when}{hasAddress, select, yes {, from {address}} other {}}:',
  'notMe.quote': 'Notice: “{what}”',
  'notMe.advice': 'Every session of {userName} was ended then. Someone else may know their password or hold their second factor: check the audit log, reset their two-factor authentication or password if needed, and resolve the alert in the console:',
  'notMe.button': 'Open the console',

  // A method's default name in this language: a method under it is not named twice.
  'method.defaultName': '{method, select, security_key {Security key} other {Authenticator app}}',
  'activity.method_added': '{method, select, security_key {A security key} other {An authenticator app}}{named, select, yes { “{name}”} other {}} was added as a second factor of your account',
  'activity.method_removed': '{method, select, security_key {The security key} other {The authenticator app}}{named, select, yes { “{name}”} other {}} was removed from your account',
  'activity.recovery_codes_regenerated': 'New recovery codes were generated for your account; the old ones no longer work',
  'activity.two_factor_reset': 'An administrator reset your two-factor authentication: your methods and recovery codes were removed',
  'activity.password_changed': '{byResetLink, select, yes {Your password was changed with a reset link} other {Your password was changed}}',
  'activity.new_device_sign_in': 'Someone signed in to your account from a new device',
  'activity.enrollment_code_redeemed': 'An enrolment code from your administrator was used to set up two-factor authentication on your account',
  'activity.other': 'The security of your account changed',
} as const;

export type MailMessageId = keyof typeof en;
