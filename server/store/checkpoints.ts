// SQLite's write-ahead log is copied back into the database file by a checkpoint: up to a
// thousand pages written and two fsyncs. By default the commit that takes the log past
// `wal_autocheckpoint` pages runs it, on the store's one connection, in the event loop: every
// request in flight waits for the disk. A SCIM create writes ~22 pages (the user, its ten
// indexes, the trigram search index, the audit entry), so a burst of creates met a checkpoint
// every ~45 commits, and those commits were the slowest (docs/performance.md, "SCIM"). Here a
// worker thread with a connection of its own checkpoints (PASSIVE: it never waits for, nor
// blocks, the writer or readers) every `intervalMs`; the writer's own checkpoint stays as a
// backstop at a log ten times larger, for when the worker falls behind.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The writer checkpoints itself only past this many pages (40 MB): the worker normally got there first. */
export const BACKSTOP_PAGES = 10_000;

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.driver);
const db = new SQLite(workerData.path, { fileMustExist: true });
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    // Busy (the writer's backstop is checkpointing) or the file went away: next time.
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

/** Starts checkpointing the SQLite database at `path` (already open, in WAL mode) off the event loop. */
export function startCheckpointer(path: string, intervalMs = 250): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { path, driver, intervalMs } });
  // A checkpoint that failed to start costs nothing but the backstop; it never stops the server.
  worker.on('error', (error) => process.emitWarning(`SQLite checkpoints: ${error.message}; the writer checkpoints itself`, 'AgentDeskStoreWarning'));
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        // Held open until its last checkpoint is done and its connection closed.
        worker.ref();
        worker.postMessage('stop');
        await exited;
      })();
      return stopping;
    },
  };
}
