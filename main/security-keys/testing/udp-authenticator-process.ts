import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { UdpEndpoint } from '../transport/udp.js';

// Starts udp-authenticator.ts as a process of its own and finds Debian's python3-fido2, for the
// bench and the test that drive one software key with both our client and python-fido2.

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ENTRY = fileURLToPath(new URL('./udp-authenticator.ts', import.meta.url));
/** python-fido2's side of the comparison: raw CTAP2 calls over the same UDP link. */
export const PYTHON_FIDO2_SCRIPT = fileURLToPath(new URL('../../../bench/python-fido2-udp.py', import.meta.url));

export interface UdpAuthenticatorProcess {
  device: UdpEndpoint;
  pid: number;
  close(): Promise<void>;
}

export async function startUdpAuthenticator(options: { pin?: string; pinProtocols?: (1 | 2)[] } = {}): Promise<UdpAuthenticatorProcess> {
  const args = ['--import', 'tsx', ENTRY, '--port', '0', '--reply', 'sender'];
  if (options.pin) args.push('--pin', options.pin);
  if (options.pinProtocols) args.push('--pin-protocols', options.pinProtocols.join(','));
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  let output = '';
  const device = await new Promise<UdpEndpoint>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const line = output.split('\n', 2);
      if (line.length === 2) resolve(JSON.parse(line[0]!) as UdpEndpoint);
    });
    child.once('error', reject);
    void exited.then(([code]) => reject(new Error(`The UDP authenticator exited (${code}) before it listened.`)));
  });
  return {
    device,
    pid: child.pid!,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      await exited;
    },
  };
}

export type PythonFido2 = { python: string; version: string } | { missing: string };

/**
 * Debian's python3-fido2, found where apt puts it (/usr/bin/python3) or on PATH, or
 * AGENTDESK_PYTHON; `missing` says what to install when no interpreter has it.
 */
export function findPythonFido2(env: NodeJS.ProcessEnv = process.env): PythonFido2 {
  const candidates = [env.AGENTDESK_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => Boolean(p));
  for (const python of [...new Set(candidates)]) {
    const probe = spawnSync(python, ['-c', 'import fido2; print(fido2.__version__)'], { encoding: 'utf8' });
    if (probe.status === 0) return { python, version: probe.stdout.trim() };
  }
  return { missing: `python3-fido2 is not installed (apt-get install -y python3-fido2), tried ${[...new Set(candidates)].join(', ')}` };
}
