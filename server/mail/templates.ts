// The messages the server sends, each as plain text and HTML built from the same typed data, in
// the recipient's language: every word comes from the catalogues (messages/*.ts), formatted as
// ICU MessageFormat by intl-messageformat (FormatJS, the family of the renderer's react-intl).
// Dates and times are formatted by Intl in that language, in the recipient's time zone when
// known, else in UTC, said so. Every value is escaped in the HTML part; links are absolute URLs
// the server built itself.
import { IntlMessageFormat, type Formats } from 'intl-messageformat';
import type { Language } from './languages.js';
import { en, type MailMessageId } from './messages/en.js';
import { es } from './messages/es.js';
import { ptBR } from './messages/pt-BR.js';
import { ptPT } from './messages/pt-PT.js';

export const mailCatalogues: Record<Language, Record<MailMessageId, string>> = { en, 'pt-PT': ptPT, 'pt-BR': ptBR, es };

/** What a security notification reports (notifications/security-activity.ts). */
export interface SecurityActivity {
  kind: string;
  details: Record<string, unknown>;
}

export interface TemplateData {
  /** An admin invited the user: the link sets their password (people/invitations.ts). */
  invitation: { accountName: string; userName: string; invitedBy: string; link: string; expiresAt: Date };
  /** A one-time link to choose a new password (people/password-resets.ts). */
  password_reset: { accountName: string; userName: string; link: string; expiresAt: Date; sentByAdmin: boolean };
  /** Something changed on the user's account security (method added or removed, 2FA reset, …). */
  security_notification: { accountName: string; userName: string; activity: SecurityActivity; when: Date; notMeLink?: string | undefined };
  /** A user answered "This wasn't me": to each active admin of the account (notifications/security-mail.ts). */
  not_me_alert: {
    accountName: string;
    adminName: string;
    userName: string;
    userEmail: string;
    /** The notice they answered: quoted as they were told it. */
    activity: SecurityActivity;
    happenedAt: Date;
    /** Where the activity came from (a client address), if known. */
    address: string | null;
    reportedAt: Date;
    consoleLink: string;
  };
}

export type TemplateName = keyof TemplateData;

export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
}

/** Who reads it: their language, and their time zone when known (an IANA name; else UTC). */
export interface Reader {
  language: Language;
  timeZone?: string | undefined;
}

type Values = Record<string, string | Date>;

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** `{x, date, when}`: the date, the time and the zone's name ("UTC" when the zone is not known). */
function formatsFor(timeZone: string): Partial<Formats> {
  return { date: { when: { year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZone, timeZoneName: 'short' } } };
}

function knownTimeZone(zone: string | undefined): string {
  if (!zone) return 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone;
  } catch {
    return 'UTC';
  }
}

// A message compiled once per language and time zone: a bulk invitation renders thousands.
const compiled = new Map<string, IntlMessageFormat>();

function translator(reader: Reader) {
  const timeZone = knownTimeZone(reader.timeZone);
  const messages = mailCatalogues[reader.language];
  return (id: MailMessageId, values: Values = {}): string => {
    const key = `${reader.language}\u0000${timeZone}\u0000${id}`;
    let format = compiled.get(key);
    if (!format) {
      format = new IntlMessageFormat(messages[id], reader.language, formatsFor(timeZone), { ignoreTag: true });
      compiled.set(key, format);
    }
    return String(format.format(values));
  };
}

type Translate = ReturnType<typeof translator>;

/** One paragraph per entry; a `link` entry becomes a button in HTML and a bare URL in text. */
type Block = string | { link: string; label: string };

function render(t: Translate, language: Language, subject: string, blocks: Block[]): RenderedMessage {
  const signature = t('mail.signature');
  const text = blocks.map((b) => (typeof b === 'string' ? b : `${b.label}:\n${b.link}`)).join('\n\n') + `\n\n${signature}\n`;
  const body = blocks
    .map((b) =>
      typeof b === 'string'
        ? `<p style="margin:0 0 16px">${escapeHtml(b)}</p>`
        : `<p style="margin:0 0 16px"><a href="${escapeHtml(b.link)}" style="display:inline-block;padding:10px 18px;background:#1f5fbf;color:#fff;border-radius:6px;text-decoration:none">${escapeHtml(b.label)}</a></p><p style="margin:0 0 16px;font-size:13px;color:#555">${escapeHtml(t('mail.openAddress', { link: b.link }))}</p>`,
    )
    .join('\n');
  const html = `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body style="font-family:system-ui,sans-serif;font-size:15px;line-height:1.5;color:#1b1b1b;max-width:560px;margin:24px auto;padding:0 16px">\n${body}\n<p style="color:#555;font-size:13px">${escapeHtml(signature)}</p></body></html>`;
  return { subject, text, html };
}

