// Outgoing mail over SMTP (AGENTDESK_SMTP_URL, from AGENTDESK_MAIL_FROM). Without an SMTP URL
// nothing is sent and `configured` is false: callers then hand the link to the admin instead.
// Mail is sent after the change it reports has committed, and a failure to send never fails
// the request: it is logged, and the admin can send the link again.
import nodemailer, { type Transporter } from 'nodemailer';
import type { Language } from './languages.js';
import { renderTemplate, type TemplateData, type TemplateName } from './templates.js';

export interface MailLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** A message to one recipient, in their language (mail/languages.ts mailLanguage). */
export type MailMessage = { [K in TemplateName]: { to: string; language: Language; template: K; data: TemplateData[K] } }[TemplateName];

export interface MailConfig {
  smtpUrl: string | undefined;
  from: string | undefined;
}

export class Mailer {
  readonly configured: boolean;
  private readonly transport: Transporter | undefined;
  private readonly from: string;
  private logger: MailLogger = { info: () => {}, error: (obj, msg) => console.error(msg, obj) };
  private pending = new Set<Promise<void>>();

  constructor(config: MailConfig) {
    this.configured = Boolean(config.smtpUrl);
    this.from = config.from ?? 'AgentDesk <no-reply@agentdesk.invalid>';
    // Pooled: a bulk invitation sends thousands of messages over a few connections.
    this.transport = config.smtpUrl ? nodemailer.createTransport(withPool(config.smtpUrl)) : undefined;
  }

  useLogger(logger: MailLogger): void {
    this.logger = logger;
  }

  /** Sends one message; resolves true when the SMTP server accepted it. Never rejects. */
  async send(message: MailMessage): Promise<boolean> {
    if (!this.transport) return false;
    const rendered = renderTemplate(message.template, message.data as never, { language: message.language });
    const sending = this.transport
      .sendMail({ from: this.from, to: message.to, subject: rendered.subject, text: rendered.text, html: rendered.html })
      .then(
        () => {
          this.logger.info({ template: message.template, language: message.language }, 'mail sent');
          return true;
        },
        (error: unknown) => {
          this.logger.error({ err: error, template: message.template }, 'mail not sent');
          return false;
        },
      );
    const tracked = sending.then(() => {});
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
    return sending;
  }

  /** Queues messages without waiting (after a commit): the request is answered meanwhile. */
  sendLater(messages: MailMessage[]): void {
    if (!this.transport || messages.length === 0) return;
    for (const m of messages) void this.send(m);
  }

  /** Waits for what is being sent (on shutdown), then closes the SMTP connections. */
  async close(): Promise<void> {
    await Promise.all([...this.pending]);
    this.transport?.close();
  }
}

function withPool(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  if (!url.searchParams.has('pool')) url.searchParams.set('pool', 'true');
  return url.toString();
}
