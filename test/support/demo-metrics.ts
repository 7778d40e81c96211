/**
 * Deterministic stand-in for the PromLabs demo service (julius/prometheus-demo-service) as the
 * PromQL compliance tester expects it: job "demo", three instances `demo.promlabs.com:10000..10002`,
 * scraped every 5 s. Every metric and label the compliance queries use is here, with the demo's
 * shapes: memory gauges per `type`, a CPU counter per `mode` (unrounded float increments, one genuine
 * reset), a growing disk gauge, a batch job's last-success timestamp that moves in whole seconds
 * every few minutes, a classic histogram by method/path/status (one rarely-hit combination so
 * rates are often 0 and quantiles NaN), an intermittent metric with gaps, `up`.
 *
 * Like test/support/hadata.ts (whose building blocks this reuses), both replicas record the same
 * values at the same timestamps (5 s grid + offsetMs) except during their outages, which never
 * overlap; `expected` is the reference penalty merge.
 */
import {
  assembleHaData,
  DEFAULT_END_MS,
  haGrid,
  HOUR_MS,
  materialise,
  outagesFromMinutes,
  prng,
  type CounterReset,
  type FamilyDef,
  type HaData,
  type ReplicaName,
  type SeriesDef,
} from './hadata.js';

export const DEMO_INSTANCES = ['demo.promlabs.com:10000', 'demo.promlabs.com:10001', 'demo.promlabs.com:10002'] as const;

/**
 * Outages in minutes from the window start (2 h by default). Two rolling restarts (a then b: two
 * replica switches each), a b-only outage (no switch), single missed scrapes on each replica.
 */
export const DEMO_OUTAGES: readonly (readonly [ReplicaName, number, number])[] = [
  ['a', 70.5, 75.5],
  ['b', 75.5, 79.5],
  ['b', 86.5, 90],
  ['a', 96.25, 96.3],
  ['b', 99.25, 99.3],
  ['a', 105.5, 109.5],
  ['b', 109.5, 113.5],
];

/** Genuine counter resets (restart of the demo process) as [instance index, minute]. */
const DEMO_RESETS: readonly (readonly [number, number])[] = [
  [1, 67],
  [2, 108],
];

export interface DemoDataOptions {
  seed?: number;
  /** End of the window (exclusive); default DEFAULT_END_MS (a fixed time, not the clock). */
  endMs?: number;
  /** Default 2 h. */
  durationMs?: number;
  /** Scrape interval, default 5 s. */
  intervalMs?: number;
  /** Offset of every scrape from the whole-second grid, default 123 ms. */
  offsetMs?: number;
  /** `cluster` label, default "demo". */
  cluster?: string;
  outages?: readonly (readonly [ReplicaName, number, number])[];
}

