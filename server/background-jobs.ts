// The work an instance does besides answering requests, as one Fastify plugin with a start and
// a stop: the relay of session revocations between instances (listening before the first
// request is served, so none is missed), the deployment-day runner (due schedules applied by
// every instance), the outbox that mails security notifications, and the delivery of audit
// streams (one instance per stream at a time, audit-streams/delivery.ts).
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ServerContext } from './context.js';
import { DeploymentDayRunner, startDeploymentDays } from './enforcement/schedule.js';
import { SecurityMailOutbox } from './notifications/security-mail.js';
import { AuditStreamDelivery } from './audit-streams/delivery.js';

async function backgroundJobs(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  if (ctx.relay) {
    const relay = ctx.relay;
    await relay.start(app.log);
    app.addHook('onClose', async () => relay.close());
  }
  const runner = new DeploymentDayRunner(ctx.db, ctx.events, app.log);
  app.addHook('onReady', async () => startDeploymentDays(ctx, runner));
  app.addHook('onClose', async () => runner.stop());
  // Mails the security notifications its share of requests (or another instance's) wrote.
  const outbox = new SecurityMailOutbox(ctx.db, ctx.mail, ctx.rp.origins[0]!, app.log);
  app.addHook('onReady', async () => outbox.start());
  app.addHook('onClose', async () => outbox.stop());
  const streams = new AuditStreamDelivery(ctx.db, ctx.box, { allowPrivateTargets: ctx.config.auditStreamsAllowPrivateTargets }, app.log, {
    retryMaxMs: ctx.config.auditStreamsRetryMaxMs,
    timeoutMs: ctx.config.auditStreamsTimeoutMs,
    leaseMs: 3 * ctx.config.auditStreamsTimeoutMs,
  });
  app.addHook('onReady', async () => streams.start());
  app.addHook('onClose', async () => streams.stop());
}

/** Started when the app is ready (the relay at registration), stopped when it closes. */
export const backgroundJobsPlugin = fp(backgroundJobs, { name: 'agentdesk-background-jobs' });
