// The identity service in a process of its own: `server/cli.ts serve` under tsx's loader, or
// (`built: true`) the compiled dist/server/cli.js that `npm run server` runs (node is run
// directly so that its pid is the server's, for RSS and --cpu-prof), configured only through the documented environment
// (HOST, PORT, AGENTDESK_DATA_DIR, LOG_LEVEL). Its log goes to a file, as it would to a journal.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { reserveFreePort } from '../../server/free-port.js';
import { REPO_ROOT } from './paths.js';

export interface ServerProcess {
  pid: number;
  port: number;
  /** The origin users reach it at (its WebAuthn origin): http://localhost:<port>. */
  origin: string;
  /** Where the load connects: 127.0.0.1 only. */
  host: string;
  rssMb(): number;
  stop(): Promise<void>;
}

/** LOG_LEVEL the benchmarks run the server with; the product's default (info) unless BENCH_LOG_LEVEL says otherwise. */
export const BENCH_LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';

export function rssMbOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** User + system CPU time the process has used, in ms (USER_HZ = 100). */
export function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export async function startServerProcess(options: { dataDir: string; env?: Record<string, string>; nodeArgs?: string[]; built?: boolean }): Promise<ServerProcess> {
  const port = await reserveFreePort('127.0.0.1');
  const logFd = openSync(join(options.dataDir, 'server.log'), 'a');
  const child: ChildProcess = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), ...(options.built ? ['dist/server/cli.js'] : ['--import', 'tsx', 'server/cli.ts']), 'serve'],
    {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        HOST: '127.0.0.1',
        PORT: String(port),
        AGENTDESK_DATA_DIR: options.dataDir,
        LOG_LEVEL: BENCH_LOG_LEVEL,
        // All load comes from 127.0.0.1 (10,000 event streams in the fan-out): no per-address cap.
        AGENTDESK_MAX_CONNECTIONS_PER_ADDRESS: '0',
        ...(process.env.UV_THREADPOOL_SIZE ? { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE } : {}),
        ...options.env,
      },
      stdio: ['ignore', logFd, logFd],
    },
  );
  closeSync(logFd);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`server exited at start: ${readFileSync(join(options.dataDir, 'server.log'), 'utf8').slice(-2000)}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
      if (res.ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error('server did not come up in 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid!,
    port,
    origin: `http://localhost:${port}`,
    host: '127.0.0.1',
    rssMb: () => rssMbOf(child.pid!),
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** The floor (bench/lib/floor-server.ts) in a process of its own, listening on 127.0.0.1. */
export async function startFloorProcess(dataDir: string): Promise<{ pid: number; port: number; host: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/lib/floor-server.ts', dataDir], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (c: string) => {
      out += c;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`floor server exited at start (${code})`)));
  });
  return {
    pid: child.pid!,
    port,
    host: '127.0.0.1',
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
