// Property-based fuzzing of every route the server publishes: random bodies (shaped by the
// route's schema, and not), query strings, path parameters and headers, sent as raw HTTP, with
// and without a valid session. The property: never a 5xx, and every refusal is our error shape
// with a stable snake_case code. The route list is read from the server's own OpenAPI document,
// so a new route is fuzzed without touching this file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { PASSWORD, startTestServer, type TestServer } from '../testing/harness.js';
import { buildRequest, rawRequest } from '../testing/raw-http.js';

/** Cases per route and per way of signing in (none, a valid bearer token, a valid cookie). */
const RUNS = Number(process.env.AGENTDESK_FUZZ_RUNS ?? 10);
const SEED = process.env.AGENTDESK_FUZZ_SEED ? Number(process.env.AGENTDESK_FUZZ_SEED) : undefined;

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  maxLength?: number;
}

interface Route {
  method: string;
  path: string;
  pathParams: string[];
  queryParams: string[];
  body: JsonSchema | undefined;
  /** Outside the API (the web console). */
  outsideApi?: boolean;
}

type Auth = 'none' | 'bearer' | 'cookie';

interface Case {
  params: string[];
  query: [string, string][] | string;
  body: { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'raw'; text: string };
  headers: [string, string][];
  contentType: string | undefined;
  host: string | undefined;
  origin: 'ours' | 'none' | string;
  forwardedFor: string;
}

const NUL = '\u0000';

/** Strings that have broken servers: control characters, NUL, lone surrogates, huge, SQL, paths. */
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(NUL, `a${NUL}b`, '\ud800', '\udfff', '%00', "'; drop table users; --", '../../etc/passwd', '${7*7}', '{{7*7}}', '<script>', 'ʼ', '\u202e', '0', '-1', '1e309', 'null', 'true', '__proto__', 'constructor', ' ', ''),
  fc.string({ minLength: 200, maxLength: 3000 }),
);

const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(2 ** 53 + 1, -0, 1e308, Number.MAX_SAFE_INTEGER),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(nastyString, fc.integer()), { maxLength: 4 }),
  fc.dictionary(nastyString, fc.oneof(nastyString, fc.integer(), fc.constant(null)), { maxKeys: 3 }),
);

/** `arbitrary` `weight` times in `weight + otherwise`, else undefined. */
function sometimes<T>(arbitrary: fc.Arbitrary<T>, weight: number, otherwise: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: otherwise, arbitrary: fc.constant(undefined) }, { weight, arbitrary });
}

/** A value for one field: often what the schema allows (so handlers run), often not. */
function valueFor(schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return anyJson;
  const options: fc.Arbitrary<unknown>[] = [anyJson];
  if (schema.const !== undefined) options.push(fc.constant(schema.const), fc.constant(schema.const), fc.constant(schema.const));
  if (schema.enum) options.push(fc.constantFrom(...schema.enum), fc.constantFrom(...schema.enum));
  for (const alternative of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) options.push(valueFor(alternative, depth + 1));
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  for (const type of types) {
    if (type === 'string') {
      options.push(fc.string({ maxLength: Math.min(schema.maxLength ?? 30, 30) }), fc.constantFrom('admin@fuzz.test', 'agent', 'totp', '000000', 'abcdefghijkl', '2030-01-01T00:00:00.000Z', 'AAAA'));
      if (schema.pattern) options.push(fc.stringMatching(new RegExp(schema.pattern)));
      options.push(fc.string({ maxLength: 20 }).map((s) => `${s}${NUL}`));
    }
    if (type === 'integer' || type === 'number') options.push(fc.integer({ min: -10, max: 10_000 }));
    if (type === 'boolean') options.push(fc.boolean(), fc.boolean());
    if (type === 'array') options.push(fc.array(valueFor(schema.items, depth + 1), { maxLength: 3 }));
    if (type === 'object') options.push(objectFor(schema, depth + 1));
  }
  return fc.oneof(...options);
}

