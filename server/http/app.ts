// Builds the HTTP server: Fastify with schema validation, one error shape, authentication,
// the API routes under /api/v1, the OpenAPI document and (optionally) the web console.
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import { registerAuthentication, requireDeclaredAccess } from './auth.js';
import { access } from './access.js';
import type { Config } from '../config.js';
import type { ServerContext } from '../context.js';
import { SecretBox } from '../crypto/secret-box.js';
import { ApiError, errorStatus } from './errors.js';
import { DomainError } from '../errors.js';
import { SessionEvents } from '../sessions/events.js';
import { RecoveryCodes } from '../second-factors/recovery-codes.js';
import { accountRoutes } from './routes/account.js';
import { peopleRoutes } from './routes/people.js';
import { Mailer } from '../mail/mailer.js';
import { eventRoutes } from './routes/events.js';
import { rolloutRoutes } from './routes/rollout.js';
import { backgroundJobsPlugin } from '../background-jobs.js';
import { meRoutes } from './routes/me.js';
import { mySessionRoutes } from './routes/my-sessions.js';
import { lockoutRoutes } from './routes/lockouts.js';
import { adminSignOutRoutes } from './routes/admin-sign-out.js';
import { sessionRoutes } from './routes/sessions.js';
import { passkeyRoutes } from './routes/passkeys.js';
import { ssoRoutes } from './routes/sso.js';
import { ProviderConfigs } from '../sso/identity-providers.js';
import { auditStreamRoutes } from './routes/audit-streams.js';
import { adoptionRoutes } from './routes/adoption.js';
import { accountPolicyRoutes } from './routes/account-policies.js';
import { rememberedDeviceRoutes } from './routes/remembered-devices.js';
import { scimTokenRoutes } from './routes/scim-tokens.js';
import { groupRoutes } from './routes/groups.js';
import { Sessions } from '../sessions/sessions.js';
import type { Store } from '../store/database.js';
import { PostgresRelay } from '../store/postgres-relay.js';
import { Throttle } from '../sessions/throttling.js';
import { PasswordPolicy } from '../people/passwords.js';
import { Metrics } from '../metrics/metrics.js';
import { metricsRoute } from './routes/metrics.js';
import { scimRoutes } from './routes/scim.js';

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
  const box = config.secretKey
    ? SecretBox.fromKey(config.secretKey)
    : config.secretKeyFile
      ? SecretBox.fromKeyFile(config.secretKeyFile)
      : SecretBox.fromDataDir(config.dataDir);
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
    passwords: new PasswordPolicy({ pwnedPasswordsUrl: config.pwnedPasswordsUrl }),
    mail: new Mailer({ smtpUrl: config.smtpUrl, from: config.mailFrom }),
    metrics: new Metrics({
      openStreams: () => events.openStreams,
      pool: store.poolState,
      outboxDepth: async () =>
        Number((await store.db.selectFrom('audit_outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
    }),
    recentSecondFactorMs: 10 * 60_000,
    lifecycle: { draining: false },
    oidcProviders: new ProviderConfigs(box),
  };
}

function errorBody(code: string, message: string, extra: Record<string, unknown> = {}) {
  return { error: { code, message, ...extra } };
}

/**
 * Whether any string (or key) in a parsed body, query or parameter object holds a NUL
 * character. PostgreSQL refuses NUL in text, so one would fail deep inside a query (a 500);
 * no field of ours has a use for it. Iterative, so a deeply nested body cannot overflow the stack.
 */
export function containsNul(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (v !== null && typeof v === 'object') {
      for (const [key, child] of Object.entries(v)) {
        if (key.includes('\u0000')) return true;
        pending.push(child);
      }
    }
  }
  return false;
}

