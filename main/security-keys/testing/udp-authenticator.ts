// The software authenticator as a process of its own, served over UDP (one 64-byte CTAPHID report
// per datagram, as the Solo/OpenSK/Trezor emulators do), so that any client can drive it: ours,
// python-fido2, libfido2. Its CPU is then its own process's, and a client's process CPU is the
// client's alone.
//
//   tsx main/security-keys/testing/udp-authenticator.ts [--port 8111] [--reply sender|host:port]
//       [--pin 135790] [--pin-protocols 1,2]
//
// Prints one JSON line when it listens ({"host":..,"port":..}), then serves until stdin closes
// (so it ends with the process that started it) or it is sent SIGTERM.
import { parseArgs } from 'node:util';
import { parseEndpoint } from '../transport/udp.js';
import { SoftAuthenticator } from './soft-authenticator.js';
import { serveOverUdp } from './udp-simulator.js';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8111' },
    reply: { type: 'string', default: 'sender' },
    pin: { type: 'string' },
    'pin-protocols': { type: 'string', default: '2,1' },
  },
});
const pinProtocols = values['pin-protocols']!.split(',').map(Number).filter((p): p is 1 | 2 => p === 1 || p === 2);
const authenticator = new SoftAuthenticator({ keepaliveIntervalMs: 1_000, pinProtocols, ...(values.pin && { pin: values.pin }) });
const served = await serveOverUdp(authenticator, { host: values.host!, port: Number(values.port) }, values.reply === 'sender' ? 'sender' : parseEndpoint(values.reply!));
process.stdout.write(`${JSON.stringify(served.address)}\n`);
const stop = () => void served.close().then(() => process.exit(0));
process.stdin.on('end', stop).on('close', stop).resume();
process.on('SIGTERM', stop);
