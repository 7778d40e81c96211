/**
 * Top self-time functions of V8 CPU profiles (`node --cpu-prof --cpu-prof-dir=DIR`: one
 * .cpuprofile for the main thread and one per worker thread).
 *
 * Standalone: `node dist/test/bench/profile.js DIR [N]` prints the top N (default 25) over all
 * profiles in DIR, then per profile.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface SelfTime {
  readonly fn: string;
  readonly where: string;
  readonly ms: number;
  /** Share of the non-idle time of the profiles summed. */
  readonly share: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly busyMs: number;
  readonly top: SelfTime[];
}

const IDLE = new Set(['(idle)', '(root)']);
const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

function where(url: string, line: number): string {
  if (url === '') return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const rel = path.startsWith(root) ? relative(root, path) : path.replace(/^.*node_modules\//, 'node_modules/');
  return `${rel}:${line + 1}`;
}

function selfTimes(profiles: readonly CpuProfile[]): Map<string, { fn: string; where: string; us: number }> {
  const out = new Map<string, { fn: string; where: string; us: number }>();
  for (const p of profiles) {
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    for (let i = 0; i < p.samples.length; i++) {
      const node = byId.get(p.samples[i]!);
      if (!node) continue;
      const dt = p.timeDeltas[i + 1] ?? 0; // the interval a sample stands for is the one after it
      const fn = node.callFrame.functionName || '(anonymous)';
      const w = where(node.callFrame.url, node.callFrame.lineNumber);
      const key = `${fn}\u0000${w}`;
      const e = out.get(key);
      if (e) e.us += dt;
      else out.set(key, { fn, where: w, us: dt });
    }
  }
  return out;
}

function summarize(file: string, profiles: readonly CpuProfile[], n: number): ProfileSummary {
  const times = [...selfTimes(profiles).values()];
  const busyUs = times.filter((t) => !IDLE.has(t.fn)).reduce((a, t) => a + t.us, 0);
  const top = times
    .filter((t) => !IDLE.has(t.fn))
    .sort((a, b) => b.us - a.us)
    .slice(0, n)
    .map((t) => ({ fn: t.fn, where: t.where, ms: t.us / 1000, share: t.us / busyUs }));
  return { file, busyMs: busyUs / 1000, top };
}

/** Summaries: all profiles of `dir` together first, then each profile (busiest first). */
export function summarizeProfiles(dir: string, n = 25): ProfileSummary[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const profiles = files.map((f) => ({ f, p: JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile }));
  const each = profiles.map(({ f, p }) => summarize(basename(f), [p], n)).sort((a, b) => b.busyMs - a.busyMs);
  return [summarize(`all ${files.length} profiles`, profiles.map((x) => x.p), n), ...each];
}

export function formatProfile(s: ProfileSummary): string {
  const lines = [`${s.file}: ${s.busyMs.toFixed(0)} ms busy`, '| self ms | share | function | where |', '|---|---|---|---|'];
  for (const t of s.top) lines.push(`| ${t.ms.toFixed(0)} | ${(t.share * 100).toFixed(1)} % | \`${t.fn}\` | ${t.where} |`);
  return lines.join('\n');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (dir === undefined) {
    console.error('usage: node dist/test/bench/profile.js DIR [N]');
    process.exit(2);
  }
  const n = Number(process.argv[3] ?? 25);
  for (const s of summarizeProfiles(dir, n)) console.log(formatProfile(s) + '\n');
}
