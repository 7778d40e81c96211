/**
 * Dedup merge throughput. Data: SERIES series × SAMPLES samples per replica, 15 s scrapes with
 * ±200 ms jitter, a per-series replica offset, counters with rare resets, and outages (2% of the
 * replica series lose 5–40 scrapes). Figures are input samples per second:
 * - merge: the pure merge kernels (penaltyRuns / chainRuns over each group's replica columns) on one thread, input samples ÷
 *   CPU seconds of that thread (Linux /proc/thread-self, summed over the rounds; elsewhere process
 *   CPU), and ÷ wall seconds of the best round;
 * - dedup: dedupSeries end to end on one thread, as a query worker runs it (grouping, packing,
 *   merge, unpacking; wall, best round).
 *
 * Standalone: `node dist/test/bench/dedup.js` prints the tables.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dedupSeries } from '../../src/dedup/index.js';
import { chainRuns } from '../../src/dedup/chain.js';
import { dropNaN } from '../../src/dedup/counter.js';
import { penaltyRuns } from '../../src/dedup/penalty.js';
import type { DedupOptions } from '../../src/dedup/types.js';
import { labelsFromRecord } from '../../src/model/labels.js';
import type { Samples, Series } from '../../src/model/samples.js';
import { prng } from '../support/prng.js';

export interface DedupBenchRow {
  readonly name: string;
  readonly replicas: number;
  readonly func: DedupOptions['func'];
  readonly counter: boolean;
  readonly inputSamples: number;
  readonly outputSamples: number;
  /** Pure merge, one thread: input samples per CPU second. */
  readonly mergeSamplesPerCpuSec: number;
  /** The same, per wall second (best round). */
  readonly mergeSamplesPerWallSec: number;
  /** dedupSeries end to end on one thread. */
  readonly dedupSamplesPerSec: number;
}

export interface DedupBenchResult {
  readonly series: number;
  readonly samplesPerReplica: number;
  readonly rows: DedupBenchRow[];
}

const SCRAPE_MS = 15_000;


/** Replica columns of one series: `n` scrapes from `start`, jittered, maybe with an outage. */
function replicaSamples(rand: () => number, start: number, n: number): Samples {
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let value = Math.floor(rand() * 1e6);
  let outageAt = -1;
  let outageLen = 0;
  if (rand() < 0.02) {
    outageAt = Math.floor(rand() * n);
    outageLen = 5 + Math.floor(rand() * 36);
  }
  let time = start;
  let shift = 0;
  for (let i = 0; i < n; i++) {
    if (i === outageAt) shift += outageLen * SCRAPE_MS;
    t[i] = time + shift + Math.floor((rand() - 0.5) * 400);
    value = rand() < 0.001 ? 0 : value + Math.floor(rand() * 100);
    v[i] = value;
    time += SCRAPE_MS;
  }
  return { timestamps: t, values: v, stale: null };
}

/** `series` × `replicas` series, labels {__name__, instance, job, replica}. */
export function benchSeries(series: number, replicas: number, perReplica: number, seed = 1): Series[] {
  const rand = prng(seed);
  const out: Series[] = [];
  const t0 = 1_700_000_000_000;
  for (let s = 0; s < series; s++) {
    const phase = Math.floor(rand() * SCRAPE_MS);
    for (let r = 0; r < replicas; r++) {
      const offset = Math.floor(rand() * SCRAPE_MS); // replicas scrape at independent phases
      out.push({
        labels: labelsFromRecord({ __name__: 'http_requests_total', instance: `host-${s}`, job: 'bench', replica: `r${r}` }),
        samples: replicaSamples(rand, t0 + phase + offset, perReplica),
      });
    }
  }
  return out;
}

function groupsOf(series: readonly Series[], replicas: number): Samples[][] {
  const groups: Samples[][] = [];
  for (let i = 0; i < series.length; i += replicas) groups.push(series.slice(i, i + replicas).map((s) => s.samples));
  return groups;
}

/** CPU seconds used by the calling thread so far (10 ms ticks on Linux; process CPU elsewhere). */
function threadCpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, USER_HZ = 100
  } catch {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }
}

const kernelOut = { t: new Float64Array(0), v: new Float64Array(0), s: new Uint8Array(0) };

/** Every group through the merge kernels into one reused output; returns the samples written. */
function mergeKernels(groups: readonly (readonly Samples[])[], opts: DedupOptions): number {
  let written = 0;
  for (const g of groups) {
    const reps = opts.counter ? g.map(dropNaN) : g;
    let total = 0;
    for (const r of reps) total += r.timestamps.length;
    if (kernelOut.t.length < total) {
      kernelOut.t = new Float64Array(total * 2);
      kernelOut.v = new Float64Array(total * 2);
      kernelOut.s = new Uint8Array(total * 2);
    }
    const t = reps.map((r) => r.timestamps);
    const v = reps.map((r) => r.values);
    const s = reps.map((r) => r.stale);
    const start = reps.map(() => 0);
    const end = reps.map((r) => r.timestamps.length);
    const oS = s.some((x) => x !== null) ? kernelOut.s : null;
    written +=
      opts.func === 'penalty'
        ? penaltyRuns(t, v, s, start, end, reps.length, opts.counter, kernelOut.t, kernelOut.v, oS, 0)
        : chainRuns(t, v, s, start, end, reps.length, kernelOut.t, kernelOut.v, oS, 0);
  }
  return written;
}

