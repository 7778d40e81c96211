/**
 * Deterministic history for a Prometheus HA pair (replicas "a" and "b"), for end-to-end tests, the
 * demo and benchmarks.
 *
 * Both replicas scrape the same targets at the same timestamps (a 15 s grid plus a fixed ms offset,
 * 123 ms by default) and record the same values; each replica has outages (several minutes, never
 * both at once) where it recorded nothing. From that it derives:
 * - the OpenMetrics text per replica (no cluster/replica labels: those are the servers' external labels),
 * - the expected deduplicated series (reference penalty merge of a then b, plus the cluster label),
 * - every replica's series with `cluster` and `replica` labels ("all", for dedup=false comparisons).
 *
 * Timing choices (so that Prometheus 2.42's closed windows and 3.x's left-open windows agree):
 * samples sit at whole seconds + 123 ms and the tests query at whole seconds, so no sample is ever
 * on a window boundary. Outages that make the merge switch replicas start at minute phase 30.123 s.
 *
 * Select-start caveat: the penalty merge of a window that starts near a replica switch can differ from
 * the merge of the whole history (the expected data). `unsafeMints` lists those start times; a start
 * at a whole minute (phase 0 s) or at phase 46–59 s is always safe with the default outages.
 */
import { penaltyMerge, type RefSample } from './reference-dedup.js';
import { renderOpenMetrics, type LabelMap, type MetricType, type OmFamily, type OmSeries } from './openmetrics.js';
import { prng } from './prng.js';

export type ReplicaName = 'a' | 'b';
export const REPLICAS: readonly ReplicaName[] = ['a', 'b'];

/** Replica `replica` recorded nothing for fromMs <= t < toMs. */
export interface Outage {
  readonly replica: ReplicaName;
  readonly fromMs: number;
  readonly toMs: number;
}

/** A genuine counter reset (process restart) of every counter of one instance. */
export interface CounterReset {
  readonly instance: string;
  readonly atMs: number;
}

export interface HaDataOptions {
  /** PRNG seed, default 1. */
  seed?: number;
  /** End of the window (exclusive), default DEFAULT_END_MS (a fixed time, not the clock). */
  endMs?: number;
  /** Window length, default 3 h. */
  durationMs?: number;
  /** Scrape interval, default 15 s. */
  intervalMs?: number;
  /** Offset of every scrape from the whole-second grid, default 123 ms. */
  offsetMs?: number;
  /** Value of the `cluster` label, default "eu1". */
  cluster?: string;
  /** Outages as [replica, fromMinute, toMinute) relative to the window start; default DEFAULT_OUTAGES. */
  outages?: readonly (readonly [ReplicaName, number, number])[];
}

/**
 * Default outages in minutes from the window start. Two rolling restarts (a then b right after: two
 * replica switches each), two b-only outages while a is in use (no switch), single missed scrapes.
 */
export const DEFAULT_OUTAGES: readonly (readonly [ReplicaName, number, number])[] = [
  ['a', 40.5, 46.5],
  ['b', 46.5, 51.5],
  ['b', 70.5, 74.5],
  ['a', 90.5, 90.75],
  ['b', 100.5, 100.75],
  ['a', 110.5, 114.5],
  ['b', 114.5, 121.5],
  ['b', 150.5, 153],
];

/** Minutes from the window start of genuine counter resets, per instance. */
const DEFAULT_RESETS: readonly (readonly [string, number])[] = [
  ['10.0.0.2:8080', 62],
  ['10.0.1.1:9100', 135],
];
/** A new series appears (counter starting at 0) at this minute. */
const NEW_SERIES_MINUTE = 95;
/** This instance is retired (all its series end) at this minute. */
const RETIRED_INSTANCE = '10.0.0.3:8080';
const RETIRED_MINUTE = 165;

