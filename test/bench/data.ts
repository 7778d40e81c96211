/**
 * Benchmark data: an HA pair (replicas "a" and "b") over a fixed 6 h window at 15 s, per size N
 * (e.g. 100, 1000, 10 000):
 * - `bench_requests_N_total{instance="host-i",job="job-(i%10)"}`: N counters with integer PRNG
 *   increments (a counter reset at the window's middle for every 97th series);
 * - `bench_latency_N_seconds_bucket{instance,job,le}`: N/10 instances × 10 `le` buckets (N series);
 * - `bench_build_info_N{instance,version}`: one info-like gauge (value 1) per instance of the
 *   counters, for `group_left` joins.
 *
 * Both replicas hold the same samples at the same timestamps (whole seconds + 123 ms, so no sample
 * sits on a query-window boundary); replica b misses a 20-minute outage. promtool cuts blocks on the
 * 2 h grid, so b's blocks are a's except the one holding the outage: only that 2 h window is written
 * and imported again for b, the other blocks are copied.
 *
 * The OpenMetrics text is streamed to files, one per 2 h window (10 000 series × 6 h is 14.4 M
 * samples per metric; all sizes and metrics together 48 M per replica, ~4 GB of text).
 * With `cacheDir` the built blocks are kept there (keyed by sizes and DATA_VERSION) and copied for
 * each run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { prng } from '../support/prng.js';

/** Bump when the generated data changes (invalidates caches). */
export const DATA_VERSION = 2;

const HOUR = 3_600_000;
/** 2024-01-01T00:00:00Z, on the 2 h block grid. Never the wall clock. */
export const T0 = 1_704_067_200_000;
export const DURATION_MS = 6 * HOUR;
export const SCRAPE_MS = 15_000;
export const OFFSET_MS = 123;
/** Samples per series and replica. */
export const SAMPLES_PER_SERIES = DURATION_MS / SCRAPE_MS;
/** End of the data (exclusive); queries end here. */
export const T_END = T0 + DURATION_MS;
/** Replica b recorded nothing in [from, to). */
export const OUTAGE_B: readonly [number, number] = [T0 + 2.5 * HOUR, T0 + 2.5 * HOUR + 20 * 60_000];
const BLOCK_MS = 2 * HOUR;

export const LE = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'] as const;

export const counterName = (n: number): string => `bench_requests_${n}_total`;
export const histogramName = (n: number): string => `bench_latency_${n}_seconds`;
export const infoName = (n: number): string => `bench_build_info_${n}`;

export interface BenchData {
  /** TSDB directories ready for `prometheus --storage.tsdb.path` (temporary copies). */
  readonly dirA: string;
  readonly dirB: string;
  readonly sizes: readonly number[];
  /** Samples per replica (a), all metrics. */
  readonly samplesA: number;
  /** Wall time to generate and import (0 when copied from the cache), and to copy. */
  readonly buildMs: number;
  readonly copyMs: number;
  readonly fromCache: boolean;
  /** Removes the temporary directories. */
  cleanup(): void;
}

/** Counter values of series `i` at every scrape (deterministic). */
function counterValues(n: number, i: number): Float64Array {
  const rand = prng(n * 1_000_003 + i + 1);
  const out = new Float64Array(SAMPLES_PER_SERIES);
  let v = Math.floor(rand() * 1e6);
  const maxInc = 1 + (i % 50) * 4;
  const resetAt = i % 97 === 0 ? SAMPLES_PER_SERIES >> 1 : -1;
  for (let k = 0; k < SAMPLES_PER_SERIES; k++) {
    if (k === resetAt) v = 0;
    v += Math.floor(rand() * maxInc);
    out[k] = v;
  }
  return out;
}

/** Cumulative bucket counts of histogram instance `j`: [bucket][scrape]. */
function histogramValues(n: number, j: number): Float64Array[] {
  const rand = prng(n * 7_000_003 + j + 1);
  const buckets = LE.map(() => new Float64Array(SAMPLES_PER_SERIES));
  const acc = new Float64Array(LE.length);
  for (let k = 0; k < SAMPLES_PER_SERIES; k++) {
    // Requests this scrape, spread so that higher buckets hold more (cumulative).
    const reqs = 20 + Math.floor(rand() * 80);
    let cum = 0;
    for (let b = 0; b < LE.length; b++) {
      cum += b === LE.length - 1 ? reqs - cum : Math.floor((reqs - cum) * (0.15 + rand() * 0.25));
      acc[b]! += cum;
      buckets[b]![k] = acc[b]!;
    }
  }
  return buckets;
}

/** One OpenMetrics file: the samples with from <= t < to, minus `gap`. */
interface OmOutput {
  readonly file: string;
  readonly from: number;
  readonly to: number;
  readonly gap: readonly [number, number] | null;
}

