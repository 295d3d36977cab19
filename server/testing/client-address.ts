// Calls to the API from a chosen loopback address (127.0.0.2 … 127.255.255.254 are distinct
// client addresses on Linux): an office NAT, an attacker elsewhere, a proxy in front.
import http from 'node:http';
import type { Reply } from './harness.js';

export function clientAt(base: string, localAddress: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64, localAddress });
  async function call<T = any>(
    method: string,
    path: string,
    options: { token?: string | undefined; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Reply<T>> {
    const url = new URL(base + path);
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (payload !== undefined) headers['content-type'] = 'application/json';
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method, headers, agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            /* keep text */
          }
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
          resolve({ status: res.statusCode ?? 0, body: body as T, headers: h });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }
  return { call, close: () => agent.destroy() };
}