/** An object with the schema's fields (each present or not), sometimes an unknown one too. */
function objectFor(schema: JsonSchema, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.entries(schema.properties ?? {});
  const required = new Set(schema.required ?? []);
  const record = fc.record(
    Object.fromEntries(fields.map(([name, field]) => [name, fc.option(valueFor(field, depth), { freq: required.has(name) ? 8 : 2, nil: undefined })])),
  );
  return fc.tuple(record, sometimes(fc.tuple(nastyString, anyJson), 1, 4)).map(([value, extra]) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
    if (extra) out[extra[0]] = extra[1];
    return out;
  });
}

function bodyFor(route: Route): fc.Arbitrary<Case['body']> {
  const shaped = route.body ? valueFor(route.body) : anyJson;
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
    { weight: 6, arbitrary: shaped.map((value) => ({ kind: 'json' as const, value })) },
    { weight: 2, arbitrary: anyJson.map((value) => ({ kind: 'json' as const, value })) },
    {
      weight: 2,
      arbitrary: fc
        .oneof(fc.string({ maxLength: 200 }), fc.constantFrom('{', '{"a":', '[]', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', 'null', '"x"', `{"a":"${'\\u0000'}"}`, '\ufeff{}', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]', 'name,email,role\nA,a@b.c,agent\n'))
        .map((text) => ({ kind: 'raw' as const, text })),
    },
  );
}

/** A header value: printable mostly, sometimes control or high bytes (Node's parser refuses those). */
const headerValue = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 60 }).map((s) => s.replace(/[\r\n]/g, ' ')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, '')) },
  { weight: 1, arbitrary: fc.string({ minLength: 2000, maxLength: 9000 }).map((s) => s.replace(/[\r\n]/g, ' ')) },
);

const headerName = fc.oneof(
  fc.constantFrom('accept', 'accept-encoding', 'content-encoding', 'user-agent', 'x-request-id', 'if-none-match', 'range', 'expect', 'origin', 'referer', 'cookie', 'x-forwarded-host', 'x-forwarded-proto', 'authorization'),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/),
);

function caseFor(route: Route): fc.Arbitrary<Case> {
  const segment = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('abcdefghijkl', 'doesNotExist1', 'x'.repeat(64)) },
    { weight: 3, arbitrary: nastyString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x')) || 'x') },
    { weight: 1, arbitrary: fc.constantFrom('%zz', '%', '%E0%A4%A', '..', '.', '%2e%2e', 'a%2Fb', '%00', 'a b'.replace(' ', '%20')) },
  );
  const queryValue = fc.oneof(fc.constantFrom('1', '0', '-1', '200', 'true', 'none', 'totp', 'admin', 'active', 'name', '2026-01-01T00:00:00Z'), nastyString.map((s) => s.replace(/[\ud800-\udfff]/g, 'x')));
  const query = fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...(route.queryParams.length ? route.queryParams : ['q'])), nastyString.map((s) => s.replace(/[\ud800-\udfff]/g, 'x'))), queryValue), { maxLength: 4 }).map((q): Case['query'] => q) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz=1', 'a=%00', 'limit=1&limit=2', '=', '&&&', 'q[x]=1', '__proto__[a]=1').map((q): Case['query'] => q) },
  );
  return fc.record({
    params: fc.array(segment, { minLength: route.pathParams.length, maxLength: route.pathParams.length }),
    query,
    body: bodyFor(route),
    headers: fc.oneof({ weight: 2, arbitrary: fc.constant<[string, string][]>([]) }, { weight: 1, arbitrary: fc.array(fc.tuple(headerName, headerValue), { minLength: 1, maxLength: 3 }) }),
    contentType: sometimes(fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'text/plain', 'text/csv', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json, text/plain', ';', 'application/json;;', 'APPLICATION/JSON'), 1, 3),
    host: sometimes(fc.oneof(fc.constantFrom('localhost', '127.0.0.1:99999', '[', 'a b', '%', '', 'example.com:0', '[::1]:1'), headerValue), 1, 8),
    origin: fc.oneof({ weight: 6, arbitrary: fc.constant('ours') }, { weight: 2, arbitrary: fc.constant('none') }, { weight: 1, arbitrary: fc.constantFrom('null', 'http://evil.test') }, { weight: 1, arbitrary: headerValue }),
    forwardedFor: fc.oneof(
      fc.ipV4().map((ip) => ip),
      fc.ipV6(),
      fc.constantFrom('', 'unknown', '1.2.3.4, 5.6.7.8', '::ffff:1.2.3.4', 'a'.repeat(300)),
    ),
  });
}

