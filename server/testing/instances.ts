// Several server processes on one PostgreSQL database, as a deployment behind a load balancer
// runs them: `tsx server/cli.ts serve` with the same DATABASE_URL and AGENTDESK_SECRET_KEY, the
// same public URL and origins, each on its own port. Plus an event-stream client.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reserveFreePort } from '../free-port.js';
import { apiClient } from './harness.js';
import { freshPostgresDatabase } from './postgres.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Instance {
  name: string;
  port: number;
  base: string;
  call: ReturnType<typeof apiClient>['call'];
  process: ChildProcess;
  /** What the process wrote, for a failing test's message. */
  output(): string;
  stop(): Promise<void>;
}

export function startInstance(name: string, port: number, env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'server/cli.ts'), 'serve'], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port), NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const base = `http://localhost:${port}/api/v1`;
  return new Promise((resolve, reject) => {
    // 60 s: a cold start under tsx on a busy 2-core machine has taken over 30.
    const timer = setTimeout(() => fail(new Error(`instance ${name} did not start within 60 s:\n${output}`)), 60_000);
    function fail(error: Error) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    }
    child.once('exit', (code) => fail(new Error(`instance ${name} exited (${code}):\n${output}`)));
    let started = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      // Once: what the process writes later (a drain on SIGTERM) must not drop the caller's exit listeners.
      if (!started && output.includes('listening on')) {
        started = true;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({
          name,
          port,
          base,
          call: apiClient(base).call,
          process: child,
          output: () => output,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done();
              const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
              child.once('exit', () => {
                clearTimeout(kill);
                done();
              });
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
  });
}

/** `count` instances on a fresh database of the PostgreSQL server at `adminUrl`. */
export async function startInstances(adminUrl: string, count = 2) {
  const database = await freshPostgresDatabase(adminUrl);
  const dataDir = mkdtempSync(join(tmpdir(), 'agentdesk-instances-'));
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await reserveFreePort('127.0.0.1');
    if (!ports.includes(port)) ports.push(port);
  }
  // What a load balancer deployment shares: one database, one key, one public address.
  const publicUrl = `http://localhost:${ports[0]}`;
  const env = {
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    AGENTDESK_SECRET_KEY: randomBytes(32).toString('hex'),
    AGENTDESK_PUBLIC_URL: publicUrl,
    AGENTDESK_ORIGINS: ports.map((p) => `http://localhost:${p}`).join(','),
    AGENTDESK_OPEN_SIGNUP: '1',
    AGENTDESK_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
  };
  const instances: Instance[] = [];
  try {
    // One after the other: both run the migrations at start-up, and the first one creates the tables.
    for (let i = 0; i < count; i++) instances.push(await startInstance(String.fromCharCode(65 + i), ports[i]!, env));
  } catch (error) {
    await Promise.all(instances.map((i) => i.stop()));
    await database.drop();
    throw error;
  }
  return {
    instances,
    databaseUrl: database.url,
    /** What every instance was started with: start another (or restart one) with startInstance. */
    env,
    async close() {
      await Promise.all(instances.map((i) => i.stop()));
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { openEvents } from './event-stream.js';
