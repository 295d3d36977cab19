// HTTP/1.1 written by hand over a TCP socket, for what fetch refuses to send: a bad Host header,
// control characters in headers, no body and no content type, bytes dripped slowly.
import { connect, type Socket } from 'node:net';

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Opens a connection to the test server's port. */
export function openSocket(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function parse(raw: string): RawReply | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = raw.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, body: raw.slice(end + 4) };
}

/**
 * Sends `request` (the exact bytes) and resolves with the answer once the server closes, or
 * once a whole answer with a content-length has arrived, or at the first line of an event
 * stream (which never ends by itself). Rejects after `timeoutMs`.
 */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 10_000): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let data = '';
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const reply = parse(data);
      if (reply) resolve(reply);
      else reject(error ?? new Error(`no HTTP answer (got ${JSON.stringify(data.slice(0, 200))})`));
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const reply = parse(data);
      if (!reply) return;
      const length = reply.headers['content-length'];
      if (reply.headers['content-type']?.startsWith('text/event-stream')) finish();
      else if (length !== undefined && Buffer.byteLength(reply.body, 'latin1') >= Number(length)) finish();
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish());
  });
}

/** One request: method, path, headers (sent exactly as given) and an optional body. */
export function buildRequest(method: string, path: string, headers: [string, string][], body?: string | Buffer): Buffer {
  const head = `${method} ${path} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), typeof body === 'string' ? Buffer.from(body, 'utf8') : body ?? Buffer.alloc(0)]);
}
