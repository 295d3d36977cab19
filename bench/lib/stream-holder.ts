// Holds open event streams (GET /api/v1/events, one connection each, bearer tokens) for the
// sign-out fan-out benchmark, in a child process of its own, and notes when each one received
// `session.revoked`. Talks to its parent over IPC:
//   parent → {type: 'open', host, port, tokens}      child → {type: 'ready', opened, failed}
//   parent → {type: 'collect', timeoutMs}             child → {type: 'done', arrivals, missing}
import http from 'node:http';

interface OpenMessage { type: 'open'; host: string; port: number; tokens: string[] }
interface CollectMessage { type: 'collect'; timeoutMs: number }

const now = () => performance.timeOrigin + performance.now();
const arrivals: number[] = [];
const requests: http.ClientRequest[] = [];
let expected = 0;
let onAllArrived: (() => void) | undefined;

function open(host: string, port: number, token: string): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (ok: boolean) => {
      if (!settled) {
        settled = true;
        resolve(ok);
      }
    };
    const req = http.get({ host, port, path: '/api/v1/events', agent: false, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        settle(false);
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      let revoked = false;
      res.on('data', (chunk: string) => {
        if (revoked) return;
        buffer += chunk;
        if (buffer.includes('event: ready')) settle(true);
        if (buffer.includes('event: session.revoked')) {
          revoked = true;
          arrivals.push(now());
          if (arrivals.length === expected) onAllArrived?.();
        }
        if (buffer.length > 4096) buffer = buffer.slice(-512);
      });
      res.on('error', () => settle(false));
    });
    req.on('error', () => settle(false));
    requests.push(req);
  });
}

process.on('message', async (message: OpenMessage | CollectMessage) => {
  if (message.type === 'open') {
    let opened = 0;
    let failed = 0;
    let next = 0;
    // A few dozen connections in flight at a time, as clients reconnecting at shift start would.
    const worker = async () => {
      while (next < message.tokens.length) {
        const token = message.tokens[next++]!;
        if (await open(message.host, message.port, token)) opened++;
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: 48 }, worker));
    expected = opened;
    process.send!({ type: 'ready', opened, failed });
  } else if (message.type === 'collect') {
    if (arrivals.length < expected) {
      await new Promise<void>((resolve) => {
        onAllArrived = resolve;
        setTimeout(resolve, message.timeoutMs);
      });
    }
    process.send!({ type: 'done', arrivals, missing: expected - arrivals.length }, () => {
      for (const req of requests) req.destroy();
      process.exit(0);
    });
  }
});