function routesFrom(doc: { paths: Record<string, Record<string, { parameters?: { in: string; name: string }[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>> }): Route[] {
  const routes: Route[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      routes.push({
        method: method.toUpperCase(),
        path,
        pathParams: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return routes;
}

describe('fuzzing every route', () => {
  let server: TestServer;
  let routes: Route[];
  let origin: string;
  let token: string | undefined;
  let minted = 0;
  /** A case answered 401 with the token: look whether it still works before the next case. */
  let suspect = false;
  const webRoot = mkdtempSync(join(tmpdir(), 'agentdesk-webroot-'));
  const figures: { route: string; cases: number; fiveHundreds: number; ms: number }[] = [];

  before(async () => {
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>AgentDesk</title>');
    // Behind a (pretend) proxy, so each case comes from an address of its own and the
    // per-address throttles do not turn the whole run into 429s.
    server = await startTestServer({ openSignup: true, trustProxy: ['127.0.0.1'], webRoot, requestTimeoutMs: 5_000, headersTimeoutMs: 5_000 });
    origin = new URL(server.url).origin.replace('127.0.0.1', 'localhost');
    const doc = (await (await fetch(`${server.base}/openapi.json`)).json()) as Parameters<typeof routesFrom>[0];
    routes = routesFrom(doc);
    // The web console's catch-all is not in the API's document.
    routes.push({ method: 'GET', path: '/{path}', pathParams: ['path'], queryParams: [], body: undefined, outsideApi: true });
  });
  after(async () => {
    await server.close();
    rmSync(webRoot, { recursive: true, force: true });
  });

  /**
   * A valid token of an admin in an account of its own (no second factor, so signed in with
   * the password alone): a fuzzed case may sign it out, lock it out or change its account, so
   * a new one is made whenever the last one stops working.
   */
  async function validToken(): Promise<string> {
    if (token && !suspect) return token;
    suspect = false;
    if (token && (await server.call('GET', '/sessions/current', { token, headers: { 'x-forwarded-for': '10.255.0.1' } })).status === 200) return token;
    minted += 1;
    const slug = `fuzz${minted}`;
    const email = `admin@${slug}.test`;
    const created = await server.call('POST', '/accounts', { body: { name: slug, slug, admin: { name: 'Fuzz Admin', email, password: PASSWORD } }, headers: { 'x-forwarded-for': '10.255.0.1' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const signedIn = await server.call('POST', '/sessions', { body: { account: slug, email, password: PASSWORD }, headers: { 'x-forwarded-for': '10.255.0.1' } });
    assert.equal(signedIn.status, 201, JSON.stringify(signedIn.body));
    token = signedIn.body.token as string;
    return token;
  }

  function requestFor(route: Route, c: Case, auth: Auth, sessionToken: string | undefined): Buffer {
    let path = route.path;
    route.pathParams.forEach((name, i) => (path = path.replace(`{${name}}`, c.params[i]!)));
    const query = typeof c.query === 'string' ? c.query : c.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
    const url = `${route.outsideApi ? '' : '/api/v1'}${path}${query ? `?${query}` : ''}`;
    const headers: [string, string][] = [];
    if (c.host !== undefined) headers.push(['Host', c.host]);
    else headers.push(['Host', new URL(origin).host]);
    headers.push(['X-Forwarded-For', c.forwardedFor]);
    if (auth === 'bearer') headers.push(['Authorization', `Bearer ${sessionToken}`]);
    if (auth === 'cookie') headers.push(['Cookie', `agentdesk_session=${sessionToken}`]);
    if (c.origin === 'ours') headers.push(['Origin', origin]);
    else if (c.origin !== 'none') headers.push(['Origin', c.origin]);
    headers.push(...c.headers);
    let body: Buffer | undefined;
    if (c.body.kind === 'json') body = Buffer.from(JSON.stringify(c.body.value) ?? 'null', 'utf8');
    if (c.body.kind === 'raw') body = Buffer.from(c.body.text, 'utf8');
    if (body !== undefined) {
      headers.push(['Content-Type', c.contentType ?? 'application/json']);
      headers.push(['Content-Length', String(body.length)]);
    } else if (c.contentType !== undefined) headers.push(['Content-Type', c.contentType]);
    headers.push(['Connection', 'close']);
    return buildRequest(route.method, url, headers, body);
  }

  test('no route answers 5xx, and every refusal carries a snake_case error code', { timeout: 300_000 }, async (t) => {
    assert.ok(routes.length >= 20, `only ${routes.length} routes found in the OpenAPI document`);
    let total = 0;
    let fiveHundreds = 0;
    const statuses = new Map<string, number>();
    const started = performance.now();
    for (const route of routes) {
      let cases = 0;
      let routeFiveHundreds = 0;
      const routeStarted = performance.now();
      for (const auth of ['none', 'bearer', 'cookie'] as const) {
        await fc.assert(
          fc.asyncProperty(caseFor(route), async (c) => {
            const sessionToken = auth === 'none' ? undefined : await validToken();
            const request = requestFor(route, c, auth, sessionToken);
            const reply = await rawRequest(server.port, request);
            cases += 1;
            const bucket = process.env.AGENTDESK_FUZZ_DEBUG ? `${reply.status} ${reply.body.slice(0, 70)}` : `${auth} ${reply.status}`;
            statuses.set(bucket, (statuses.get(bucket) ?? 0) + 1);
            if (auth !== 'none' && (reply.status === 401 || reply.status === 429)) suspect = true;
            if (reply.status >= 500) routeFiveHundreds += 1;
            const where = `${route.method} ${route.path} (${auth}): ${request.toString('latin1').slice(0, 600)}\n→ ${reply.status} ${reply.body.slice(0, 300)}`;
            assert.ok(reply.status >= 200 && reply.status < 500, where);
            if (reply.status >= 400 && reply.headers['content-type']?.startsWith('application/json')) {
              const code = (JSON.parse(reply.body) as { error?: { code?: unknown } }).error?.code;
              assert.match(String(code), /^[a-z][a-z_]*$/, where);
            } else if (reply.status >= 400) {
              assert.fail(`a ${reply.status} without our JSON error shape: ${where}`);
            }
          }),
          { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: true },
        );
      }
      total += cases;
      fiveHundreds += routeFiveHundreds;
      figures.push({ route: `${route.method} ${route.path}`, cases, fiveHundreds: routeFiveHundreds, ms: performance.now() - routeStarted });
    }
    const seconds = (performance.now() - started) / 1000;
    t.diagnostic(`${server.context.store.dialect}: ${routes.length} routes × ${RUNS * 3} cases (${RUNS} each unauthenticated, bearer, cookie) = ${total} requests, ${fiveHundreds} answered 5xx, ${minted} tokens made, ${seconds.toFixed(1)} s`);
    if (process.env.AGENTDESK_FUZZ_DEBUG) writeFileSync(process.env.AGENTDESK_FUZZ_DEBUG, [...statuses].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n}\t${k}`).join('\n'));
    t.diagnostic(`answers: ${[...statuses].sort().map(([k, n]) => `${k}: ${n}`).join(', ')}`);
    const slowest = [...figures].sort((a, b) => b.ms - a.ms).slice(0, 5);
    t.diagnostic(`slowest: ${slowest.map((f) => `${f.route} ${Math.round(f.ms)} ms`).join(', ')}`);
    assert.equal(fiveHundreds, 0);
  });
});
