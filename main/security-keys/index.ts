// Security keys over USB HID (and UDP simulators) for the main process: CTAPHID, CTAP2.1,
// CTAP1/U2F and WebAuthn client semantics. Plain Node; nothing here imports electron.
import { combineDiscoveries } from './transport/list-discovery.js';
import { createHidDiscovery } from './transport/hid.js';
import { udpDiscoveryFromEnvironment } from './transport/udp.js';
import type { SecurityKeyDiscovery } from './transport/transport.js';

export { SecurityKeyClient } from './webauthn-client.js';
export type { CeremonyOptions, PinRequest, SecurityKeyClientOptions, SecurityKeyProgress } from './webauthn-client.js';
export { CtapError, CtapHidError, CtapProtocolError, CtapStatus, SecurityKeyError, U2fStatusError, ctapStatusName, describeCtapStatus } from './errors.js';
export type { CtapHidErrorReason, CtapStatusName, SecurityKeyErrorCode } from './errors.js';
export type { SecurityKeyDiscovery, SecurityKeyTransport } from './transport/transport.js';
export { createHidDiscovery, enumerateFidoHidDevices, HidTransport } from './transport/hid.js';
export { UdpTransport, udpDiscoveryFromEnvironment } from './transport/udp.js';
export { createMemoryLink } from './transport/memory.js';
export { combineDiscoveries, listDiscovery } from './transport/list-discovery.js';
export { CtapHidDevice } from './ctaphid.js';
export { Ctap2Session } from './ctap2.js';
export type { AuthenticatorInfo } from './ctap2.js';
export { ClientPin } from './client-pin.js';
export { U2fSession } from './u2f.js';
export { openSecurityKey } from './security-key.js';

/**
 * The app's discovery: the UDP simulator when AGENTDESK_SECURITY_KEY_UDP is set (so the whole
 * app can run against a simulated key), otherwise USB HID keys.
 */
export function defaultDiscovery(env: NodeJS.ProcessEnv = process.env): SecurityKeyDiscovery {
  const udp = udpDiscoveryFromEnvironment(env);
  return udp ?? combineDiscoveries(createHidDiscovery());
}