const round = (v: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

export function generateDemoData(opts: DemoDataOptions = {}): HaData {
  const seed = opts.seed ?? 1;
  const intervalMs = opts.intervalMs ?? 5_000;
  const offsetMs = opts.offsetMs ?? 123;
  const durationMs = opts.durationMs ?? 2 * HOUR_MS;
  const endMs = opts.endMs ?? DEFAULT_END_MS;
  const g = haGrid(endMs - durationMs, durationMs, intervalMs, offsetMs);
  const resets: CounterReset[] = DEMO_RESETS.map(([i, m]) => ({ instance: DEMO_INSTANCES[i]!, atMs: g.grid[g.minuteK(m)]! }));
  const isReset = (instance: string, k: number) => resets.some((r) => r.instance === instance && r.atMs === g.grid[k]);
  const defs = demoFamilies(seed, g.grid, intervalMs, isReset);
  return assembleHaData({
    seed,
    startMs: g.startMs,
    endMs,
    intervalMs,
    offsetMs,
    cluster: opts.cluster ?? 'demo',
    grid: g.grid,
    outages: outagesFromMinutes(g.startMs, offsetMs, opts.outages ?? DEMO_OUTAGES),
    resets,
    truth: materialise(defs, g.grid),
  });
}

function demoFamilies(seed: number, grid: readonly number[], intervalMs: number, isReset: (instance: string, k: number) => boolean): FamilyDef[] {
  const rnd = prng(seed);
  const sub = () => prng(Math.floor(rnd() * 2 ** 32));
  const n = grid.length;
  const job = 'demo';
  const series = (name: string, instance: string, extra: Record<string, string>, value: SeriesDef['value'], present?: SeriesDef['present']): SeriesDef => ({
    labels: { __name__: name, job, instance, ...extra },
    instance,
    value,
    fromK: 0,
    toK: n,
    ...(present ? { present } : {}),
  });
  const fams: FamilyDef[] = [];

  // Memory: four gauges per instance, whole bytes, random walks that add up to roughly the total.
  const mem: SeriesDef[] = [];
  DEMO_INSTANCES.forEach((instance, ii) => {
    const base: Record<string, number> = { buffers: 1.2e8, cached: 2.1e9, free: 6.5e9 + ii * 1e9, used: 7.3e9 - ii * 5e8 };
    for (const type of ['buffers', 'cached', 'free', 'used']) {
      const r = sub();
      let v = base[type]! + Math.floor(r() * 1e7);
      mem.push(series('demo_memory_usage_bytes', instance, { type }, () => (v = Math.max(1e6, v + Math.floor((r() - 0.5) * 2e6)))));
    }
  });
  fams.push({ name: 'demo_memory_usage_bytes', type: 'gauge', help: 'Memory usage in bytes.', series: mem });

  fams.push({
    name: 'demo_num_cpus',
    type: 'gauge',
    help: 'The number of CPUs.',
    series: DEMO_INSTANCES.map((instance, ii) => series('demo_num_cpus', instance, {}, () => [4, 8, 4][ii]!)),
  });

  // CPU: unrounded float increments (full 53-bit mantissas), reset with the process.
  const cpu: SeriesDef[] = [];
  for (const instance of DEMO_INSTANCES)
    for (const [mode, share] of [['idle', 0.7], ['system', 0.08], ['user', 0.22]] as const) {
      const r = sub();
      let v = r() * 5000;
      cpu.push(
        series('demo_cpu_usage_seconds_total', instance, { mode }, (k) => {
          const inc = (r() + 0.5) * share * (intervalMs / 1000);
          v = isReset(instance, k) ? inc : v + inc;
          return v;
        }),
      );
    }
  fams.push({ name: 'demo_cpu_usage_seconds', type: 'counter', help: 'CPU usage in seconds.', series: cpu });

  fams.push({
    name: 'demo_disk_total_bytes',
    type: 'gauge',
    help: 'Disk size.',
    series: DEMO_INSTANCES.map((instance) => series('demo_disk_total_bytes', instance, {}, () => 1e11)),
  });
  fams.push({
    name: 'demo_disk_usage_bytes',
    type: 'gauge',
    help: 'Disk usage in bytes.',
    series: DEMO_INSTANCES.map((instance, ii) => {
      const r = sub();
      let v = 3e10 + ii * 7e9;
      // Grows with noise; the demo's cleanup now and then frees a chunk.
      return series('demo_disk_usage_bytes', instance, {}, (k) => (v = k % 997 === 500 ? v - 4e9 : v + Math.floor(r() * 2e6)));
    }),
  });

  // Batch job: runs every 2-4 minutes per instance; on success the timestamp (whole seconds) moves.
  const success: SeriesDef[] = [];
  const duration: SeriesDef[] = [];
  const processed: SeriesDef[] = [];
  for (const instance of DEMO_INSTANCES) {
    const r = sub();
    let next = Math.floor(r() * 30);
    let last = Math.floor(grid[0]! / 1000) - 600;
    let dur = 0;
    let bytes = 0;
    const k2 = new Map<number, [number, number, number]>();
    for (let k = 0; k < n; k++) {
      if (k === next) {
        dur = round(5 + r() * 40, 3);
        if (r() < 0.8) {
          last = Math.floor(grid[k]! / 1000);
          bytes = Math.floor(r() * 1e9);
        }
        next = k + 24 + Math.floor(r() * 24);
      }
      k2.set(k, [last, dur, bytes]);
    }
    success.push(series('demo_batch_last_success_timestamp_seconds', instance, {}, (k) => k2.get(k)![0]));
    duration.push(series('demo_batch_last_run_duration_seconds', instance, {}, (k) => k2.get(k)![1]));
    processed.push(series('demo_batch_last_run_processed_bytes', instance, {}, (k) => k2.get(k)![2]));
  }
  fams.push({ name: 'demo_batch_last_success_timestamp_seconds', type: 'gauge', help: 'Last successful batch run.', series: success });
  fams.push({ name: 'demo_batch_last_run_duration_seconds', type: 'gauge', help: 'Duration of the last batch run.', series: duration });
  fams.push({ name: 'demo_batch_last_run_processed_bytes', type: 'gauge', help: 'Bytes processed by the last batch run.', series: processed });

  fams.push({
    name: 'demo_items_shipped',
    type: 'counter',
    help: 'Items shipped.',
    series: DEMO_INSTANCES.map((instance) => {
      const r = sub();
      let v = Math.floor(r() * 1e5);
      return series('demo_items_shipped_total', instance, {}, (k) => (v = isReset(instance, k) ? 0 : v + Math.floor(r() * 9)));
    }),
  });

  // Present most of the time, gone for a few minutes now and then: series with gaps. After a gap
  // the penalty merge holds the other replica off for twice the gap, so the gaps are placed where no
  // replica outage follows soon (elsewhere the merge would depend on the select start).
  const gaps: readonly (readonly [number, number])[][] = [
    [[20, 25], [62, 64.5], [117, 121]],
    [[40, 43], [81, 84], [114.5, 116]],
    [[50, 52], [90.5, 93], [100.5, 101.5]],
  ];
  fams.push({
    name: 'demo_intermittent_metric',
    type: 'gauge',
    help: 'A metric that comes and goes.',
    series: DEMO_INSTANCES.map((instance, ii) => {
      const minute = (k: number) => (grid[k]! - grid[0]!) / 60_000;
      return series('demo_intermittent_metric', instance, {}, () => 1, (k) => !gaps[ii]!.some(([from, to]) => from <= minute(k) && minute(k) < to));
    }),
  });

  fams.push({
    name: 'demo_api_http_requests_in_progress',
    type: 'gauge',
    help: 'Requests in progress.',
    series: DEMO_INSTANCES.map((instance) => {
      const r = sub();
      return series('demo_api_http_requests_in_progress', instance, {}, () => Math.floor(r() * 4));
    }),
  });

  // Classic histogram by method/path/status: cumulative bucket counts, _sum, _count.
  const bounds = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '+Inf'];
  const combos: [string, string, string, number, number][] = [
    // method, path, status, mean requests per scrape, mean latency
    ['GET', '/api/foo', '200', 20, 0.03],
    ['GET', '/api/foo', '500', 1.2, 0.2],
    ['POST', '/api/foo', '200', 6, 0.08],
    ['GET', '/api/bar', '200', 12, 0.12],
    ['POST', '/api/bar', '500', 0.05, 0.6],
  ];
  const hist: SeriesDef[] = [];
  for (const instance of DEMO_INSTANCES)
    for (const [method, path, status, mean, lat] of combos) {
      const r = sub();
      const counts: number[][] = [];
      const sums: number[] = [];
      const cur = bounds.map(() => 0);
      let sum = 0;
      for (let k = 0; k < n; k++) {
        if (isReset(instance, k)) {
          cur.fill(0);
          sum = 0;
        }
        const reqs = Math.floor(r() * mean * 2);
        for (let i = 0; i < reqs; i++) {
          const d = -Math.log(1 - r()) * lat;
          sum += d;
          bounds.forEach((b, bi) => {
            if (b === '+Inf' || d <= Number(b)) cur[bi]! += 1;
          });
        }
        counts[k] = [...cur];
        sums[k] = sum;
      }
      const extra = { method, path, status };
      bounds.forEach((le, bi) => hist.push(series('demo_api_request_duration_seconds_bucket', instance, { ...extra, le }, (k) => counts[k]![bi]!)));
      hist.push(series('demo_api_request_duration_seconds_sum', instance, extra, (k) => sums[k]!));
      hist.push(series('demo_api_request_duration_seconds_count', instance, extra, (k) => counts[k]![bounds.length - 1]!));
    }
  fams.push({ name: 'demo_api_request_duration_seconds', type: 'histogram', help: 'Request latency.', series: hist });

  fams.push({
    name: 'up',
    type: 'gauge',
    help: 'Target health.',
    series: DEMO_INSTANCES.map((instance) => series('up', instance, {}, () => 1)),
  });
  return fams;
}
