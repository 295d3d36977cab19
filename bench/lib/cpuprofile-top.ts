// Prints the heaviest functions of a .cpuprofile (self time, and total time for our own code):
//   npx tsx bench/lib/cpuprofile-top.ts <file.cpuprofile> [n]
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[]; hitCount?: number }
const profile = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const n = Number(process.argv[3] ?? 30);
process.stdout.on('error', () => process.exit(0));
const byId = new Map(profile.nodes.map((x) => [x.id, x]));
const parent = new Map<number, number>();
for (const x of profile.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
const self = new Map<string, number>();
const total = new Map<string, number>();
const key = (x: Node) => `${x.callFrame.functionName || '(anon)'} ${x.callFrame.url.replace(/^.*node_modules\//, '~/').replace(/^file:\/\/\/work\/main\//, '')}:${x.callFrame.lineNumber + 1}`;
let all = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  all += dt;
  const node = byId.get(profile.samples[i]!)!;
  self.set(key(node), (self.get(key(node)) ?? 0) + dt);
  const seen = new Set<string>();
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    const k = key(byId.get(id)!);
    if (!seen.has(k)) total.set(k, (total.get(k) ?? 0) + dt);
    seen.add(k);
  }
}
const show = (m: Map<string, number>, title: string, filter = (_k: string) => true) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...m].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${((100 * v) / all).toFixed(1).padStart(5)}%  ${k}`);
};
show(self, 'self time');
show(total, 'total time (server/ and hot libraries)', (k) => !k.startsWith('(') );