export interface HaData {
  readonly seed: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly intervalMs: number;
  readonly offsetMs: number;
  readonly cluster: string;
  /** Scrape timestamps of the whole window (both replicas, before outages). */
  readonly grid: readonly number[];
  readonly outages: readonly Outage[];
  readonly resets: readonly CounterReset[];
  /** Ground truth: every series over its lifetime, labels without cluster/replica. */
  readonly truth: readonly OmFamily[];
  /** What one replica recorded (labels without cluster/replica). */
  readonly replica: Readonly<Record<ReplicaName, readonly OmFamily[]>>;
  /** Reference penalty merge (a before b) of every series, with the cluster label. */
  readonly expected: readonly OmFamily[];
  /** Every replica series with cluster and replica labels. */
  readonly all: readonly OmFamily[];
  readonly openMetrics: Readonly<Record<ReplicaName | 'expected' | 'all', string>>;
  /** Select start times (ms) at which a merge of [mint, ∞) differs from the expected data: (from, to]. */
  readonly unsafeMints: readonly (readonly [number, number])[];
  /** Times (ms) at which the merged series switches replica (first sample taken from the other one). */
  readonly switches: readonly number[];
  isSafeMint(ms: number): boolean;
  /** Window start + minutes, in ms. */
  at(minutes: number): number;
}

export { prng };

export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;

