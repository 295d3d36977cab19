import { createSocket } from 'node:dgram';
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

/** A UDP port on 127.0.0.1 that was free a moment ago (for the security-key simulator link). */
export async function reserveFreeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}
