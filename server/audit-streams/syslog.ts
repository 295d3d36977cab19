// A syslog delivery: each entry an RFC 5424 message, framed by octet counting (RFC 6587 3.4.1:
// "<length> <message>"), over TCP or TLS. Facility 13 (log audit), severity 5 (notice). The
// entry's fields are structured data under agentdesk@32473 (32473 is the documentation
// enterprise number of RFC 5612); the message is the entry as JSON, as the webhook sends it.
import net from 'node:net';
import { hostname } from 'node:os';
import tls from 'node:tls';
import type { AuditEventView } from '../audit/audit.js';
import { checkLiteral, guardedLookup, type TargetPolicy } from './targets.js';

const PRI = 13 * 8 + 5;
export const SD_ID = 'agentdesk@32473';
const HOST = (hostname() || '-').replace(/[^\x21-\x7e]/g, '').slice(0, 255) || '-';

/** PARAM-VALUE escaping (RFC 5424 6.3.3): ", \ and ] take a backslash. */
function sdValue(value: unknown): string {
  return String(value).replace(/[\\"\]]/g, (c) => `\\${c}`);
}

export function syslogMessage(event: AuditEventView & { accountId: string }): string {
  const params: Array<[string, unknown]> = [
    ['id', event.id],
    ['account', event.accountId],
    ['action', event.action],
    ['actorId', event.actor?.id],
    ['actorEmail', event.actor?.email],
    ['subjectId', event.subject?.id],
    ['subjectEmail', event.subject?.email],
    ['address', event.address],
    ['deviceId', event.deviceId],
    ['userAgent', event.userAgent],
    ['details', JSON.stringify(event.details)],
  ];
  const sd = `[${SD_ID}${params
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => ` ${k}="${sdValue(v)}"`)
    .join('')}]`;
  const msgId = event.action.replace(/[^\x21-\x7e]/g, '').slice(0, 32) || '-';
  // The message as UTF-8, marked by a BOM as RFC 5424 6.4 asks.
  return `<${PRI}>1 ${event.at} ${HOST} agentdesk - ${msgId} ${sd} \ufeff${JSON.stringify(event)}`;
}

export function octetCounted(message: string): Buffer {
  const bytes = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${bytes.length} `, 'ascii'), bytes]);
}

/**
 * Writes one batch and closes the connection; resolves once every byte is handed to the
 * network. A collector that accepts and never reads fails the attempt at the deadline.
 */
export async function sendBatch(target: URL, events: Array<AuditEventView & { accountId: string }>, policy: TargetPolicy, timeoutMs: number): Promise<void> {
  checkLiteral(target, policy);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const port = Number(target.port);
  const payload = Buffer.concat(events.map((e) => octetCounted(syslogMessage(e))));
  return new Promise((resolve, reject) => {
    const lookup = guardedLookup(policy);
    const socket =
      target.protocol === 'tls:'
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, lookup } as tls.ConnectionOptions)
        : net.connect({ host, port, lookup });
    const deadline = setTimeout(() => socket.destroy(new Error(`collector did not take the batch within ${timeoutMs / 1000} s`)), timeoutMs);
    socket.on('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    socket.on(target.protocol === 'tls:' ? 'secureConnect' : 'connect', () => {
      socket.end(payload, () => {
        clearTimeout(deadline);
        resolve();
        // Half-closed: the collector closes its side; one that never does is let go of later.
        socket.setTimeout(timeoutMs, () => socket.destroy());
      });
    });
    // What the collector says is not read (syslog has no answers): dropped.
    socket.on('data', () => undefined);
  });
}