function countOut(out: readonly Samples[]): number {
  let n = 0;
  for (const s of out) n += s.timestamps.length;
  return n;
}

async function measureCase(
  name: string,
  replicas: number,
  opts: DedupOptions,
  series: number,
  perReplica: number,
  rounds: number,
  mergeOnly: boolean,
): Promise<DedupBenchRow> {
  const data = benchSeries(series, replicas, perReplica, 7 + replicas);
  const groups = groupsOf(data, replicas);
  const inputSamples = series * replicas * perReplica;
  // Pure merge: warm up, then sum thread CPU over the rounds.
  let outputSamples = 0;
  let bestWall = Infinity;
  let cpuTotal = 0;
  const cpuRounds = rounds * 2;
  for (let i = 0; i < cpuRounds + 2; i++) {
    const cpu0 = threadCpuSeconds();
    const w0 = performance.now();
    const out = mergeKernels(groups, opts);
    const wall = (performance.now() - w0) / 1000;
    const cpu = threadCpuSeconds() - cpu0;
    outputSamples = out;
    if (i < 2) continue;
    bestWall = Math.min(bestWall, wall);
    cpuTotal += cpu;
  }
  // dedupSeries end to end.
  let bestDedup = Infinity;
  const replicaLabels = new Set(['replica']);
  for (let i = 0; i < (mergeOnly ? 0 : rounds + 1); i++) {
    const w0 = performance.now();
    const out = dedupSeries(data.slice(), replicaLabels, opts);
    const wall = (performance.now() - w0) / 1000;
    if (countOut(out.map((s) => s.samples)) !== outputSamples) throw new Error(`${name}: dedup output differs`);
    if (i > 0) bestDedup = Math.min(bestDedup, wall);
  }
  return {
    name,
    replicas,
    func: opts.func,
    counter: opts.counter,
    inputSamples,
    outputSamples,
    mergeSamplesPerCpuSec: (inputSamples * cpuRounds) / cpuTotal,
    mergeSamplesPerWallSec: inputSamples / bestWall,
    dedupSamplesPerSec: inputSamples / bestDedup,
  };
}

export async function benchDedup(
  options: { series?: number; samples?: number; rounds?: number; mergeOnly?: boolean; only?: string } = {},
): Promise<DedupBenchResult> {
  const series = options.series ?? 10_000;
  const perReplica = options.samples ?? 240;
  const rounds = options.rounds ?? 5;
  {
    const cases: Array<[string, number, DedupOptions]> = [
      ['penalty 2 replicas', 2, { func: 'penalty', counter: false }],
      ['penalty 2 replicas, counter', 2, { func: 'penalty', counter: true }],
      ['penalty 3 replicas', 3, { func: 'penalty', counter: false }],
      ['penalty 3 replicas, counter', 3, { func: 'penalty', counter: true }],
      ['chain 2 replicas', 2, { func: 'chain', counter: false }],
    ];
    const mergeOnly = options.mergeOnly ?? false;
    const rows: DedupBenchRow[] = [];
    for (const [name, replicas, opts] of cases) {
      if (options.only !== undefined && !name.includes(options.only)) continue;
      rows.push(await measureCase(name, replicas, opts, series, perReplica, rounds, mergeOnly));
    }
    return { series, samplesPerReplica: perReplica, rows };
  }
}

export function printDedupBench(r: DedupBenchResult): void {
  const m = (x: number) => (x / 1e6).toFixed(1).padStart(8);
  console.log(`dedup bench: ${r.series} series × ${r.samplesPerReplica} samples per replica, one thread`);
  console.log('case                             input    output   merge M/s CPU  merge M/s wall  dedup M/s');
  for (const row of r.rows) {
    console.log(
      `${row.name.padEnd(30)} ${String(row.inputSamples).padStart(8)} ${String(row.outputSamples).padStart(9)}  ${m(row.mergeSamplesPerCpuSec)}       ${m(row.mergeSamplesPerWallSec)}    ${m(row.dedupSamplesPerSec)}`,
    );
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string): number | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  // --merge-only: the pure merge figures only (quick A/B runs); --rounds N; --only <name substring>.
  const opts: { series?: number; samples?: number; rounds?: number; mergeOnly?: boolean; only?: string } = {};
  const series = arg('series');
  const samples = arg('samples');
  if (series !== undefined) opts.series = series;
  if (samples !== undefined) opts.samples = samples;
  const rounds = arg('rounds');
  if (rounds !== undefined) opts.rounds = rounds;
  if (process.argv.includes('--merge-only')) opts.mergeOnly = true;
  const only = process.argv.indexOf('--only');
  if (only > 0 && process.argv[only + 1] !== undefined) opts.only = process.argv[only + 1]!;
  printDedupBench(await benchDedup(opts));
}
