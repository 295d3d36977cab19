// Debian's rsyslog as the syslog collector of a test: `rsyslogd -n` with a config of the test's
// own (imtcp on a free loopback port, octet-counted framing, each message's RFC 5424 fields
// written to a file as rsyslog parsed them). Absent rsyslogd, `startRsyslog` answers undefined
// and the test skips with a message (CI installs it: .ci/run).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { reserveFreePort } from '../free-port.js';

export function rsyslogdPath(): string | undefined {
  for (const path of ['/usr/sbin/rsyslogd', '/sbin/rsyslogd']) if (existsSync(path)) return path;
  const found = spawnSync('sh', ['-c', 'command -v rsyslogd'], { encoding: 'utf8' }).stdout.trim();
  return found || undefined;
}

/** One line per message: the fields rsyslog parsed, separated by a tab. */
export interface CollectedMessage {
  appName: string;
  msgId: string;
  structuredData: string;
  msg: string;
  pri: string;
}

export async function startRsyslog(options: { port?: number } = {}) {
  const binary = rsyslogdPath();
  if (!binary) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'agentdesk-rsyslog-'));
  const port = options.port ?? (await reserveFreePort('127.0.0.1'));
  const out = join(dir, 'messages.log');
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(
    conf,
    [
      `global(workDirectory="${dir}")`,
      'module(load="imtcp")',
      `template(name="fields" type="string" string="%pri%\\t%app-name%\\t%msgid%\\t%structured-data%\\t%msg%\\n")`,
      'ruleset(name="agentdesk") {',
      `  action(type="omfile" file="${out}" template="fields")`,
      '}',
      `input(type="imtcp" port="${port}" address="127.0.0.1" ruleset="agentdesk")`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(binary, ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  // Ready once the port accepts connections.
  const started = Date.now();
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const probe = connect({ host: '127.0.0.1', port });
      probe.on('connect', () => {
        probe.destroy();
        resolve(true);
      });
      probe.on('error', () => resolve(false));
    });
    if (open) break;
    if (child.exitCode !== null || Date.now() - started > 10_000) throw new Error(`rsyslogd did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `tcp://127.0.0.1:${port}`,
    messages(): CollectedMessage[] {
      if (!existsSync(out)) return [];
      return readFileSync(out, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [pri, appName, msgId, structuredData, ...msg] = line.split('\t');
          return { pri: pri!, appName: appName!, msgId: msgId!, structuredData: structuredData!, msg: msg.join('\t') };
        });
    },
    output: () => output,
    async close() {
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