const round = (v: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

/** A generated series: its labels and a value per grid index in [fromK, toK). */
export interface SeriesDef {
  labels: LabelMap;
  instance: string;
  /** Value at grid index k. Called once per k, ascending. */
  value: (k: number) => number;
  fromK: number;
  toK: number;
  /** Optional: only grid indices for which this is true carry a sample (intermittent series). */
  present?: (k: number) => boolean;
}

export interface FamilyDef {
  name: string;
  type: MetricType;
  help: string;
  series: SeriesDef[];
}

function buildFamilies(
  seed: number,
  n: number,
  minuteK: (m: number) => number,
  isReset: (instance: string, k: number) => boolean,
): FamilyDef[] {
  const rnd = prng(seed);
  const api = ['10.0.0.1:8080', '10.0.0.2:8080', RETIRED_INSTANCE];
  const workers = ['10.0.1.1:9100', '10.0.1.2:9100'];
  const lifetime = (instance: string): [number, number] => [0, instance === RETIRED_INSTANCE ? minuteK(RETIRED_MINUTE) : n];

  /** Integer-count counter with a per-scrape mean increment. */
  const counter = (instance: string, mean: number, fraction = 0): SeriesDef['value'] => {
    const r = prng(Math.floor(rnd() * 2 ** 32));
    let v = Math.floor(r() * 5000);
    return (k) => {
      const inc = fraction > 0 ? round(r() * mean * 2, fraction) : Math.floor(r() * mean * 2);
      v = isReset(instance, k) ? inc : round(v + inc, fraction);
      return v;
    };
  };

  const families: FamilyDef[] = [];
  const reqs: SeriesDef[] = [];
  const paths = ['/', '/api/users', '/search?q="x"&y=1'];
  for (const instance of api)
    for (const path of paths)
      for (const code of ['200', '500']) {
        const [fromK, toK] = lifetime(instance);
        reqs.push({
          labels: { __name__: 'http_requests_total', job: 'api', instance, path, code },
          instance,
          value: counter(instance, code === '200' ? 40 : 1.5),
          fromK,
          toK,
        });
      }
  {
    // A new endpoint goes live mid-window: its counter starts at 0.
    let v = 0;
    const r = prng(seed + 7);
    reqs.push({
      labels: { __name__: 'http_requests_total', job: 'api', instance: api[0]!, path: '/api/v2/orders', code: '200' },
      instance: api[0]!,
      value: (k) => {
        if (k === minuteK(NEW_SERIES_MINUTE)) return 0;
        v += Math.floor(r() * 12);
        return v;
      },
      fromK: minuteK(NEW_SERIES_MINUTE),
      toK: n,
    });
  }
  families.push({ name: 'http_requests', type: 'counter', help: 'HTTP requests served.', series: reqs });

  const cpu: SeriesDef[] = [];
  for (const instance of [...api, ...workers]) {
    const [fromK, toK] = lifetime(instance);
    const job = workers.includes(instance) ? 'worker' : 'api';
    cpu.push({ labels: { __name__: 'process_cpu_seconds_total', job, instance }, instance, value: counter(instance, 0.6, 3), fromK, toK });
  }
  families.push({ name: 'process_cpu_seconds', type: 'counter', help: 'CPU time.', series: cpu });

  const jobsDone: SeriesDef[] = [];
  for (const instance of workers)
    for (const queue of ['billing', 'email'])
      jobsDone.push({
        labels: { __name__: 'jobs_processed_total', job: 'worker', instance, queue },
        instance,
        value: counter(instance, queue === 'email' ? 25 : 3),
        fromK: 0,
        toK: n,
      });
  families.push({ name: 'jobs_processed', type: 'counter', help: 'Jobs done.', series: jobsDone });

  const mem: SeriesDef[] = [];
  for (const instance of [...api, ...workers]) {
    const r = prng(Math.floor(rnd() * 2 ** 32));
    let v = 2e8 + Math.floor(r() * 3e8);
    const [fromK, toK] = lifetime(instance);
    const job = workers.includes(instance) ? 'worker' : 'api';
    mem.push({
      labels: { __name__: 'memory_usage_bytes', job, instance },
      instance,
      value: () => (v = Math.max(1e7, v + Math.floor((r() - 0.5) * 4e6))),
      fromK,
      toK,
    });
  }
  families.push({ name: 'memory_usage_bytes', type: 'gauge', help: 'Resident memory.', series: mem });

  const temps: SeriesDef[] = [];
  for (const [instance, base] of [['s1', 21.5], ['s2', -4.25]] as const) {
    const r = prng(Math.floor(rnd() * 2 ** 32));
    temps.push({
      labels: { __name__: 'room_temperature_celsius', job: 'sensors', instance },
      instance,
      value: (k) => round(base + 3 * Math.sin(k / 40) + (r() - 0.5), 2),
      fromK: 0,
      toK: n,
    });
  }
  families.push({ name: 'room_temperature_celsius', type: 'gauge', help: 'Room temperature.', series: temps });

  const queues: SeriesDef[] = [];
  for (const instance of workers)
    for (const queue of ['billing', 'email']) {
      const r = prng(Math.floor(rnd() * 2 ** 32));
      let v = 10;
      queues.push({
        labels: { __name__: 'queue_length', job: 'worker', instance, queue },
        instance,
        value: () => (v = Math.max(0, v + Math.floor((r() - 0.5) * 6))),
        fromK: 0,
        toK: n,
      });
    }
  families.push({ name: 'queue_length', type: 'gauge', help: 'Jobs waiting.', series: queues });

  {
    const r = prng(seed + 11);
    families.push({
      name: 'sensor_reading',
      type: 'gauge',
      help: 'A flaky sensor that sometimes reports NaN.',
      series: [
        {
          labels: { __name__: 'sensor_reading', job: 'sensors', instance: 's3' },
          instance: 's3',
          value: (k) => (k % 53 === 17 ? NaN : round(r() * 100, 1)),
          fromK: 0,
          toK: n,
        },
      ],
    });
  }

  const up: SeriesDef[] = [];
  for (const instance of [...api, ...workers, 's1', 's2', 's3']) {
    const job = workers.includes(instance) ? 'worker' : api.includes(instance) ? 'api' : 'sensors';
    const [fromK, toK] = lifetime(instance);
    up.push({ labels: { __name__: 'up', job, instance }, instance, value: () => 1, fromK, toK });
  }
  families.push({ name: 'up', type: 'gauge', help: 'Target health.', series: up });

  const bounds = ['0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
  const hist: SeriesDef[] = [];
  for (const instance of api)
    for (const path of ['/', '/api/users']) {
      const [fromK, toK] = lifetime(instance);
      // Precomputed per scrape: cumulative bucket counts (last = +Inf = count) and the sum.
      const r = prng(Math.floor(rnd() * 2 ** 32));
      const counts: number[][] = [];
      const sums: number[] = [];
      const cur = bounds.map(() => 0);
      let sum = 0;
      for (let k = fromK; k < toK; k++) {
        if (isReset(instance, k)) {
          cur.fill(0);
          sum = 0;
        }
        const requests = Math.floor(r() * 30);
        for (let i = 0; i < requests; i++) {
          const d = round(-Math.log(1 - r()) * (path === '/' ? 0.08 : 0.4), 4);
          sum = round(sum + d, 4);
          bounds.forEach((b, bi) => {
            if (b === '+Inf' || d <= Number(b)) cur[bi]! += 1;
          });
        }
        counts[k] = [...cur];
        sums[k] = sum;
      }
      const common = { job: 'api', instance, path };
      const mk = (name: string, extra: Record<string, string>, value: (k: number) => number): SeriesDef => ({
        labels: { __name__: name, ...common, ...extra },
        instance,
        value,
        fromK,
        toK,
      });
      bounds.forEach((le, bi) => hist.push(mk('http_request_duration_seconds_bucket', { le }, (k) => counts[k]![bi]!)));
      hist.push(mk('http_request_duration_seconds_sum', {}, (k) => sums[k]!));
      hist.push(mk('http_request_duration_seconds_count', {}, (k) => counts[k]![bounds.length - 1]!));
    }
  families.push({ name: 'http_request_duration_seconds', type: 'histogram', help: 'Request latency.', series: hist });
  return families;
}

function compareLabels(a: LabelMap, b: LabelMap): number {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
    if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
    const va = a[ka[i]!]!;
    const vb = b[kb[i]!]!;
    if (va !== vb) return va < vb ? -1 : 1;
  }
  return ka.length - kb.length;
}

const mapSeries = (fams: readonly OmFamily[], f: (s: OmSeries) => OmSeries[]): OmFamily[] =>
  fams.map((fam) => ({ ...fam, series: fam.series.flatMap(f).sort((x, y) => compareLabels(x.labels, y.labels)) }));

/** Unsafe select starts for one timestamp shape: (g[j-1], g[j]] where a merge from g[j] differs. */
function unsafeForShape(a: readonly number[], b: readonly number[], grid: readonly number[]): [number, number][] {
  const toS = (ts: readonly number[]): RefSample[] => ts.map((t) => [t, 0] as const);
  const full = penaltyMerge([toS(a), toS(b)]).map(([t]) => t);
  const out: [number, number][] = [];
  let ai = 0;
  let bi = 0;
  let fi = 0;
  for (let j = 0; j < grid.length; j++) {
    const g = grid[j]!;
    while (ai < a.length && a[ai]! < g) ai++;
    while (bi < b.length && b[bi]! < g) bi++;
    while (fi < full.length && full[fi]! < g) fi++;
    const part = penaltyMerge([toS(a.slice(ai)), toS(b.slice(bi))]).map(([t]) => t);
    const rest = full.slice(fi);
    if (part.length !== rest.length || part.some((t, i) => t !== rest[i])) {
      const from = j === 0 ? Number.NEGATIVE_INFINITY : grid[j - 1]!;
      const last = out[out.length - 1];
      if (last && last[1] === from) last[1] = g;
      else out.push([from, g]);
    }
  }
  return out;
}

export function generateHaData(opts: HaDataOptions = {}): HaData {
  const seed = opts.seed ?? 1;
  const intervalMs = opts.intervalMs ?? 15_000;
  const offsetMs = opts.offsetMs ?? 123;
  const durationMs = opts.durationMs ?? 3 * HOUR_MS;
  const endMs = opts.endMs ?? DEFAULT_END_MS;
  const g = haGrid(endMs - durationMs, durationMs, intervalMs, offsetMs);
  const outages = outagesFromMinutes(g.startMs, offsetMs, opts.outages ?? DEFAULT_OUTAGES);
  const resets: CounterReset[] = DEFAULT_RESETS.map(([instance, m]) => ({ instance, atMs: g.grid[g.minuteK(m)]! }));
  const isReset = (instance: string, k: number) => resets.some((r) => r.instance === instance && r.atMs === g.grid[k]);
  const defs = buildFamilies(seed, g.grid.length, g.minuteK, isReset);
  return assembleHaData({
    seed,
    startMs: g.startMs,
    endMs,
    intervalMs,
    offsetMs,
    cluster: opts.cluster ?? 'eu1',
    grid: g.grid,
    outages,
    resets,
    truth: materialise(defs, g.grid),
  });
}

/**
 * Default end of generated history: a fixed whole hour, not the wall clock, so that tests get the
 * same samples (and the same layout against Prometheus' 2-hour blocks and chunks) whenever they run.
 * Prometheus keeps it: test servers run with a 100-year retention and import history with promtool.
 */
export const DEFAULT_END_MS = Date.UTC(2026, 0, 10, 12);

/** The whole hour at least one hour before now: for the demo, whose history should look recent. */
export function recentEndMs(): number {
  return Math.floor((Date.now() - HOUR_MS) / HOUR_MS) * HOUR_MS;
}

/** Scrape grid of a window: startMs + k * intervalMs + offsetMs, and minute -> first grid index at or after it. */
export function haGrid(
  startMs: number,
  durationMs: number,
  intervalMs: number,
  offsetMs: number,
): { startMs: number; grid: number[]; minuteK: (m: number) => number } {
  const n = Math.floor(durationMs / intervalMs);
  const grid = Array.from({ length: n }, (_, k) => startMs + k * intervalMs + offsetMs);
  const minuteK = (m: number) => Math.ceil((Math.round(m * MINUTE_MS) - offsetMs) / intervalMs);
  return { startMs, grid, minuteK };
}

/** Outages given as [replica, fromMinute, toMinute) from the window start (shifted by offsetMs); throws if both replicas overlap. */
export function outagesFromMinutes(
  startMs: number,
  offsetMs: number,
  spec: readonly (readonly [ReplicaName, number, number])[],
): Outage[] {
  const at = (m: number) => startMs + Math.round(m * MINUTE_MS);
  const outages: Outage[] = spec.map(([replica, from, to]) => ({ replica, fromMs: at(from) + offsetMs, toMs: at(to) + offsetMs }));
  for (const x of outages)
    for (const y of outages)
      if (x.replica !== y.replica && x.fromMs < y.toMs && y.fromMs < x.toMs) throw new Error('HA data: outages of both replicas overlap');
  return outages;
}

/** Ground truth of generated families on a grid (series sorted by labels). */
export function materialise(defs: readonly FamilyDef[], grid: readonly number[]): OmFamily[] {
  return defs.map((fam) => ({
    name: fam.name,
    type: fam.type,
    help: fam.help,
    series: fam.series
      .map((s) => {
        const samples: RefSample[] = [];
        for (let k = s.fromK; k < s.toK; k++) {
          const v = s.value(k);
          if (s.present === undefined || s.present(k)) samples.push([grid[k]!, v]);
        }
        return { labels: s.labels, samples };
      })
      .sort((x, y) => compareLabels(x.labels, y.labels)),
  }));
}

/** What assembleHaData needs: the ground truth and when each replica was down. */
export interface HaCore {
  readonly seed: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly intervalMs: number;
  readonly offsetMs: number;
  readonly cluster: string;
  readonly grid: readonly number[];
  readonly outages: readonly Outage[];
  readonly resets: readonly CounterReset[];
  /** Every series over its lifetime, labels without cluster/replica. */
  readonly truth: readonly OmFamily[];
}

/**
 * Splits the truth into what each replica recorded (dropping samples inside its outages), the
 * reference penalty merge (a before b) with the cluster label, every replica series with cluster
 * and replica labels, their OpenMetrics texts, and the select-start analysis.
 */
export function assembleHaData(core: HaCore): HaData {
  const { truth, outages, cluster, startMs } = core;
  const down = (r: ReplicaName, t: number) => outages.some((o) => o.replica === r && o.fromMs <= t && t < o.toMs);
  const keep = (r: ReplicaName) => (s: OmSeries): OmSeries[] => [{ labels: s.labels, samples: s.samples.filter(([t]) => !down(r, t)) }];
  const replica = { a: mapSeries(truth, keep('a')), b: mapSeries(truth, keep('b')) };
  const expected = mapSeries(truth, (s) => {
    const [a, b] = REPLICAS.map((r) => keep(r)(s)[0]!.samples);
    return [{ labels: { ...s.labels, cluster }, samples: penaltyMerge([a!, b!]) }];
  });
  const all = mapSeries(truth, (s) =>
    REPLICAS.map((r) => ({ labels: { ...s.labels, cluster, replica: r }, samples: keep(r)(s)[0]!.samples })),
  );

  // Unsafe select starts and switch points, per distinct lifetime shape (computed on first use).
  const analysis = memo(() => analyseSwitches(truth, down));
  const openMetrics = {
    a: memo(() => renderOpenMetrics(replica.a)),
    b: memo(() => renderOpenMetrics(replica.b)),
    expected: memo(() => renderOpenMetrics(expected)),
    all: memo(() => renderOpenMetrics(all)),
  };

  return {
    seed: core.seed,
    startMs,
    endMs: core.endMs,
    intervalMs: core.intervalMs,
    offsetMs: core.offsetMs,
    cluster,
    grid: core.grid,
    outages,
    resets: core.resets,
    truth,
    replica,
    expected,
    all,
    openMetrics: {
      get a() {
        return openMetrics.a();
      },
      get b() {
        return openMetrics.b();
      },
      get expected() {
        return openMetrics.expected();
      },
      get all() {
        return openMetrics.all();
      },
    },
    get unsafeMints() {
      return analysis().unsafe;
    },
    get switches() {
      return analysis().switches;
    },
    isSafeMint: (ms: number) => !analysis().unsafe.some(([from, to]) => from < ms && ms <= to),
    at: (m: number) => startMs + Math.round(m * MINUTE_MS),
  };
}

function memo<T>(f: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = f();
      done = true;
    }
    return value;
  };
}