/** RFC 9110 host [":" port]: a reg-name, an IPv4 address or a bracketed IPv6 address, port ≤ 65535. */
const HOST_HEADER = /^(?:[A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})+(?::\d{0,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{0,5})?$/;

export function isValidHostHeader(host: string): boolean {
  if (!HOST_HEADER.test(host)) return false;
  const port = /:(\d*)$/.exec(host)?.[1];
  if (port && Number(port) > 65535) return false;
  try {
    new URL(`http://${host}`);
    return true;
  } catch {
    return false;
  }
}

/** Whether a route's body schema accepts `{}`: then a request with no body at all means `{}`. */
function acceptsEmptyObject(schema: unknown): boolean {
  const s = schema as { type?: unknown; required?: unknown[] } | undefined;
  return s?.type === 'object' && (s.required === undefined || s.required.length === 0);
}

function hasNoBody(request: FastifyRequest): boolean {
  const headers = request.headers;
  return request.body === undefined && headers['content-type'] === undefined && headers['transfer-encoding'] === undefined && (headers['content-length'] === undefined || headers['content-length'] === '0');
}

const clientErrorAnswers: Record<string, { status: number; reason: string; code: string; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', code: 'request_timeout', message: 'The request took too long to arrive.' },
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'Request Header Fields Too Large', code: 'headers_too_large', message: 'The request headers are too large.' },
};

/** A request Node's parser refused (malformed, too slow, headers too large): our error shape, then close. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const answer = clientErrorAnswers[error.code ?? ''] ?? { status: 400, reason: 'Bad Request', code: 'invalid_request', message: 'The request is not valid HTTP.' };
  const body = JSON.stringify(errorBody(answer.code, answer.message));
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${answer.status} ${answer.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

/**
 * At most `limit` open connections per client address: beyond it a new connection is closed at
 * once, so one address cannot hold every socket the process has. 0 turns the limit off.
 */
