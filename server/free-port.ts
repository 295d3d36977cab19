import { createServer } from 'node:net';

/** A port that was free a moment ago on `host` (no host: on every address, IPv4 and IPv6). */
export function reserveFreePort(host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ port: 0, ...(host ? { host } : {}) }, () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
