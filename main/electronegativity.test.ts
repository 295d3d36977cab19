// The Electron security scan (@doyensec/electronegativity) over what Electron actually loads:
// the main and preload bundles and the renderer's HTML. Any HIGH finding fails. The scanner's
// parser predates class private fields and `satisfies`, so it reads an ES2019 build of the same
// entry points; a file it cannot parse fails the test too, since its checks would go blind.
// A deliberately unsafe fixture is scanned alongside, to show the scan does find things.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
const scanner = join(root, 'node_modules', '@doyensec', 'electronegativity', 'dist', 'index.js');
/** The scanner's translation download fails at once (see the file). */
const offlineGot = join(root, 'main', 'testing', 'offline-got.cjs');
const electronVersion = (JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;

interface Finding {
  issue: string;
  severity: string;
  confidence: string;
  file: string;
  location: string;
  sample: string;
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field.trim());
      field = '';
    } else if (c === '\n') {
      row.push(field.trim());
      rows.push(row);
      row = [];
      field = '';
    } else if (c !== '\r') field += c;
  }
  if (field || row.length) {
    row.push(field.trim());
    rows.push(row);
  }
  return rows;
}

async function scan(dir: string): Promise<{ findings: Finding[]; log: string }> {
  const out = join(dir, '..', `${dir.split(/[\\/]/).pop()}-results.csv`);
  // Checks that need the network (Electron's release list) are left out: the version is pinned in package.json.
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--require', offlineGot, scanner, '-i', dir, '-r', '-v', 'false', '-x', 'AvailableSecurityFixesGlobalCheck', '-e', electronVersion, '-o', out], { timeout: 120_000, maxBuffer: 10 * 1024 * 1024 });
  const [, ...rows] = parseCsv(readFileSync(out, 'utf8'));
  const findings = rows.filter((r) => r.length >= 6).map(([issue, severity, confidence, file, location, sample]) => ({ issue: issue!, severity: severity!, confidence: confidence!, file: file!, location: location!, sample: sample! }));
  return { findings, log: stdout + stderr };
}

test('electronegativity finds nothing of high severity in the desktop app', { timeout: 180_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'agentdesk-electronegativity-'));
  try {
    const app = join(work, 'app');
    const unsafe = join(work, 'unsafe');
    const common = { absWorkingDir: root, bundle: true, platform: 'node', target: 'es2019', logLevel: 'silent' } as const;
    await build({ ...common, entryPoints: ['main/electron-main.ts'], outfile: join(app, 'electron-main.js'), format: 'esm', packages: 'external' });
    await build({ ...common, entryPoints: ['preload/preload.ts'], outfile: join(app, 'preload.js'), format: 'cjs', external: ['electron'] });
    copyFileSync(join(root, 'renderer', 'index.html'), join(app, 'index.html'));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'agentdesk', main: 'electron-main.js', devDependencies: { electron: electronVersion } }));
    // The control: what the checklist forbids, in one window.
    writeFileSync(
      join(unsafe, '..', 'unsafe.js'),
      "const { BrowserWindow } = require('electron');\nconst w = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false, webSecurity: false } });\nw.loadURL('http://example.com');\n",
    );
    await build({ ...common, entryPoints: [join(work, 'unsafe.js')], outfile: join(unsafe, 'main.js'), format: 'cjs', external: ['electron'] });
    writeFileSync(join(unsafe, 'package.json'), JSON.stringify({ name: 'unsafe', main: 'main.js', devDependencies: { electron: electronVersion } }));

    // One after the other: two scanners at once on a loaded 2-core machine were seen to drop a finding.
    const ours = await scan(app);
    const control = await scan(unsafe);

    assert.doesNotMatch(ours.log, /Error parsing/, `the scanner could not read a file:\n${ours.log}`);
    const high = ours.findings.filter((f) => f.severity === 'HIGH');
    assert.deepEqual(high, [], `high-severity findings:\n${high.map((f) => `${f.issue} ${f.file}:${f.location} ${f.sample}`).join('\n')}`);
    // Medium findings are reviewed in docs/electron-security.md; a new kind should be looked at.
    const reviewed = new Set(['OPEN_EXTERNAL_JS_CHECK']);
    const unreviewed = [...new Set(ours.findings.filter((f) => f.severity === 'MEDIUM').map((f) => f.issue))].filter((i) => !reviewed.has(i));
    assert.deepEqual(unreviewed, [], 'new medium findings: review them and update docs/electron-security.md');

    const caught = new Set(control.findings.filter((f) => f.severity === 'HIGH').map((f) => f.issue));
    for (const issue of ['CONTEXT_ISOLATION_JS_CHECK', 'LIMIT_NAVIGATION_GLOBAL_CHECK']) {
      assert.ok(caught.has(issue), `the control scan should report ${issue}; got ${[...caught].join(', ')}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
