// The lowest layer: a device that takes and gives 64-byte HID reports. CTAPHID sits on top and
// never learns whether the reports travel over USB, UDP or memory.

export const HID_REPORT_SIZE = 64;

export interface SecurityKeyTransport {
  /** Stable for as long as the device stays plugged in (HID path, host:port, ...). */
  readonly id: string;
  readonly kind: 'hid' | 'udp' | 'memory';
  /** Product name for the UI, where the device tells us. */
  readonly productName: string;
  open(): Promise<void>;
  /** Sends one report of exactly HID_REPORT_SIZE bytes (no report-ID prefix). */
  write(report: Uint8Array): Promise<void>;
  /**
   * The next report from the device, or a CtapHidError('timeout') after `timeoutMs`, or
   * CtapHidError('closed') once the device is gone. Reports that arrive while nobody reads are
   * queued, up to a bound.
   */
  read(timeoutMs: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Finds the security keys present right now; called repeatedly to notice plug and unplug. */
export interface SecurityKeyDiscovery {
  list(): Promise<SecurityKeyTransport[]>;
}