/** Streams the OpenMetrics text of all sizes into every output in one pass; returns samples per output. */
async function writeOpenMetrics(outputs: readonly OmOutput[], sizes: readonly number[]): Promise<number[]> {
  // Timestamps as text once: seconds with three ms digits (exact for promtool's int64(ts*1000)).
  const ts: string[] = [];
  for (let k = 0; k < SAMPLES_PER_SERIES; k++) {
    const t = T0 + OFFSET_MS + k * SCRAPE_MS;
    ts.push(`${Math.floor(t / 1000)}.${String(t % 1000).padStart(3, '0')}`);
  }
  const outs = outputs.map((o) => {
    const keep: number[] = [];
    for (let k = 0; k < SAMPLES_PER_SERIES; k++) {
      const t = T0 + OFFSET_MS + k * SCRAPE_MS;
      if (t >= o.from && t < o.to && !(o.gap !== null && t >= o.gap[0] && t < o.gap[1])) keep.push(k);
    }
    return { stream: createWriteStream(o.file, { highWaterMark: 1 << 20 }), keep, pending: [] as string[], pendingLen: 0, samples: 0 };
  });
  const flush = async (): Promise<void> => {
    for (const o of outs) {
      if (o.pending.length === 0) continue;
      const chunk = o.pending.join('');
      o.pending = [];
      o.pendingLen = 0;
      if (!o.stream.write(chunk)) await new Promise<void>((r) => o.stream.once('drain', r));
    }
  };
  const header = async (line: string): Promise<void> => {
    await flush();
    for (const o of outs) o.stream.write(line);
  };
  const series = async (name: string, values: Float64Array): Promise<void> => {
    let big = false;
    for (const o of outs) {
      let s = '';
      for (const k of o.keep) s += `${name} ${values[k]} ${ts[k]}\n`;
      o.samples += o.keep.length;
      o.pending.push(s);
      o.pendingLen += s.length;
      big ||= o.pendingLen > 1 << 20;
    }
    if (big) await flush();
  };
  for (const n of sizes) {
    await header(`# TYPE ${counterName(n).replace(/_total$/, '')} counter\n`);
    for (let i = 0; i < n; i++) await series(`${counterName(n)}{instance="host-${i}",job="job-${i % 10}"}`, counterValues(n, i));
    await header(`# TYPE ${histogramName(n)} histogram\n`);
    for (let j = 0; j < Math.max(1, n / 10); j++) {
      const hv = histogramValues(n, j);
      for (let b = 0; b < LE.length; b++) {
        await series(`${histogramName(n)}_bucket{instance="host-${j}",job="job-${j % 10}",le="${LE[b]}"}`, hv[b]!);
      }
    }
    await header(`# TYPE ${infoName(n)} gauge\n`);
    const ones = new Float64Array(SAMPLES_PER_SERIES).fill(1);
    for (let i = 0; i < n; i++) await series(`${infoName(n)}{instance="host-${i}",version="v1.${i % 3}.0"}`, ones);
  }
  await flush();
  await Promise.all(
    outs.map(async (o) => {
      o.stream.end('# EOF\n');
      await finished(o.stream);
    }),
  );
  return outs.map((o) => o.samples);
}

/** Temporary directories and promtool processes to clean up if the bench exits early. */
const tempDirs = new Set<string>();
const promtools = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of promtools) c.kill('SIGKILL');
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

function promtoolImport(file: string, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', file, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (err = (err + d).slice(-4000)));
    promtools.add(child);
    child.on('error', reject);
    child.on('exit', (code) => {
      promtools.delete(child);
      if (code === 0) resolve();
      else reject(new Error(`promtool import of ${file} failed (${code}): ${err}`));
    });
  });
}

interface BlockMeta {
  minTime: number;
  maxTime: number;
}

function blocks(dir: string): { name: string; meta: BlockMeta }[] {
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'meta.json')))
    .map((name) => ({ name, meta: JSON.parse(readFileSync(join(dir, name, 'meta.json'), 'utf8')) as BlockMeta }));
}

