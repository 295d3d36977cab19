// Opens the store: SQLite in the data directory by default, PostgreSQL when DATABASE_URL is set.
// Runs pending migrations before anything else touches the database.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations.js';
import { BACKSTOP_PAGES, startCheckpointer, type Checkpointer } from './checkpoints.js';

export type Dialect = 'sqlite' | 'postgres';

/**
 * The data directory holds the database and the generated secret key: only the service's own
 * user may read it. The folder is 0700 and every file 0600, set explicitly (whatever the umask)
 * on creation, and put right at each start for a folder made by an older version.
 * On Windows, modes mean little; the folder's ACL (the user's profile) protects it instead.
 */
export function protectDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (process.platform === 'win32') return;
  chmodSync(dataDir, 0o700);
  for (const name of ['agentdesk.sqlite', 'agentdesk.sqlite-wal', 'agentdesk.sqlite-shm', 'agentdesk.sqlite-journal', 'secret.key']) {
    const path = join(dataDir, name);
    if (existsSync(path)) chmodSync(path, 0o600);
  }
}

/** Creates the SQLite file 0600 before SQLite opens it: SQLite gives -wal and -shm the same mode. */
function createPrivateFile(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
  if (process.platform !== 'win32') chmodSync(path, 0o600);
}

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** PostgreSQL only: the connection string, for a LISTEN connection of its own. */
  databaseUrl?: string;
  /** PostgreSQL only: connections open and idle in the pool, and queries waiting for one (/metrics). */
  poolState?: () => { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

// int8 comes back from pg as a string by default; our times and counters fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * Kysely prepares every query it runs, and better-sqlite3 compiles the SQL on each prepare():
 * a tenth of a second-step request's CPU went to compiling the same few statements again
 * (bench/second-step.ts). Statements are kept by their SQL text, the least recently used
 * dropped past `capacity` (lists of ids make a few variants), so each is compiled once. One
 * that is busy (still being iterated) is never handed out twice.
 */
function reusingStatements(file: SQLite.Database, onStatement?: (sql: string) => void, capacity = 256): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close() {
      statements.clear();
      file.close();
    },
    prepare(sql: string) {
      // Kysely prepares each statement it runs (BEGIN and COMMIT too): one call, one statement.
      onStatement?.(sql);
      const cached = statements.get(sql);
      if (cached && !cached.busy) {
        statements.delete(sql);
        statements.set(sql, cached);
        return cached;
      }
      const statement = file.prepare(sql);
      if (!cached) {
        statements.set(sql, statement);
        if (statements.size > capacity) statements.delete(statements.keys().next().value!);
      }
      return statement;
    },
  };
}

export interface StoreOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  /**
   * SQLite only: told the SQL of every statement the store runs, BEGIN and COMMIT included
   * (bench/second-step.ts counts a second step's statements with it).
   */
  onStatement?: ((sql: string) => void) | undefined;
}

export async function openStore(options: StoreOptions): Promise<Store> {
  let db: Kysely<Database>;
  let dialect: Dialect;
  let poolState: Store['poolState'];
  let checkpointer: Checkpointer | undefined;
  if (options.databaseUrl) {
    dialect = 'postgres';
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
    // An idle pooled connection that the server ends (restart, failover, pg_terminate_backend)
    // is an 'error' on the pool: without a listener that would crash the process. The pool
    // drops that connection and opens a new one when next needed.
    pool.on('error', (error) => {
      process.emitWarning(`PostgreSQL connection lost (${error.message}); it will be reopened`, 'AgentDeskStoreWarning');
    });
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    poolState = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
  } else {
    dialect = 'sqlite';
    protectDataDir(options.dataDir);
    const path = join(options.dataDir, 'agentdesk.sqlite');
    createPrivateFile(path);
    const file = new SQLite(path);
    file.pragma('journal_mode = WAL');
    file.pragma('synchronous = NORMAL');
    file.pragma('foreign_keys = ON');
    file.pragma('busy_timeout = 5000');
    // Pages read straight from the OS's cache through a memory map, not a read() into SQLite's
    // own cache each: the second step's lookups (session, device, methods, throttle) land on
    // random pages of a large database, and 3 of them cost 48-58 us of CPU by read() against
    // 35-37 us mapped (90,000 seeded sign-ins, 175 MB; docs/performance.md). Writes still go
    // through the WAL as before. Address space only, up to 1 GiB; a file larger reads the rest as before.
    file.pragma('mmap_size = 1073741824');
    // Checkpoints run on a worker thread (store/checkpoints.ts); the writer's own only past the backstop.
    file.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    checkpointer = startCheckpointer(path);
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: reusingStatements(file, options.onStatement) }) });
  }
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error } = await migrator.migrateToLatest();
  if (error) {
    await checkpointer?.stop();
    await db.destroy();
    throw error;
  }
  return {
    db,
    dialect,
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(poolState ? { poolState } : {}),
    async close() {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}
