import { createSocket, type Socket } from 'node:dgram';
import { CtapHidError } from '../errors.js';
import { HID_REPORT_SIZE, type SecurityKeyDiscovery, type SecurityKeyTransport } from './transport.js';
import { ReportInbox } from './report-inbox.js';

// Firmware simulators (e.g. the SoloKeys/Trussed ones) carry each 64-byte HID report as one UDP
// datagram: the key listens on 8111 and answers to 7112.
export const DEFAULT_UDP_DEVICE = { host: '127.0.0.1', port: 8111 };
export const DEFAULT_UDP_LISTEN = { host: '127.0.0.1', port: 7112 };

export interface UdpEndpoint {
  host: string;
  port: number;
}

export function parseEndpoint(text: string): UdpEndpoint {
  const match = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || !match[1] || !(port >= 0 && port <= 65535)) {
    throw new Error(`Expected host:port, got "${text}"`);
  }
  return { host: match[1], port };
}

/**
 * A simulated key reached over UDP; `listen` is where we receive its answers.
 *
 * The socket is connected to the key: the kernel then drops datagrams from anyone else, and a send
 * needs neither an address lookup nor a route lookup. Reports are sent without a completion
 * callback (a datagram is handed to the kernel at once or not at all); a send that fails later is
 * reported by the socket's 'error' event, which ends the pending read. A key that is not listening
 * (ICMP port unreachable: ECONNREFUSED on a connected socket) is silence, as over USB: the read
 * times out and CTAPHID_INIT is reported unanswered.
 */
export class UdpTransport implements SecurityKeyTransport {
  readonly kind = 'udp' as const;
  readonly id: string;
  readonly productName = 'Simulated security key (UDP)';
  #socket: Socket | undefined;
  #inbox = new ReportInbox();

  constructor(
    readonly device: UdpEndpoint = DEFAULT_UDP_DEVICE,
    readonly listen: UdpEndpoint = DEFAULT_UDP_LISTEN,
  ) {
    this.id = `udp:${device.host}:${device.port}`;
  }

  async open(): Promise<void> {
    if (this.#socket) return;
    const inbox = new ReportInbox();
    this.#inbox = inbox;
    const socket = createSocket(this.listen.host.includes(':') ? 'udp6' : 'udp4');
    socket.on('message', (message, remote) => {
      // Only the simulated key may talk to us, and only in whole reports. Node gives each
      // datagram its own buffer, so it is queued as it is.
      if (remote.port !== this.device.port || message.length !== HID_REPORT_SIZE) return;
      inbox.push(message);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') return;
      inbox.fail(new CtapHidError('transport', error.message, undefined, { cause: error }));
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.listen.port, this.listen.host, () => {
        socket.connect(this.device.port, this.device.host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    }).catch((error: Error) => {
      socket.close();
      throw new CtapHidError('transport', `Cannot listen on ${this.listen.host}:${this.listen.port}: ${error.message}`, undefined, { cause: error });
    });
    this.#socket = socket;
  }

  async write(report: Uint8Array): Promise<void> {
    const socket = this.#socket;
    if (!socket) throw new CtapHidError('closed', 'UDP transport is not open.');
    if (report.length !== HID_REPORT_SIZE) throw new CtapHidError('invalid_report', `report must be ${HID_REPORT_SIZE} bytes`);
    try {
      socket.send(report);
    } catch (error) {
      throw new CtapHidError('transport', (error as Error).message, undefined, { cause: error });
    }
  }

  read(timeoutMs: number): Promise<Uint8Array> {
    return this.#inbox.read(timeoutMs);
  }

  async close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#inbox.fail(closedError);
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}

const closedError = () => new CtapHidError('closed', 'UDP transport closed.');

/**
 * Reads `AGENTDESK_SECURITY_KEY_UDP` (the simulated key, e.g. 127.0.0.1:8111) and
 * `AGENTDESK_SECURITY_KEY_UDP_LISTEN` (where answers arrive, default 127.0.0.1:7112).
 * Returns undefined when no simulator is configured.
 */
export function udpDiscoveryFromEnvironment(env: NodeJS.ProcessEnv = process.env): SecurityKeyDiscovery | undefined {
  const device = env.AGENTDESK_SECURITY_KEY_UDP;
  if (!device) return undefined;
  const listen = env.AGENTDESK_SECURITY_KEY_UDP_LISTEN;
  const transport = new UdpTransport(parseEndpoint(device), listen ? parseEndpoint(listen) : DEFAULT_UDP_LISTEN);
  // A UDP simulator cannot be enumerated; CTAPHID_INIT failing is how we learn it is not running.
  return { list: async () => [transport] };
}
