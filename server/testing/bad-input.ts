// The checks the bad-input suites share: a request that must be refused with a 4xx and a stable
// code, and change nothing in the store.
import assert from 'node:assert/strict';
import { tableCounts, type TestServer } from './harness.js';

export type RouteUnderTest = { method: string; path: string };
export type BadRequest = { raw?: string; body?: unknown; headers?: Record<string, string> };

/** Sends `init` to `route` (its `{id}` a well-formed unknown id) and checks the refusal. */
export async function expectRejected(server: TestServer, token: string, route: RouteUnderTest, init: BadRequest, status: number[], code: string[]) {
  const before = await tableCounts(server);
  const res = await server.call(route.method, route.path.replace('{id}', 'abcdefghijkl'), { token, ...init });
  assert.ok(status.includes(res.status), `${route.method} ${route.path} ${JSON.stringify(init).slice(0, 80)}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  assert.ok(code.includes(res.body?.error?.code), `${route.method} ${route.path}: code ${res.body?.error?.code}`);
  assert.equal(typeof res.body.error.message, 'string');
  assert.deepEqual(await tableCounts(server), before, `${route.method} ${route.path} changed the store`);
}

/** Malformed ids get 400 or 404 and change nothing; a well-formed unknown one gets 404 not_found. */
export async function expectIdsRejected(server: TestServer, token: string, routes: (RouteUnderTest & { body?: unknown })[]) {
  for (const route of routes) {
    for (const id of ['%00', 'a'.repeat(65), '..%2F..', 'x y', 'abc$']) {
      const before = await tableCounts(server);
      const res = await server.call(route.method, route.path.replace('{id}', id), { token, ...(route.body ? { body: route.body } : {}) });
      assert.ok([400, 404].includes(res.status), `${route.method} ${route.path} ${id}: ${res.status}`);
      assert.ok(['invalid_request', 'not_found'].includes(res.body.error.code));
      assert.deepEqual(await tableCounts(server), before);
    }
    const res = await server.call(route.method, route.path.replace('{id}', 'doesNotExist1'), { token, ...(route.body ? { body: route.body } : {}) });
    assert.equal(res.status, 404, `${route.method} ${route.path}`);
    assert.equal(res.body.error.code, 'not_found');
  }
}