/** Series with the same timestamps merge the same way; intermittent series need more than first/length. */
function shapeKey(samples: readonly RefSample[]): string {
  let h = 0;
  for (const [t] of samples) h = (Math.imul(h, 31) + (t % 1_000_003)) | 0;
  return `${samples[0]?.[0]}-${samples[samples.length - 1]?.[0]}-${samples.length}-${h}`;
}

function analyseSwitches(
  truth: readonly OmFamily[],
  down: (r: ReplicaName, t: number) => boolean,
): { unsafe: [number, number][]; switches: number[] } {
  const shapes = new Map<string, readonly RefSample[]>();
  for (const fam of truth) for (const s of fam.series) shapes.set(shapeKey(s.samples), s.samples);
  const unsafe = new Map<string, [number, number]>();
  const switches = new Set<number>();
  for (const samples of shapes.values()) {
    const ts = samples.map(([t]) => t);
    const a = ts.filter((t) => !down('a', t));
    const b = ts.filter((t) => !down('b', t));
    for (const r of unsafeForShape(a, b, ts)) unsafe.set(`${r[0]}-${r[1]}`, r);
    const merged = penaltyMerge([a.map((t) => [t, 0] as const), b.map((t) => [t, 1] as const)]);
    merged.forEach(([t, v], i) => {
      if (i > 0 && v !== merged[i - 1]![1]) switches.add(t);
    });
  }
  return {
    unsafe: [...unsafe.values()].sort((x, y) => x[0] - y[0]),
    switches: [...switches].sort((x, y) => x - y),
  };
}

/** Every series of the families, flattened. */
export function allSeries(fams: readonly OmFamily[]): OmSeries[] {
  return fams.flatMap((f) => [...f.series]);
}

export { compareLabels };
