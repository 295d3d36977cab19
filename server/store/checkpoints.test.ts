// SQLite checkpoints run on a worker thread (store/checkpoints.ts), not in the commit that takes
// the write-ahead log past its limit: the log is copied into the database file while the writer
// keeps writing, well before the writer's own backstop, and closing the store stops the worker.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import SQLite from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openStore } from './database.js';

const dir = mkdtempSync(join(tmpdir(), 'agentdesk-checkpoints-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite checkpoints', () => {
  test('the log is checkpointed off the writer, far below its backstop, and close stops the checkpointer', async () => {
    const store = await openStore({ dataDir: dir });
    const file = join(dir, 'agentdesk.sqlite');
    // ~300 pages of rows (one each) through the WAL after ~460 of migrations: below the writer's checkpoint (SQLite's default 1,000 pages, and our backstop).
    await sql`create table filler (id integer primary key, body blob)`.execute(store.db);
    for (let i = 0; i < 300; i++) await sql`insert into filler (body) values (randomblob(3000))`.execute(store.db);
    const pages = () => Math.floor(statSync(file).size / 4096);
    const deadline = Date.now() + 5000;
    while (pages() < 400 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(pages() >= 400, `the database file holds ${pages()} pages: the log was not checkpointed`);
    await store.close();
    // Closed, the worker's connection too: the last connection out removes the log.
    assert.equal(existsSync(`${file}-wal`), false, 'a connection is still open');
    const again = new SQLite(file);
    assert.equal((again.prepare('select count(*) as n from filler').get() as { n: number }).n, 300);
    again.close();
  });
});
