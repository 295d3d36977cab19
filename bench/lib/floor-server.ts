// The floor the second step is compared with (issue 18, "Figures"): a bare Fastify route that
// writes one SQLite row, in a process of its own, as the independent comparison measured it.
// Plain better-sqlite3 with its one statement prepared once (no Kysely: the floor is what
// Fastify and SQLite cost, nothing of ours), the same pragmas as the store (WAL,
// synchronous = NORMAL), Fastify's defaults without a logger (bare), a JSON body parsed.
//
//   node --import tsx bench/lib/floor-server.ts <data-dir>    prints {"port": n} once listening
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import Fastify from 'fastify';
import { reserveFreePort } from '../../server/free-port.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: floor-server.ts <data-dir>');
const db = new SQLite(join(dir, 'floor.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('create table if not exists rows (id integer primary key, value text not null, at integer not null)');
const insert = db.prepare('insert into rows (value, at) values (?, ?)');

const app = Fastify();
app.post('/rows', async (request) => {
  const body = request.body as { value?: unknown } | undefined;
  const { lastInsertRowid } = insert.run(String(body?.value ?? ''), Date.now());
  return { id: Number(lastInsertRowid) };
});
const port = await reserveFreePort('127.0.0.1');
await app.listen({ host: '127.0.0.1', port });
process.stdout.write(JSON.stringify({ port }) + '\n');
process.on('SIGTERM', () => {
  void app.close().then(() => {
    db.close();
    process.exit(0);
  });
});