/** Each method's default name in every language, lower case. */
const defaultNames = Object.fromEntries(
  (['totp', 'security_key'] as const).map((method) => [
    method,
    Object.entries(mailCatalogues).map(([language, messages]) => String(new IntlMessageFormat(messages['method.defaultName'], language).format({ method })).toLowerCase()),
  ]),
) as Record<'totp' | 'security_key', string[]>;

/**
 * The sentence for a security change. A method under its default name (in any of our languages:
 * the setup screens store it in the language of the day) is not named twice.
 */
export function describeActivity(t: Translate, activity: SecurityActivity): string {
  const { kind, details } = activity;
  const method = details.type === 'security_key' ? 'security_key' : 'totp';
  const name = typeof details.name === 'string' ? details.name.trim() : '';
  const named = name && !defaultNames[method].includes(name.toLowerCase()) ? 'yes' : 'no';
  switch (kind) {
    case 'method_added':
    case 'method_removed':
      return t(`activity.${kind}`, { method, named, name });
    case 'password_changed':
      return t('activity.password_changed', { byResetLink: details.byResetLink ? 'yes' : 'no' });
    case 'recovery_codes_regenerated':
    case 'two_factor_reset':
    case 'new_device_sign_in':
    case 'enrollment_code_redeemed':
      return t(`activity.${kind}`);
    default:
      return t('activity.other');
  }
}

const templates: { [K in TemplateName]: (t: Translate, data: TemplateData[K]) => { subject: string; blocks: Block[] } } = {
  invitation: (t, d) => ({
    subject: t('invitation.subject', { accountName: d.accountName }),
    blocks: [
      t('mail.greeting', { userName: d.userName }),
      t('invitation.body', { invitedBy: d.invitedBy, accountName: d.accountName }),
      { link: d.link, label: t('invitation.button') },
      t('invitation.expiry', { expiresAt: d.expiresAt }),
    ],
  }),
  password_reset: (t, d) => ({
    subject: t('passwordReset.subject', { accountName: d.accountName }),
    blocks: [
      t('mail.greeting', { userName: d.userName }),
      t('passwordReset.reason', { by: d.sentByAdmin ? 'admin' : 'user', accountName: d.accountName }),
      { link: d.link, label: t('passwordReset.button') },
      t('passwordReset.expiry', { expiresAt: d.expiresAt }),
    ],
  }),
  security_notification: (t, d) => ({
    subject: t('security.subject', { accountName: d.accountName }),
    blocks: [
      t('mail.greeting', { userName: d.userName }),
      t('security.happened', { what: describeActivity(t, d.activity), when: d.when }),
      ...(d.notMeLink ? [t('security.notMeIntro'), { link: d.notMeLink, label: t('security.notMeButton') }] : [t('security.tellAdmin')]),
    ],
  }),
  not_me_alert: (t, d) => ({
    subject: t('notMe.subject', { userName: d.userName, accountName: d.accountName }),
    blocks: [
      t('mail.greeting', { userName: d.adminName }),
      t('notMe.reported', { userName: d.userName, userEmail: d.userEmail, reportedAt: d.reportedAt, happenedAt: d.happenedAt, hasAddress: d.address ? 'yes' : 'no', address: d.address ?? '' }),
      t('notMe.quote', { what: describeActivity(t, d.activity) }),
      t('notMe.advice', { userName: d.userName }),
      { link: d.consoleLink, label: t('notMe.button') },
    ],
  }),
};

export function renderTemplate<K extends TemplateName>(name: K, data: TemplateData[K], reader: Reader): RenderedMessage {
  const t = translator(reader);
  const { subject, blocks } = templates[name](t, data);
  return render(t, reader.language, subject, blocks);
}

/** A translator for tests and for callers that need one sentence (the security sentence). */
export function mailTranslator(reader: Reader): Translate {
  return translator(reader);
}