/** Runs `tasks` with at most `limit` at once. */
async function inParallel(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/**
 * Generates and imports replica a and b into `dir/a`, `dir/b`; returns samples of replica a. One
 * OpenMetrics file per 2 h block window (promtool parses its whole input once per block window it
 * cuts, so one file per window parses every sample once), imported in parallel, one promtool per
 * core; b's own file only covers the window of its outage.
 */
async function build(dir: string, sizes: readonly number[], log: (s: string) => void): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'promdedup-bench-om-'));
  tempDirs.add(work);
  try {
    const started = performance.now();
    const bFrom = Math.floor(OUTAGE_B[0] / BLOCK_MS) * BLOCK_MS;
    if (Math.floor((OUTAGE_B[1] - 1) / BLOCK_MS) * BLOCK_MS !== bFrom) throw new Error('outage must sit in one 2 h block');
    const outputs: (OmOutput & { replica: 'a' | 'b' })[] = [];
    for (let from = T0; from < T_END; from += BLOCK_MS) {
      outputs.push({ replica: 'a', file: join(work, `a-${from}.om`), from, to: from + BLOCK_MS, gap: null });
    }
    outputs.push({ replica: 'b', file: join(work, `b-${bFrom}.om`), from: bFrom, to: bFrom + BLOCK_MS, gap: OUTAGE_B });
    const samples = await writeOpenMetrics(outputs, sizes);
    const samplesA = samples.filter((_, i) => outputs[i]!.replica === 'a').reduce((a, b) => a + b, 0);
    const bytes = outputs.filter((o) => o.replica === 'a').reduce((a, o) => a + statSync(o.file).size, 0);
    log(`  generated ${(samplesA / 1e6).toFixed(1)} M samples per replica (${(bytes / 2 ** 20).toFixed(0)} MiB OpenMetrics) in ${((performance.now() - started) / 1000).toFixed(1)} s; importing`);
    // Each file into its own directory (parallel promtools), then the blocks moved into place.
    const imports = outputs.map((o, i) => async () => {
      await promtoolImport(o.file, join(work, `blocks-${i}`));
      rmSync(o.file);
    });
    await inParallel(imports, Math.max(1, cpus().length));
    mkdirSync(join(dir, 'a'), { recursive: true });
    mkdirSync(join(dir, 'b'), { recursive: true });
    outputs.forEach((o, i) => {
      const got = blocks(join(work, `blocks-${i}`));
      if (got.length !== 1 || got[0]!.meta.minTime < o.from || got[0]!.meta.maxTime > o.to) {
        throw new Error(`unexpected blocks from ${o.file}: ${JSON.stringify(got)}`);
      }
      const name = got[0]!.name;
      renameSync(join(work, `blocks-${i}`, name), join(dir, o.replica, name));
      // b holds a's blocks outside its outage window (the same samples).
      if (o.replica === 'a' && o.from !== bFrom) cpSync(join(dir, 'a', name), join(dir, 'b', name), { recursive: true });
    });
    log(`  imported in ${((performance.now() - started) / 1000).toFixed(1)} s in all`);
    return samplesA;
  } finally {
    rmSync(work, { recursive: true, force: true });
    tempDirs.delete(work);
  }
}

/**
 * TSDB directories for both replicas holding `sizes`. With `cacheDir`, built once and kept there;
 * every call hands out fresh temporary copies (Prometheus writes its WAL and lock into them).
 */
export async function prepareData(sizes: readonly number[], cacheDir: string | undefined, log: (s: string) => void): Promise<BenchData> {
  const key = `v${DATA_VERSION}-${[...sizes].sort((a, b) => a - b).join('-')}`;
  const started = performance.now();
  let source: string;
  let ownSource: string | null = null;
  let fromCache = false;
  let samplesA: number;
  if (cacheDir !== undefined && existsSync(join(cacheDir, key, 'samples'))) {
    source = join(cacheDir, key);
    samplesA = Number(readFileSync(join(source, 'samples'), 'utf8'));
    fromCache = true;
    log(`  data from cache ${source}`);
  } else {
    const target = cacheDir !== undefined ? join(cacheDir, key) : mkdtempSync(join(tmpdir(), 'promdedup-bench-data-'));
    const tmp = cacheDir !== undefined ? `${target}.tmp-${process.pid}` : target;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    tempDirs.add(tmp);
    try {
      samplesA = await build(tmp, sizes, log);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      tempDirs.delete(tmp);
      throw err;
    }
    if (cacheDir !== undefined) {
      writeFileSync(join(tmp, 'samples'), String(samplesA));
      rmSync(target, { recursive: true, force: true });
      renameSync(tmp, target);
      tempDirs.delete(tmp);
    } else {
      ownSource = target;
    }
    source = target;
  }
  const buildMs = fromCache ? 0 : performance.now() - started;
  const copyStarted = performance.now();
  let dirA: string;
  let dirB: string;
  let run: string | null = null;
  if (ownSource !== null) {
    dirA = join(ownSource, 'a');
    dirB = join(ownSource, 'b');
  } else {
    run = mkdtempSync(join(tmpdir(), 'promdedup-bench-run-'));
    tempDirs.add(run);
    dirA = join(run, 'a');
    dirB = join(run, 'b');
    cpSync(join(source, 'a'), dirA, { recursive: true });
    cpSync(join(source, 'b'), dirB, { recursive: true });
  }
  const copyMs = performance.now() - copyStarted;
  const toRemove = ownSource ?? run!;
  return {
    dirA,
    dirB,
    sizes,
    samplesA,
    buildMs,
    copyMs,
    fromCache,
    cleanup: () => {
      rmSync(toRemove, { recursive: true, force: true });
      tempDirs.delete(toRemove);
    },
  };
}
