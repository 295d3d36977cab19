// A webhook receiver for the audit-stream tests: a real HTTP server on a loopback port that
// keeps every request it took (raw body and headers, to verify the signature afterwards), can
// answer 500s, hang, or be stopped and started again on the same port, as a SIEM outage would.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ReceivedDelivery {
  deliveryId: string;
  signature: string;
  body: string;
  events: Array<{ id: string; action: string; details: Record<string, unknown>; [k: string]: unknown }>;
  receivedAt: number;
}

export type ReceiverMode = 'ok' | 'error' | 'hang';

export async function startWebhookReceiver() {
  const deliveries: ReceivedDelivery[] = [];
  let mode: ReceiverMode = 'ok';
  let server: Server | undefined;
  let port = 0;
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();

  function read(request: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      request.on('error', reject);
    });
  }

  async function listen(): Promise<void> {
    server = createServer(async (request, response) => {
      const body = await read(request);
      if (mode === 'hang') return;
      if (mode === 'error') {
        response.writeHead(500).end('down for maintenance');
        return;
      }
      deliveries.push({
        deliveryId: String(request.headers['agentdesk-delivery'] ?? ''),
        signature: String(request.headers['agentdesk-signature'] ?? ''),
        body,
        events: (JSON.parse(body) as { events: ReceivedDelivery['events'] }).events,
        receivedAt: Date.now(),
      });
      response.writeHead(204).end();
      for (const w of waiters) w();
    });
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  }
  await listen();

  return {
    deliveries,
    get url() {
      return `http://127.0.0.1:${port}/siem/agentdesk`;
    },
    /** Every event received, in the order received (duplicates included). */
    events() {
      return deliveries.flatMap((d) => d.events);
    },
    setMode(next: ReceiverMode) {
      mode = next;
    },
    /** Down: the port refuses connections until `start()`. */
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
    start: listen,
    /** Waits until `done()` holds, checked at every delivery; fails after `ms`. */
    async until(done: () => boolean, ms = 20_000): Promise<void> {
      if (done()) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`webhook receiver: condition not met within ${ms} ms (${deliveries.length} deliveries, ${deliveries.reduce((n, d) => n + d.events.length, 0)} events)`));
        }, ms);
        function check() {
          if (!done()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        }
        waiters.add(check);
      });
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => (server!.listening ? server!.close(() => resolve()) : resolve()));
    },
  };
}

export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
