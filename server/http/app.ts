// Builds the HTTP server: Fastify with schema validation, one error shape, authentication,
// the API routes under /api/v1, the OpenAPI document and (optionally) the web console.
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import { registerAuthentication } from './auth.js';
import type { Config } from '../config.js';
import type { ServerContext } from '../context.js';
import { SecretBox } from '../crypto/secret-box.js';
import { ApiError } from './errors.js';
import { SessionEvents } from '../sessions/events.js';
import { RecoveryCodes } from '../second-factors/recovery-codes.js';
import { accountRoutes } from './routes/account.js';
import { eventRoutes } from './routes/events.js';
import { meRoutes } from './routes/me.js';
import { sessionRoutes } from './routes/sessions.js';
import { Sessions } from '../sessions/sessions.js';
import type { Store } from '../store/database.js';
import { PostgresRelay } from '../store/postgres-relay.js';
import { Throttle } from '../sessions/throttling.js';

export const API_PREFIX = '/api/v1';
const BODY_LIMIT = 64 * 1024;

export function relyingParty(config: Config, port: number) {
  const publicUrl = new URL(config.publicUrl ?? `http://localhost:${port}`);
  return {
    id: config.rpId ?? publicUrl.hostname,
    name: config.rpName,
    origins: config.origins ?? [publicUrl.origin],
  };
}

export function createContext(config: Config, store: Store, port: number): ServerContext {
  const box = config.secretKey ? SecretBox.fromKey(config.secretKey) : SecretBox.fromDataDir(config.dataDir);
  const events = new SessionEvents();
  // Several instances may share a PostgreSQL database: revocations travel between them.
  let relay: PostgresRelay | undefined;
  if (store.dialect === 'postgres' && store.databaseUrl) {
    relay = new PostgresRelay({ databaseUrl: store.databaseUrl, db: store.db, events });
    events.useRelay(relay);
  }
  return {
    config,
    store,
    db: store.db,
    rp: relyingParty(config, port),
    box,
    events,
    relay,
    sessions: new Sessions(
      store.db,
      { idleMs: config.sessionIdleMinutes * 60_000, absoluteMs: config.sessionAbsoluteHours * 3_600_000 },
      events,
    ),
    throttle: new Throttle(store.db),
    recoveryCodes: new RecoveryCodes(box.deriveKey('recovery-codes')),
    recentSecondFactorMs: 10 * 60_000,
  };
}

function errorBody(code: string, message: string, extra: Record<string, unknown> = {}) {
  return { error: { code, message, ...extra } };
}

export async function buildApp(ctx: ServerContext): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: ctx.config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
    },
    // One line per request (the onResponse hook below), instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    trustProxy: ctx.config.trustProxy,
    forceCloseConnections: true,
    // Unknown fields are an error, not silently dropped; types are never coerced.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiError) {
      if (error.retryAfterSeconds) reply.header('retry-after', String(error.retryAfterSeconds));
      return reply.code(error.status).send(
        errorBody(error.code, error.message, {
          ...(error.retryAfterSeconds ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
          ...(error.reason ? { reason: error.reason } : {}),
        }),
      );
    }
    if (error.validation) return reply.code(400).send(errorBody('invalid_request', `Invalid ${error.validationContext ?? 'request'}: ${error.message}`));
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return reply.code(413).send(errorBody('payload_too_large', 'The request body is too large.'));
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return reply.code(415).send(errorBody('unsupported_media_type', 'Send the request body as application/json.'));
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return reply.code(400).send(errorBody('invalid_request', 'The request body is missing or malformed.'));
    }
    if (error instanceof SyntaxError || error.statusCode === 400) {
      return reply.code(400).send(errorBody('invalid_request', 'The request body is not valid JSON.'));
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send(errorBody('invalid_request', error.message));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send(errorBody('internal_error', 'Something went wrong on the server.'));
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody('not_found', `No route ${request.method} ${request.url.split('?')[0]}`));
  });

  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { method: request.method, url: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, ip: request.ip },
      'request',
    );
  });

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'AgentDesk identity service', version: '1.0.0', description: 'Two-factor sign-in for contact-centre agents.' },
      servers: [{ url: API_PREFIX }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'agentdesk_session' },
        },
      },
      security: [{ bearer: [] }, { cookie: [] }],
    },
    transform: ({ schema, url }) => ({ schema, url: url.startsWith(API_PREFIX) ? url.slice(API_PREFIX.length) || '/' : url }),
  });
  registerAuthentication(app, ctx);

  // Listening before the first request is served, so no revocation from another instance is missed.
  if (ctx.relay) {
    const relay = ctx.relay;
    await relay.start(app.log);
    app.addHook('onClose', async () => relay.close());
  }

  await app.register(
    async (api) => {
      // Answers carry tokens, TOTP secrets and recovery codes: never cached, never sniffed.
      api.addHook('onSend', async (_request, reply, payload) => {
        reply.header('cache-control', 'no-store');
        reply.header('x-content-type-options', 'nosniff');
        return payload;
      });
      sessionRoutes(api, ctx);
      meRoutes(api, ctx);
      accountRoutes(api, ctx);
      eventRoutes(api, ctx);
      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
      api.get('/health', { schema: { hide: true } }, async () => ({ ok: true }));
    },
    { prefix: API_PREFIX },
  );

  if (ctx.config.webRoot) {
    const { registerWebConsole } = await import('./web-console.js');
    await registerWebConsole(app, { root: ctx.config.webRoot, publicOrigin: ctx.rp.origins[0] });
  }
  return app;
}
