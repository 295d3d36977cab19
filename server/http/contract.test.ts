// One contract for both clients (contract/operations.ts): the server serves exactly the
// contract's operations with the contract's declared access, and no source file outside the
// contract writes an API path by hand — so a client cannot drift from the server by one path,
// one query builder or one error parser.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { inputSchema, type Operation } from '../../contract/operation.js';
import { bridgeOperationNames, operations } from '../../contract/operations.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { access } from './access.js';

const root = join(import.meta.dirname, '..', '..');

/** Fastify's `/me/methods/:id` as OpenAPI writes it, `/me/methods/{id}`. */
const openApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'testing' ? [] : sourceFiles(path);
    return /\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

describe('one contract for the server and both clients', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('the OpenAPI document has exactly the contract operations, each under its name with its declared access', async () => {
    const doc = (await server.call('GET', '/openapi.json')).body as { paths: Record<string, Record<string, { operationId?: string; 'x-agentdesk-access'?: unknown }>> };
    const served = new Map<string, { operationId?: string; access: unknown }>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) served.set(`${method.toUpperCase()} ${path}`, { operationId: op.operationId, access: op['x-agentdesk-access'] });
    }
    const declared = new Map(Object.entries(operations).map(([name, op]) => [`${op.method} ${openApiPath(op.path)}`, { name, op: op as Operation }]));
    assert.deepEqual([...served.keys()].sort(), [...declared.keys()].sort(), 'every served operation is in the contract, and every contract operation is served');
    for (const [key, { name, op }] of declared) {
      assert.equal(served.get(key)!.operationId, name, `${key} is named ${name}`);
      assert.deepEqual(served.get(key)!.access, { ...access[op.access] }, `${key} declares ${op.access}`);
    }
  });

  test('no source file outside contract/ writes an API path: the server, main, the preload and the renderer take them from the contract', () => {
    const files = ['server', 'main', 'preload', join('renderer', 'src')].flatMap((dir) => sourceFiles(join(root, dir)));
    const written: string[] = [];
    for (const [name, op] of Object.entries(operations)) {
      // The path as a string literal (quotes or backticks), its parameters as `:id` or `${...}`.
      const pattern = op.path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace(/:([A-Za-z]+)/g, '(?::$1|\\$\\{[^}]+\\})');
      const literal = new RegExp(`['\`]${pattern}(?:['\`?]|\\$\\{)`);
      for (const file of files) if (literal.test(readFileSync(file, 'utf8'))) written.push(`${op.method} ${op.path} (${name}) in ${relative(root, file)}`);
    }
    assert.deepEqual(written, []);
  });

  // The one documented exception: /scim/v2 (server/http/routes/scim.ts) is SCIM's own API (RFC 7644),
  // with SCIM's resource and error shapes, called by identity providers and by neither of our
  // clients. It lives outside /api/v1 and the contract, hidden from the OpenAPI document, and each
  // of its routes declares the `scim` access (a SCIM token, never a session).
  test('the only routes outside the contract are SCIM 2.0 under /scim/v2, hidden from OpenAPI and answering in SCIM shape', async () => {
    const doc = (await server.call('GET', '/openapi.json')).body as { paths: Record<string, unknown> };
    assert.deepEqual(Object.keys(doc.paths).filter((p) => p.toLowerCase().includes('scim/v2')), []);
    const res = await fetch(`${server.url}/scim/v2/Users`);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type') ?? '', /^application\/scim\+json/);
    assert.deepEqual(((await res.json()) as { schemas: string[] }).schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
  });

  test('every bridge operation has an input schema main can check, and a body the server requires is required there too', () => {
    for (const name of bridgeOperationNames) {
      const op = operations[name] as Operation;
      const schema = inputSchema(op);
      if (op.params) assert.ok((schema.required ?? []).includes('params'), `${name}: params required`);
      const bodyRequired = op.body !== undefined && ((op.body as { required?: string[] }).required?.length ?? 0) > 0;
      if (bodyRequired) assert.ok((schema.required ?? []).includes('body'), `${name}: body required`);
    }
  });
});
