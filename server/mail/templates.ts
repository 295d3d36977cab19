// The messages the server sends, each as plain text and HTML built from the same typed data.
// Every value is escaped in the HTML part; links are absolute URLs the server built itself.

export interface TemplateData {
  /** An admin invited the user: the link sets their password (people/invitations.ts). */
  invitation: { accountName: string; userName: string; invitedBy: string; link: string; expiresAt: Date };
  /** A one-time link to choose a new password (people/password-resets.ts). */
  password_reset: { accountName: string; userName: string; link: string; expiresAt: Date; sentByAdmin: boolean };
  /** Something changed on the user's account security (method added or removed, 2FA reset, …). */
  security_notification: { accountName: string; userName: string; what: string; when: Date; notMeLink?: string | undefined };
  /** A user answered "This wasn't me": to each active admin of the account (notifications/security-mail.ts). */
  not_me_alert: {
    accountName: string;
    adminName: string;
    userName: string;
    userEmail: string;
    /** What they reported, as admins read it ("a sign-in from a new device"). */
    what: string;
    /** When that activity happened, and from where (an address), if known. */
    happenedAt: Date;
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

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function when(date: Date): string {
  return date.toUTCString().replace('GMT', 'UTC');
}

/** One paragraph per entry; a `link` entry becomes a button in HTML and a bare URL in text. */
type Block = string | { link: string; label: string };

function render(subject: string, blocks: Block[]): RenderedMessage {
  const text = blocks.map((b) => (typeof b === 'string' ? b : `${b.label}:\n${b.link}`)).join('\n\n') + '\n\n— AgentDesk\n';
  const body = blocks
    .map((b) =>
      typeof b === 'string'
        ? `<p style="margin:0 0 16px">${escapeHtml(b)}</p>`
        : `<p style="margin:0 0 16px"><a href="${escapeHtml(b.link)}" style="display:inline-block;padding:10px 18px;background:#1f5fbf;color:#fff;border-radius:6px;text-decoration:none">${escapeHtml(b.label)}</a></p><p style="margin:0 0 16px;font-size:13px;color:#555">Or open this address: ${escapeHtml(b.link)}</p>`,
    )
    .join('\n');
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body style="font-family:system-ui,sans-serif;font-size:15px;line-height:1.5;color:#1b1b1b;max-width:560px;margin:24px auto;padding:0 16px">\n${body}\n<p style="color:#555;font-size:13px">— AgentDesk</p></body></html>`;
  return { subject, text, html };
}

const templates: { [K in TemplateName]: (data: TemplateData[K]) => RenderedMessage } = {
  invitation: (d) =>
    render(`You're invited to ${d.accountName} on AgentDesk`, [
      `Hello ${d.userName},`,
      `${d.invitedBy} invited you to sign in to ${d.accountName} on AgentDesk. Open the link below to choose your password; then sign in with your email and that password.`,
      { link: d.link, label: 'Choose your password' },
      `The link works once, until ${when(d.expiresAt)}. If you did not expect this invitation, ignore this message.`,
    ]),
  password_reset: (d) =>
    render(`Reset your AgentDesk password for ${d.accountName}`, [
      `Hello ${d.userName},`,
      d.sentByAdmin
        ? `An administrator of ${d.accountName} sent you a link to choose a new password.`
        : `Someone (hopefully you) asked to reset your password for ${d.accountName}.`,
      { link: d.link, label: 'Choose a new password' },
      `The link works once, until ${when(d.expiresAt)}. Choosing a new password signs you out everywhere; you then sign in with it and your second factor as usual. If you did not ask for this, ignore this message: your password stays as it is.`,
    ]),
  security_notification: (d) =>
    render(`Security change on your AgentDesk account (${d.accountName})`, [
      `Hello ${d.userName},`,
      `${d.what} (${when(d.when)}).`,
      ...(d.notMeLink
        ? [`If this wasn't you, end every session of your account and alert your administrators:`, { link: d.notMeLink, label: "This wasn't me" } as Block]
        : ['If this was not you, tell your administrator at once.']),
    ]),
  not_me_alert: (d) =>
    render(`${d.userName} reported activity that was not them (${d.accountName})`, [
      `Hello ${d.adminName},`,
      `${d.userName} (${d.userEmail}) answered "This wasn't me" to ${d.what} on ${when(d.happenedAt)}${d.address ? ` from ${d.address}` : ''}. They reported it on ${when(d.reportedAt)}.`,
      `Every session of ${d.userName} was ended then. Someone else may know their password or hold their second factor: check the audit log, reset their two-factor authentication or password if needed, and resolve the alert in the console:`,
      { link: d.consoleLink, label: 'Open the console' },
    ]),
};

export function renderTemplate<K extends TemplateName>(name: K, data: TemplateData[K]): RenderedMessage {
  return templates[name](data);
}
