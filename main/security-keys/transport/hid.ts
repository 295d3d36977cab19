import { CtapHidError } from '../errors.js';
import { HID_REPORT_SIZE, type SecurityKeyDiscovery, type SecurityKeyTransport } from './transport.js';
import { ReportInbox } from './report-inbox.js';

// FIDO HID usage page and CTAPHID usage (CTAP 2.1 §11.2.8.1).
export const FIDO_USAGE_PAGE = 0xf1d0;
export const FIDO_USAGE_CTAPHID = 0x01;

type NodeHid = typeof import('node-hid');
type HidDeviceInfo = import('node-hid').Device;
type HidHandle = import('node-hid').HIDAsync;

let nodeHid: Promise<NodeHid> | undefined;
/** node-hid is a native module: load it lazily so a broken build fails discovery, not import. */
export function loadNodeHid(): Promise<NodeHid> {
  nodeHid ??= import('node-hid').then((m) => ((m as { default?: NodeHid }).default ?? m) as NodeHid);
  return nodeHid;
}

export interface HidDeviceSummary {
  path: string;
  vendorId: number;
  productId: number;
  productName: string;
}

export function isFidoDevice(info: HidDeviceInfo): info is HidDeviceInfo & { path: string } {
  return Boolean(info.path) && info.usagePage === FIDO_USAGE_PAGE && info.usage === FIDO_USAGE_CTAPHID;
}

export class HidTransport implements SecurityKeyTransport {
  readonly kind = 'hid' as const;
  readonly id: string;
  readonly productName: string;
  #device: HidHandle | undefined;
  #inbox = new ReportInbox();

  constructor(readonly summary: HidDeviceSummary) {
    this.id = `hid:${summary.path}`;
    this.productName = summary.productName;
  }

  async open(): Promise<void> {
    if (this.#device) return;
    const hid = await loadNodeHid();
    this.#inbox = new ReportInbox();
    let device: HidHandle;
    try {
      device = await hid.HIDAsync.open(this.summary.path);
    } catch (error) {
      throw new CtapHidError('transport', `Cannot open the security key: ${(error as Error).message}`, undefined, { cause: error });
    }
    device.on('data', (data: Buffer) => this.#inbox.push(new Uint8Array(data)));
    device.on('error', (error: Error) => {
      this.#inbox.fail(new CtapHidError('closed', `The security key was removed (${error.message}).`, undefined, { cause: error }));
      this.#device = undefined;
    });
    this.#device = device;
  }

  async write(report: Uint8Array): Promise<void> {
    const device = this.#device;
    if (!device) throw new CtapHidError('closed', 'The security key is not open.');
    if (report.length !== HID_REPORT_SIZE) throw new CtapHidError('invalid_report', `report must be ${HID_REPORT_SIZE} bytes`);
    // hidapi wants the report ID first; FIDO devices use none, which is written as 0x00.
    const out = Buffer.alloc(HID_REPORT_SIZE + 1);
    out.set(report, 1);
    try {
      await device.write(out);
    } catch (error) {
      throw new CtapHidError('transport', `Cannot write to the security key: ${(error as Error).message}`, undefined, { cause: error });
    }
  }

  read(timeoutMs: number): Promise<Uint8Array> {
    return this.#inbox.read(timeoutMs);
  }

  /** Called by discovery when the device disappears from the enumeration. */
  unplugged(): void {
    this.#inbox.fail(new CtapHidError('closed', 'The security key was removed.'));
  }

  async close(): Promise<void> {
    const device = this.#device;
    this.#device = undefined;
    this.#inbox.fail(new CtapHidError('closed', 'The security key is closed.'));
    if (device) await device.close().catch(() => undefined);
  }
}

/** Lists FIDO HID devices present now (usage page 0xF1D0, usage 0x01). */
export async function enumerateFidoHidDevices(): Promise<HidDeviceSummary[]> {
  const hid = await loadNodeHid();
  const all = await hid.devicesAsync();
  const seen = new Set<string>();
  const found: HidDeviceSummary[] = [];
  for (const info of all) {
    if (!isFidoDevice(info) || seen.has(info.path)) continue;
    seen.add(info.path);
    found.push({
      path: info.path,
      vendorId: info.vendorId,
      productId: info.productId,
      productName: [info.manufacturer, info.product].filter(Boolean).join(' ') || 'Security key',
    });
  }
  return found;
}

/**
 * Discovery by enumeration. Each `list()` re-enumerates, so polling it notices keys plugged in
 * and pulled out; the same transport object is returned for a path while it stays present.
 */
export function createHidDiscovery(): SecurityKeyDiscovery {
  const known = new Map<string, HidTransport>();
  return {
    async list() {
      const present = await enumerateFidoHidDevices();
      const paths = new Set(present.map((d) => d.path));
      for (const [path, transport] of known) {
        if (!paths.has(path)) {
          transport.unplugged();
          known.delete(path);
        }
      }
      for (const summary of present) {
        if (!known.has(summary.path)) known.set(summary.path, new HidTransport(summary));
      }
      return [...known.values()];
    },
  };
}
