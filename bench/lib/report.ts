// One shape for every benchmark's figures, the table printed at the end, and the JSON files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Figure {
  figure: string;
  value: number;
  unit: string;
  /** Human-readable target, e.g. "< 2000 ms" or ">= 2000 /s"; absent for context figures. */
  target?: string;
  pass?: boolean;
  /** Latency of one operation, in ms. */
  latency?: { p50: number; p99: number };
  /** Server CPU time per operation (ms), where the load generator could read it. */
  cpuPerOpMs?: number;
  /** Extra numbers (p50/p99, counts) kept in the JSON. */
  details?: Record<string, unknown>;
}

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

export function below(value: number, limit: number): boolean {
  return value < limit;
}

export function writeResults(name: string, figures: Figure[], meta: Record<string, unknown> = {}): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(path, JSON.stringify({ name, at: new Date().toISOString(), ...meta, figures }, null, 2) + '\n');
  return path;
}

function fmt(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  const digits = Math.abs(value) >= 100 || Number.isInteger(value) ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${unit}`;
}

export function table(figures: Figure[]): string {
  const rows = figures.map((f) => [
    f.figure,
    fmt(f.value, f.unit),
    f.latency ? `${fmt(f.latency.p50, 'ms')} / ${fmt(f.latency.p99, 'ms')}` : '',
    f.cpuPerOpMs !== undefined ? fmt(f.cpuPerOpMs, 'ms') : '',
    f.target ?? '',
    f.pass === undefined ? '' : f.pass ? 'pass' : 'SHORT',
  ]);
  const head = ['figure', 'value', 'p50 / p99', 'server CPU/op', 'target', 'result'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export function isMain(importMetaUrl: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(importMetaUrl) === resolve(process.argv[1]);
}
