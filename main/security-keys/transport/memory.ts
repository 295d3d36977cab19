import { CtapHidError } from '../errors.js';
import { HID_REPORT_SIZE, type SecurityKeyTransport } from './transport.js';
import { ReportInbox } from './report-inbox.js';

/** The device end of a link: what a (software) authenticator uses to hear and answer. */
export interface DevicePort {
  onReport(handler: (report: Uint8Array) => void): void;
  send(report: Uint8Array): void;
}

let nextMemoryId = 1;

/**
 * Reports written in one turn of the event loop arrive together in the next, in order: as
 * asynchronous as a bus, without one event-loop turn per 64-byte report.
 */
function deliveryQueue(deliver: (report: Uint8Array) => void): (report: Uint8Array) => void {
  let queued: Uint8Array[] = [];
  const flush = () => {
    const batch = queued;
    queued = [];
    for (const report of batch) deliver(report);
  };
  return (report) => {
    if (queued.push(report) === 1) setImmediate(flush);
  };
}

/**
 * An in-process link: the host end is a SecurityKeyTransport, the device end a DevicePort.
 * Delivery is asynchronous both ways, as on a real bus.
 */
export function createMemoryLink(productName = 'Memory security key'): {
  host: SecurityKeyTransport & { unplug(): void };
  device: DevicePort;
} {
  const id = `memory:${nextMemoryId++}`;
  const inbox = new ReportInbox();
  let deviceHandler: ((report: Uint8Array) => void) | undefined;
  let unplugged = false;
  let opened = false;
  const toDevice = deliveryQueue((report) => {
    if (!unplugged) deviceHandler?.(report);
  });
  const toHost = deliveryQueue((report) => {
    if (opened && !unplugged) inbox.push(report);
  });

  const host = {
    id,
    kind: 'memory' as const,
    productName,
    async open() {
      if (unplugged) throw new CtapHidError('closed', 'The security key was removed.');
      opened = true;
    },
    async write(report: Uint8Array) {
      if (unplugged || !opened) throw new CtapHidError('closed', 'The security key was removed.');
      if (report.length !== HID_REPORT_SIZE) throw new CtapHidError('invalid_report', `report must be ${HID_REPORT_SIZE} bytes`);
      toDevice(Uint8Array.from(report));
    },
    read(timeoutMs: number) {
      return inbox.read(timeoutMs);
    },
    async close() {
      opened = false;
      inbox.clear();
    },
    unplug() {
      unplugged = true;
      inbox.fail(new CtapHidError('closed', 'The security key was removed.'));
    },
  };
  const device: DevicePort = {
    onReport(handler) {
      deviceHandler = handler;
    },
    send(report) {
      toHost(Uint8Array.from(report));
    },
  };
  return { host, device };
}
