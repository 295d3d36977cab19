// Security notifications by email, where mail is configured. A notification row is written in
// the transaction of the change it reports; this outbox, on every instance, sends the rows not
// yet mailed: each is claimed with a conditional update first, so of several instances exactly
// one sends it, and a change never goes unmailed because the request that made it ended early.
// The same goes for a user's "This wasn't me" (`not_me_at`, written with the report): every
// active admin of the account but the reporter is emailed once (`admins_mailed_at`).
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { mailLanguage } from '../mail/languages.js';
import type { Mailer } from '../mail/mailer.js';
import type { Database } from '../store/schema.js';

/** Older notifications are not mailed any more (mail was configured later, or was down a day). */
const MAIL_WITHIN_MS = 24 * 3_600_000;

export class SecurityMailOutbox {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly mail: Mailer,
    private readonly publicOrigin: string,
    private readonly log: FastifyBaseLogger,
    private readonly pollMs = 1_000,
  ) {}

  start(): void {
    if (!this.mail.configured) return;
    this.timer = setInterval(() => void this.flush(), this.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  flush(): Promise<void> {
    if (!this.mail.configured) return Promise.resolve();
    this.running ??= this.send()
      .catch((error: unknown) => this.log.warn({ err: error }, 'security mail: outbox failed'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async send(): Promise<void> {
    await this.sendToUsers();
    await this.sendNotMeAlerts();
  }

  private async sendToUsers(): Promise<void> {
    const now = Date.now();
    const rows = await this.db
      .selectFrom('security_notifications as n')
      .innerJoin('users as u', 'u.id', 'n.user_id')
      .innerJoin('accounts as a', 'a.id', 'n.account_id')
      .select(['n.id', 'n.kind', 'n.details', 'n.created_at', 'n.language', 'u.email', 'u.name as user_name', 'u.language as user_language', 'a.name as account_name'])
      .where('n.mailed_at', 'is', null)
      .where('n.created_at', '>', now - MAIL_WITHIN_MS)
      .orderBy('n.id')
      .limit(200)
      .execute();
    for (const r of rows) {
      const claimed = await this.db.updateTable('security_notifications').set({ mailed_at: Date.now() }).where('id', '=', r.id).where('mailed_at', 'is', null).executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) continue;
      void this.mail.send({
        to: r.email,
        // The user's language; else the one of the request that made the change.
        language: mailLanguage(r.user_language, r.language),
        template: 'security_notification',
        data: {
          accountName: r.account_name,
          userName: r.user_name,
          activity: { kind: r.kind, details: JSON.parse(r.details) as Record<string, unknown> },
          when: new Date(Number(r.created_at)),
          notMeLink: `${this.publicOrigin}/#/security?activity=${r.id}`,
        },
      });
    }
  }

  /** Each "This wasn't me" not yet mailed: claimed once, then one message to each active admin. */
  private async sendNotMeAlerts(): Promise<void> {
    const now = Date.now();
    const reports = await this.db
      .selectFrom('security_notifications as n')
      .innerJoin('users as u', 'u.id', 'n.user_id')
      .innerJoin('accounts as a', 'a.id', 'n.account_id')
      .select(['n.id', 'n.account_id', 'n.user_id', 'n.kind', 'n.details', 'n.address', 'n.created_at', 'n.not_me_at', 'u.email', 'u.name as user_name', 'a.name as account_name'])
      .where('n.admins_mailed_at', 'is', null)
      .where('n.not_me_at', '>', now - MAIL_WITHIN_MS)
      .orderBy('n.not_me_at')
      .limit(200)
      .execute();
    for (const r of reports) {
      const claimed = await this.db.updateTable('security_notifications').set({ admins_mailed_at: Date.now() }).where('id', '=', r.id).where('admins_mailed_at', 'is', null).executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) continue;
      // Admins as they are when it is sent: active, with an address, not the reporter (who knows).
      const admins = await this.db
        .selectFrom('users')
        .select(['email', 'name', 'language'])
        .where('account_id', '=', r.account_id)
        .where('role', '=', 'admin')
        .where('status', '=', 'active')
        .where('id', '!=', r.user_id)
        .where('email', '!=', '')
        .execute();
      const activity = { kind: r.kind, details: JSON.parse(r.details) as Record<string, unknown> };
      this.mail.sendLater(
        admins.map((admin) => ({
          to: admin.email,
          // Each admin's own language (the reporter's request says nothing of theirs).
          language: mailLanguage(admin.language),
          template: 'not_me_alert' as const,
          data: {
            accountName: r.account_name,
            adminName: admin.name,
            userName: r.user_name,
            userEmail: r.email,
            activity,
            happenedAt: new Date(Number(r.created_at)),
            address: r.address,
            reportedAt: new Date(Number(r.not_me_at)),
            consoleLink: `${this.publicOrigin}/#/admin/security`,
          },
        })),
      );
    }
  }
}
