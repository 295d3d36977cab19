// A test client for GET /events: opens the stream with a bearer token and records each event.
import http from 'node:http';

/** Opens GET /events with a bearer token on `base`; records each event with when it arrived. */
export function openEvents(base: string, token: string) {
  const events: { event: string; data: any; at: number }[] = [];
  const waiters = new Set<() => void>();
  const req = http.get(`${base}/events`, { headers: { authorization: `Bearer ${token}` } });
  const ready = new Promise<void>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      if (res.statusCode !== 200) reject(new Error(`GET /events: ${res.statusCode}`));
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let i;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (!event) continue;
          events.push({ event, data: data ? JSON.parse(data) : undefined, at: performance.now() });
          if (event === 'ready') resolve();
          for (const wake of waiters) wake();
        }
      });
    });
  });
  return {
    ready,
    events,
    /** Resolves with the first `name` event (data and arrival time), or rejects after timeoutMs. */
    next(name: string, timeoutMs = 1000) {
      return new Promise<{ data: any; at: number }>((resolve, reject) => {
        const check = () => {
          const found = events.find((e) => e.event === name);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${name} event within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => req.destroy(),
  };
}
