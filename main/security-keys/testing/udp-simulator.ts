import { createSocket } from 'node:dgram';
import type { DevicePort } from '../transport/memory.js';
import { DEFAULT_UDP_DEVICE, DEFAULT_UDP_LISTEN, type UdpEndpoint } from '../transport/udp.js';
import type { SoftAuthenticator } from './soft-authenticator.js';

/**
 * Serves a SoftAuthenticator over UDP the way firmware simulators do (Solo, OpenSK, Trezor): one
 * 64-byte CTAPHID report per datagram, without the leading report-id byte. Reports arrive on
 * `listen` (default 127.0.0.1:8111) and answers go to `host` (default 127.0.0.1:7112), or, with
 * 'sender', to wherever the last report came from, so that several clients (ours, python-fido2)
 * can take turns on one key without agreeing on a port.
 * Lets the whole app run against a simulated key with AGENTDESK_SECURITY_KEY_UDP set.
 */
export async function serveOverUdp(
  authenticator: SoftAuthenticator,
  listen: UdpEndpoint = DEFAULT_UDP_DEVICE,
  host: UdpEndpoint | 'sender' = DEFAULT_UDP_LISTEN,
): Promise<{ address: UdpEndpoint; close(): Promise<void> }> {
  const socket = createSocket(listen.host.includes(':') ? 'udp6' : 'udp4');
  let handler: ((report: Uint8Array) => void) | undefined;
  let peer: UdpEndpoint | undefined = host === 'sender' ? undefined : host;
  socket.on('message', (message, remote) => {
    if (message.length !== 64) return;
    if (host === 'sender') peer = { host: remote.address, port: remote.port };
    handler?.(new Uint8Array(message));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(listen.port, listen.host, () => resolve());
  });
  const port: DevicePort = {
    onReport: (h) => (handler = h),
    send: (report) => {
      if (peer) socket.send(report, peer.port, peer.host);
    },
  };
  authenticator.attach(port);
  const bound = socket.address();
  return {
    address: { host: bound.address, port: bound.port },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