function limitConnectionsPerAddress(app: FastifyInstance, limit: number): void {
  if (!limit) return;
  const open = new Map<string, number>();
  app.server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const n = (open.get(address) ?? 0) + 1;
    if (n > limit) {
      socket.destroy();
      return;
    }
    open.set(address, n);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

/** Trusts the first `hops` addresses from the socket inwards: the proxies we run. */
function trustHops(hops: number) {
  return (_address: string, hop: number) => hop < hops;
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
    // A hop count trusts that many proxies in front (the right-most hops); a client's own
    // left-most X-Forwarded-For hop is never believed.
    trustProxy: typeof ctx.config.trustProxy === 'number' ? trustHops(ctx.config.trustProxy) : ctx.config.trustProxy,
    // A graceful shutdown (start.ts) closes idle kept-alive sockets at once and lets every
    // request in flight finish; a request arriving on a kept-alive socket meanwhile is still
    // served, with `Connection: close` (Fastify's default would answer it 503). The grace
    // timeout in start.ts then closes whatever is left.
    forceCloseConnections: 'idle',
    return503OnClosing: false,
    // Slow clients are cut off: headers, the whole request (a body dripped byte by byte) and an
    // idle kept-alive connection each have a limit. A long-lived answer (the event stream) is
    // not a slow request: Node times the request only until it has fully arrived.
    requestTimeout: ctx.config.requestTimeoutMs,
    keepAliveTimeout: ctx.config.keepAliveTimeoutMs,
    http: {
      // Node refuses a headers timeout longer than the request timeout.
      headersTimeout: Math.min(ctx.config.headersTimeoutMs, ctx.config.requestTimeoutMs),
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(Math.min(ctx.config.headersTimeoutMs, ctx.config.requestTimeoutMs) / 4))),
    },
    clientErrorHandler: answerClientError,
    // Fastify's own early refusals (a URL that does not decode) in our error shape.
    frameworkErrors: (_error, _request, reply) => {
      void (reply as FastifyReply).code(400).send(errorBody('invalid_request', 'The request URL is not valid.'));
    },
    // Unknown fields are an error, not silently dropped; types are never coerced.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof DomainError) {
      if (error.retryAfterSeconds) reply.header('retry-after', String(error.retryAfterSeconds));
      return reply.code(errorStatus[error.code]).send(
        errorBody(error.code, error.message, {
          ...(error.retryAfterSeconds ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
          ...(error.reason ? { reason: error.reason } : {}),
          ...error.extra,
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

  limitConnectionsPerAddress(app, ctx.config.maxConnectionsPerAddress);
  // `Expect: 100-continue` is answered by Node itself; any other expectation is refused in our
  // error shape rather than Node's bare 417.
  app.server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    const body = JSON.stringify(errorBody('expectation_failed', 'The only expectation this server meets is 100-continue.'));
    response.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' }).end(body);
  });

  // A Host header that is not a host name (or address) and port is refused before any route
  // reads it (RFC 9112 §3.2: answer 400).
  app.addHook('onRequest', async (request) => {
    const host = request.headers.host;
    if (host !== undefined && !isValidHostHeader(host)) throw new ApiError('invalid_request', 'The Host header is not valid.');
  });

  // Checks every route shares, before its schema: no NUL in any string, and a POST with no body
  // at all (no content type, no length) to a route whose fields are all optional means `{}`.
  app.addHook('preValidation', async (request) => {
    if (containsNul(request.body) || containsNul(request.query) || containsNul(request.params)) {
      throw new ApiError('invalid_request', 'Text must not contain the NUL character.');
    }
    if (hasNoBody(request) && acceptsEmptyObject(request.routeOptions.schema?.body)) request.body = {};
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody('not_found', `No route ${request.method} ${request.url.split('?')[0]}`));
  });

  // The address is read while the connection is open: after it closed (an event stream ending,
  // thousands at once on a deployment day) each read of it asks the kernel again, and fails.
  const addresses = new WeakMap<object, string>();
  app.addHook('onRequest', async (request) => {
    addresses.set(request, request.ip);
  });
  app.addHook('onResponse', async (request, reply) => {
    ctx.metrics.requestAnswered(request.routeOptions.url, request.method, reply.statusCode, reply.elapsedTime / 1000);
    request.log.info(
      { method: request.method, url: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, ip: addresses.get(request) },
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
  // Draining (a graceful shutdown, start.ts): every answer, the API's and the web console's,
  // closes its socket after it, so the client's next request opens a connection, which the load
  // balancer gives to another instance. Without it a request in flight when the drain began
  // would leave its kept-alive socket open until the keep-alive timeout, holding up the exit.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (ctx.lifecycle.draining) reply.header('connection', 'close');
    return payload;
  });
  registerAuthentication(app, ctx);
  ctx.mail.useLogger(app.log);
  app.addHook('onClose', async () => ctx.mail.close());

  await app.register(backgroundJobsPlugin, ctx);

  await app.register(
    async (api) => {
      // Every operation declares who may call it, or it cannot be registered (http/access.ts).
      requireDeclaredAccess(api);
      // Answers carry tokens, TOTP secrets and recovery codes: never cached, never sniffed.
      api.addHook('onSend', async (_request, reply, payload) => {
        reply.header('cache-control', 'no-store');
        reply.header('x-content-type-options', 'nosniff');
        return payload;
      });
      sessionRoutes(api, ctx);
      passkeyRoutes(api, ctx);
      ssoRoutes(api, ctx);
      meRoutes(api, ctx);
      mySessionRoutes(api, ctx);
      lockoutRoutes(api, ctx);
      adminSignOutRoutes(api, ctx);
      accountRoutes(api, ctx);
      // Its own scope: the CSV body parser of the bulk invitation applies to its routes only.
      await api.register(async (people) => peopleRoutes(people, ctx));
      eventRoutes(api, ctx);
      rolloutRoutes(api, ctx);
      auditStreamRoutes(api, ctx);
      adoptionRoutes(api, ctx);
      accountPolicyRoutes(api, ctx);
      rememberedDeviceRoutes(api, ctx);
      scimTokenRoutes(api, ctx);
      groupRoutes(api, ctx);
      api.get('/openapi.json', { config: { access: access.public }, schema: { hide: true } }, async () => app.swagger());
      // Readiness for a load balancer: 503 from the moment a graceful shutdown begins, so that it
      // sends new requests to the other instances while this one finishes its own.
      api.get('/health', { config: { access: access.public }, schema: { hide: true } }, async (_request, reply) =>
        ctx.lifecycle.draining ? reply.code(503).header('connection', 'close').send({ ok: false, draining: true }) : { ok: true },
      );
    },
    { prefix: API_PREFIX },
  );

  // Outside the API: SCIM 2.0 for identity providers, with its own shapes and its own token.
  await scimRoutes(app, ctx);

  // Outside the API: operators' Prometheus, not clients, and only when a token is configured.
  if (ctx.config.metricsToken) metricsRoute(app, ctx.metrics, ctx.config.metricsToken);

  if (ctx.config.webRoot) {
    const { registerWebConsole } = await import('./web-console.js');
    await registerWebConsole(app, { root: ctx.config.webRoot, publicOrigin: ctx.rp.origins[0] });
  }
  return app;
}
