/**
 * A seeded generator of valid PromQL queries and the HA data set they run on, for the randomized
 * differential test (test/e2e/promql-fuzz.test.ts): promdedup over an HA pair against Prometheus
 * 2.42 holding the reference-deduplicated data.
 *
 * Data: hadata.ts' HA machinery (15 s scrapes at +123 ms, outages of each replica that never overlap,
 * reference penalty merge) over a fixed window (never the wall clock), with families chosen to reach
 * PromQL's edge cases: counters with a genuine reset, fractional counters, gauges with negatives and
 * zeros, a gauge with NaN / ±Inf / −0 samples, 0/1 health, an info metric for joins, a classic
 * histogram, an intermittent series, and two metrics with the same labels that hand over mid-window
 * (name removal makes them collide).
 *
 * Timing: every query time is a whole minute and every duration the generator writes (ranges,
 * offsets, subquery ranges and steps, `@` times) is a whole number of minutes, so every select start
 * is a whole minute, which the penalty merge always handles like the full history (checked in the test).
 */
import { assembleHaData, haGrid, materialise, outagesFromMinutes, type FamilyDef, type HaData, type SeriesDef } from './hadata.js';
import { prng } from './prng.js';

export const FUZZ_STEP_MS = 15_000;
/** Fixed data window: 2024-03-01 00:00 UTC + 3 h. */
export const FUZZ_END_MS = Date.UTC(2024, 2, 1, 3, 0, 0);
export const FUZZ_DURATION_MS = 3 * 3_600_000;

const INSTANCES = ['i1', 'i2', 'i3'];
const CODES = ['200', '500'];
const METHODS = ['get', 'post'];
const KINDS = ['nan', 'inf', 'minf', 'mixed', 'neg0'];
const LES = ['0.1', '0.5', '1', '+Inf'];

/** Labels (besides __name__) each metric carries, with their values; `cluster` comes from the HA setup. */
export const CATALOG: Record<string, Record<string, readonly string[]>> = {
  fz_requests_total: { job: ['api'], instance: INSTANCES, code: CODES, method: METHODS },
  fz_cpu_seconds_total: { job: ['api', 'worker'], instance: INSTANCES },
  fz_gauge: { job: ['api', 'worker'], instance: INSTANCES },
  fz_temp: { job: ['sensor'], instance: INSTANCES, room: ['a', 'b'] },
  fz_special: { job: ['sensor'], instance: ['i1'], kind: KINDS },
  fz_up: { job: ['api', 'worker', 'sensor'], instance: INSTANCES },
  fz_info: { job: ['api'], instance: INSTANCES, version: ['1.0', '2.0'] },
  fz_latency_seconds_bucket: { job: ['api'], instance: INSTANCES, le: LES },
  fz_latency_seconds_count: { job: ['api'], instance: INSTANCES },
  fz_flaky: { job: ['worker'], instance: ['i1', 'i2'] },
  fz_old: { job: ['api'], instance: ['i1', 'i2'] },
  fz_new: { job: ['api'], instance: ['i1', 'i2'] },
};
const METRICS = Object.keys(CATALOG);
const ALL_LABELS = ['job', 'instance', 'code', 'method', 'room', 'kind', 'version', 'le', 'cluster'];

const round = (v: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

function families(seed: number, n: number, minuteK: (m: number) => number): FamilyDef[] {
  const rnd = prng(seed);
  const sub = () => prng(Math.floor(rnd() * 2 ** 32));
  const mk = (name: string, labels: Record<string, string>, value: SeriesDef['value'], extra: Partial<SeriesDef> = {}): SeriesDef => ({
    labels: { __name__: name, ...labels },
    instance: labels.instance ?? 'none',
    value,
    fromK: 0,
    toK: n,
    ...extra,
  });
  const resetK = minuteK(75);
  const fams: FamilyDef[] = [];

  const reqs: SeriesDef[] = [];
  for (const instance of INSTANCES)
    for (const code of CODES)
      for (const method of METHODS) {
        const r = sub();
        let v = Math.floor(r() * 1000);
        const mean = code === '200' ? 30 : 1;
        reqs.push(
          mk('fz_requests_total', { job: 'api', instance, code, method }, (k) => {
            const inc = Math.floor(r() * mean * 2);
            v = instance === 'i2' && k === resetK ? inc : v + inc;
            return v;
          }),
        );
      }
  fams.push({ name: 'fz_requests', type: 'counter', help: 'Requests.', series: reqs });

  const cpu: SeriesDef[] = [];
  for (const job of ['api', 'worker'])
    for (const instance of INSTANCES) {
      const r = sub();
      let v = r() * 100;
      cpu.push(mk('fz_cpu_seconds_total', { job, instance }, () => (v = round(v + r() * 7.5, 3))));
    }
  fams.push({ name: 'fz_cpu_seconds', type: 'counter', help: 'CPU.', series: cpu });

  const gauge: SeriesDef[] = [];
  for (const job of ['api', 'worker'])
    for (const instance of INSTANCES) {
      const r = sub();
      let v = Math.floor(r() * 20) - 10;
      gauge.push(mk('fz_gauge', { job, instance }, () => (v = Math.max(-50, Math.min(50, v + Math.floor((r() - 0.5) * 7))))));
    }
  fams.push({ name: 'fz_gauge', type: 'gauge', help: 'Integer gauge around zero.', series: gauge });

  const temp: SeriesDef[] = [];
  for (const instance of INSTANCES)
    for (const room of ['a', 'b']) {
      const r = sub();
      const base = room === 'a' ? 21.5 : -3.25;
      temp.push(mk('fz_temp', { job: 'sensor', instance, room }, (k) => round(base + 4 * Math.sin(k / 30) + (r() - 0.5), 2)));
    }
  fams.push({ name: 'fz_temp', type: 'gauge', help: 'Temperatures.', series: temp });

  const specials: Record<string, (k: number) => number> = {
    nan: () => NaN,
    inf: (k) => (k % 5 === 0 ? 1 : Infinity),
    minf: (k) => (k % 7 === 0 ? -2 : -Infinity),
    mixed: (k) => [1, NaN, 3, Infinity, -0, -Infinity, 2.5][k % 7]!,
    neg0: (k) => (k % 3 === 0 ? 0 : -0),
  };
  fams.push({
    name: 'fz_special',
    type: 'gauge',
    help: 'NaN, infinities and negative zero.',
    series: KINDS.map((kind) => mk('fz_special', { job: 'sensor', instance: 'i1', kind }, specials[kind]!)),
  });

  const up: SeriesDef[] = [];
  for (const job of ['api', 'worker', 'sensor'])
    for (const instance of INSTANCES) {
      const r = sub();
      up.push(mk('fz_up', { job, instance }, () => (r() < 0.9 ? 1 : 0)));
    }
  fams.push({ name: 'fz_up', type: 'gauge', help: 'Health.', series: up });

  fams.push({
    name: 'fz_info',
    type: 'gauge',
    help: 'Build info; i2 upgrades mid-window.',
    series: [
      mk('fz_info', { job: 'api', instance: 'i1', version: '1.0' }, () => 1),
      mk('fz_info', { job: 'api', instance: 'i2', version: '1.0' }, () => 1, { toK: minuteK(90) }),
      mk('fz_info', { job: 'api', instance: 'i2', version: '2.0' }, () => 1, { fromK: minuteK(90) }),
      mk('fz_info', { job: 'api', instance: 'i3', version: '2.0' }, () => 1),
    ],
  });

  const hist: SeriesDef[] = [];
  const count: SeriesDef[] = [];
  for (const instance of INSTANCES) {
    const r = sub();
    const cur = LES.map(() => 0);
    const at: number[][] = [];
    for (let k = 0; k < n; k++) {
      const reqs = Math.floor(r() * 20);
      for (let i = 0; i < reqs; i++) {
        const d = -Math.log(1 - r()) * 0.3;
        LES.forEach((le, bi) => {
          if (le === '+Inf' || d <= Number(le)) cur[bi]! += 1;
        });
      }
      at.push([...cur]);
    }
    LES.forEach((le, bi) => hist.push(mk('fz_latency_seconds_bucket', { job: 'api', instance, le }, (k) => at[k]![bi]!)));
    count.push(mk('fz_latency_seconds_count', { job: 'api', instance }, (k) => at[k]![LES.length - 1]!));
  }
  fams.push({ name: 'fz_latency_seconds', type: 'histogram', help: 'Latency.', series: [...hist, ...count] });

  const flaky: SeriesDef[] = [];
  // Present for 5 minutes, then absent for 2.5 (i2 shifted), except around the outages: gaps
  // there would make the penalty merge depend on where a select starts.
  const nearOutage = (k: number) => OUTAGES.some(([, from, to]) => k >= minuteK(from - 10) && k < minuteK(to + 10));
  for (const [i, instance] of ['i1', 'i2'].entries())
    flaky.push(
      mk('fz_flaky', { job: 'worker', instance }, (k) => k % 11, { present: (k) => nearOutage(k) || Math.floor((k + 7 * i) / 10) % 3 !== 2 }),
    );
  fams.push({ name: 'fz_flaky', type: 'gauge', help: 'Intermittent.', series: flaky });

  // fz_old hands over to fz_new at minute 100: same labels, so dropping the name makes them collide.
  fams.push({
    name: 'fz_old',
    type: 'gauge',
    help: 'Retired metric.',
    series: ['i1', 'i2'].map((instance) => mk('fz_old', { job: 'api', instance }, (k) => k % 13, { toK: minuteK(100) })),
  });
  fams.push({
    name: 'fz_new',
    type: 'gauge',
    help: 'Its successor.',
    series: ['i1', 'i2'].map((instance) => mk('fz_new', { job: 'api', instance }, (k) => k % 17, { fromK: minuteK(100) })),
  });
  return fams;
}

/** Outages at x.5 minutes (two rolling restarts, a b-only outage, a single missed scrape). */
const OUTAGES = [
  ['a', 50.5, 55.5],
  ['b', 55.5, 60.5],
  ['b', 80.5, 84.5],
  ['a', 120.5, 120.75],
  ['a', 140.5, 146.5],
  ['b', 146.5, 150.5],
] as const;

export function generateFuzzData(seed = 1): HaData {
  const g = haGrid(FUZZ_END_MS - FUZZ_DURATION_MS, FUZZ_DURATION_MS, FUZZ_STEP_MS, 123);
  return assembleHaData({
    seed,
    startMs: g.startMs,
    endMs: FUZZ_END_MS,
    intervalMs: FUZZ_STEP_MS,
    offsetMs: 123,
    cluster: 'fz',
    grid: g.grid,
    outages: outagesFromMinutes(g.startMs, 123, OUTAGES),
    resets: [],
    truth: materialise(families(seed, g.grid.length, g.minuteK), g.grid),
  });
}

// ---- the query generator -----------------------------------------------------------------------

export interface FuzzQuery {
  readonly query: string;
  /** Instant-vector order matters (top-level sort/sort_desc/topk/bottomk). */
  readonly ordered: boolean;
}

const RANGES = ['1m', '2m', '5m', '10m', '1m', '2m', '5m', '30m', '1h'];
const OFFSETS = ['1m', '5m', '10m', '-1m', '-5m', '1h'];
const SUB_RANGES = ['5m', '10m', '15m', '30m'];
const SUB_STEPS = ['1m', '2m', '5m', ''];
const NUMBERS = ['0', '1', '2', '0.5', '-1', '3', '10', '100', '0.25', '1e3', '-0.5', 'NaN', 'Inf', '-Inf', '1e308', '-1e308', '5e-324', '0x10', '.5', '1e-3', '-0'];
const ARITH = ['+', '-', '*', '/', '%', '^', 'atan2'];
const COMPARE = ['==', '!=', '>', '<', '>=', '<='];
const SETS = ['and', 'or', 'unless'];
const AGGS = ['sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar'];
/**
 * The functions that switch the dedup to counter mode (Thanos: NaN samples dropped, a replica switch
 * never lowers the value): on anything but a counter that only resets inside one replica, the HA
 * answer rightly differs from plain Prometheus, so these only read counters.
 */
const COUNTER_FUNCS = ['rate', 'irate', 'increase', 'resets'];
const COUNTERS = ['fz_requests_total', 'fz_cpu_seconds_total', 'fz_latency_seconds_bucket', 'fz_latency_seconds_count'];
const RANGE_FUNCS = [
  'delta', 'idelta', 'deriv', 'changes', 'avg_over_time', 'min_over_time', 'max_over_time',
  'sum_over_time', 'count_over_time', 'stddev_over_time', 'stdvar_over_time', 'last_over_time', 'present_over_time', 'absent_over_time',
];
const MATH_FUNCS = [
  'abs', 'ceil', 'floor', 'exp', 'ln', 'log2', 'log10', 'sqrt', 'sgn', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh',
  'tanh', 'asinh', 'acosh', 'atanh', 'deg', 'rad',
];
const DATE_FUNCS = ['minute', 'hour', 'day_of_week', 'day_of_month', 'day_of_year', 'days_in_month', 'month', 'year'];

export class QueryGenerator {
  private readonly r: () => number;
  /** Whole-minute times (seconds) usable with `@`. */
  private readonly atTimes: readonly number[];

  constructor(seed: number, atTimesSec: readonly number[]) {
    this.r = prng(seed);
    this.atTimes = atTimesSec;
  }

  private int(n: number): number {
    return Math.floor(this.r() * n);
  }
  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  private chance(p: number): boolean {
    return this.r() < p;
  }

  next(): FuzzQuery {
    const query = this.chance(0.01) ? this.pick(['"a string"', '"\\u00e9\\n"', '`raw`']) : this.chance(0.1) ? this.scalar(3) : this.vector(3);
    return { query, ordered: isOrdered(query) };
  }

  private labelsOf(metric: string | null): string[] {
    return metric === null ? ALL_LABELS : [...Object.keys(CATALOG[metric]!), 'cluster'];
  }

  private labelList(metric: string | null, max = 2): string {
    const pool = this.labelsOf(metric);
    const n = this.int(max + 1);
    const out = new Set<string>();
    for (let i = 0; i < n; i++) out.add(this.chance(0.9) ? this.pick(pool) : this.pick(ALL_LABELS));
    return [...out].join(', ');
  }

  private matcher(metric: string): string {
    const labels = CATALOG[metric]!;
    const name = this.pick(Object.keys(labels));
    const values = labels[name]!;
    const op = this.pick(['=', '=', '!=', '=~', '!~']);
    let v: string;
    const re = (x: string) => x.replace(/[.+*?()|[\]{}^$\\]/g, '\\$&');
    if (op === '=~' || op === '!~') v = this.chance(0.5) ? `${re(this.pick(values))}|${re(this.pick(values))}` : `${re(this.pick(values).slice(0, 1))}.*`;
    else v = this.chance(0.9) ? this.pick(values) : 'nosuch';
    return `${name}${op}"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  }

  /** A selector and the metric it reads (null for a __name__ regex). */
  private selector(): { text: string; metric: string | null } {
    if (this.chance(0.05)) return { text: `{__name__=~"fz_old|fz_new"${this.chance(0.5) ? ', instance="i1"' : ''}}`, metric: null };
    const metric = this.pick(METRICS);
    const ms: string[] = [];
    const n = this.chance(0.6) ? 0 : this.int(2) + 1;
    for (let i = 0; i < n; i++) ms.push(this.matcher(metric));
    return { text: ms.length > 0 ? `${metric}{${ms.join(', ')}}` : metric, metric };
  }

  private modifiers(): string {
    let s = '';
    if (this.chance(0.15)) s += ` offset ${this.pick(OFFSETS)}`;
    if (this.chance(0.07)) s += ` @ ${this.chance(0.7) ? this.pick(this.atTimes) : this.pick(['start()', 'end()'])}`;
    return s;
  }

  private matrix(depth: number, counter = false): string {
    if (depth > 1 && this.chance(0.12)) {
      let inner = this.vector(Math.min(depth - 1, 2), true);
      // A bare selector in a subquery still feeds the function (its select is in counter mode).
      // (Unary minus and parentheses pass the function on too; Prometheus' extractFuncFromPath.)
      if (counter && /^[-( ]*[a-z_{][^()]*[) ]*$/.test(inner.replace(/@ (start|end)\(\)/g, ''))) inner = this.counterSelector();
      return `(${inner})[${this.pick(SUB_RANGES)}:${this.pick(SUB_STEPS)}]${this.modifiers()}`;
    }
    return `${counter ? this.counterSelector() : this.selector().text}[${this.pick(RANGES)}]${this.modifiers()}`;
  }

  private counterSelector(): string {
    const metric = this.pick(COUNTERS);
    return this.chance(0.6) ? metric : `${metric}{${this.matcher(metric)}}`;
  }

  scalar(depth: number): string {
    const k = depth <= 0 ? 0 : this.int(10);
    if (k < 5) return this.pick(NUMBERS);
    if (k < 7) return `scalar(${this.vector(depth - 1)})`;
    if (k < 8) return this.pick(['time()', 'pi()']);
    if (k < 9) {
      if (this.chance(0.2)) return `-${this.pick(['time()', '(pi())', `(${this.scalar(depth - 1)})`])}`;
      return `(${this.scalar(depth - 1)} ${this.pick(ARITH)} ${this.scalar(depth - 1)})`;
    }
    return `(${this.scalar(depth - 1)} ${this.pick(COMPARE)} bool ${this.scalar(depth - 1)})`;
  }

  vector(depth: number, inSubquery = false): string {
    if (depth <= 0) return this.selector().text + this.modifiers();
    const k = this.int(100);
    if (k < 14) return this.selector().text + this.modifiers();
    if (k < 34) return this.rangeCall(depth);
    if (k < 50) return this.aggregation(depth);
    if (k < 64) return this.vectorBinary(depth);
    if (k < 70) return this.join(depth);
    if (k < 78) return this.scalarBinary(depth);
    if (k < 88) return this.instantCall(depth);
    if (k < 92) return this.labelFunc(depth);
    if (k < 95) return this.histogram(depth);
    if (k < 97 && !inSubquery) return `-(${this.vector(depth - 1)})`;
    return `vector(${this.scalar(depth - 1)})`;
  }

  private rangeCall(depth: number): string {
    if (this.chance(0.3)) return `${this.pick(COUNTER_FUNCS)}(${this.matrix(depth, true)})`;
    const m = this.matrix(depth);
    const k = this.int(10);
    if (k === 0) return `quantile_over_time(${this.chance(0.8) ? this.pick(['0', '0.5', '0.9', '1', '-1', '2', '0.25', 'NaN']) : this.scalar(1)}, ${m})`;
    if (k === 1) return `predict_linear(${m}, ${this.chance(0.8) ? this.pick(['60', '300', '-60', '0', '0.5']) : this.scalar(1)})`;
    if (k === 2) return `holt_winters(${m}, ${this.pick(['0.5', '0.1', '0.9', '0', '1'])}, ${this.pick(['0.5', '0.3', '0.8', '1', '0'])})`;
    return `${this.pick(RANGE_FUNCS)}(${m})`;
  }

  private grouping(metric: string | null): string {
    if (this.chance(0.3)) return '';
    return ` ${this.chance(0.75) ? 'by' : 'without'} (${this.labelList(metric)})`;
  }

  private aggregation(depth: number): string {
    const inner = this.vector(depth - 1);
    const g = this.grouping(null);
    const k = this.int(12);
    if (k === 0) return `topk${g} (${this.kParam()}, ${inner})`;
    if (k === 1) return `bottomk${g} (${this.kParam()}, ${inner})`;
    if (k === 2) return `quantile${g} (${this.chance(0.8) ? this.pick(['0', '0.5', '0.9', '1', '0.33', '-0.5', '1.5', 'NaN', 'Inf']) : this.scalar(1)}, ${inner})`;
    if (k === 3) return `count_values${g} ("${this.pick(['val', 'val', 'val', 'instance', 'le', '__name__', '1bad', ''])}", ${inner})`;
    return `${this.pick(AGGS)}${g} (${inner})`;
  }

  /** k of topk/bottomk: ordinary, fractional, < 1, and values that do not fit an int64. */
  private kParam(): string {
    if (this.chance(0.15)) return this.pick(['NaN', 'Inf', '-Inf', '1e19', '-1e19', '9223372036854775807', '-9223372036854775808']);
    if (this.chance(0.15)) return this.scalar(1);
    return this.pick(['1', '2', '3', '0', '-1', '1.5', '100', '2.9']);
  }

  private matching(isSet: boolean, lhsMetric: string | null): string {
    const k = this.int(10);
    if (k < 4) return '';
    const kind = k < 7 ? 'on' : 'ignoring';
    let s = ` ${kind} (${this.chance(0.05) ? '__name__' : this.labelList(lhsMetric)})`;
    if (!isSet && this.chance(0.35)) {
      s += ` ${this.chance(0.5) ? 'group_left' : 'group_right'}`;
      if (this.chance(0.5)) s += ` (${this.labelList(lhsMetric, 1)})`;
    }
    return s;
  }

  /** Two operands from related data more often than not, so that matching finds pairs. */
  private vectorBinary(depth: number): string {
    const k = this.int(10);
    const op = k < 4 ? this.pick(ARITH) : k < 7 ? this.pick(COMPARE) : this.pick(SETS);
    const isSet = SETS.includes(op);
    const bool = COMPARE.includes(op) && this.chance(0.5) ? ' bool' : '';
    const lhs = this.vector(depth - 1);
    const rhs = this.chance(0.3) ? lhs : this.vector(depth - 1);
    return `(${lhs}) ${op}${bool}${this.matching(isSet, null)} (${rhs})`;
  }

  /** Joins that match: per-instance info, a series against its own aggregate, cardinality traps. */
  private join(depth: number): string {
    const v = this.vector(depth - 1);
    const op = this.chance(0.6) ? this.pick(ARITH) : `${this.pick(COMPARE)}${this.chance(0.4) ? ' bool' : ''}`;
    const agg = this.pick(['sum', 'count', 'max', 'avg', 'group']);
    const by = this.pick(['job', 'instance', 'job, instance', 'cluster']);
    switch (this.int(5)) {
      case 0:
        return `(${v}) ${op} on (instance${this.chance(0.5) ? ', job' : ''}) group_left (version) fz_info`;
      case 1:
        return `fz_info ${op} on (instance${this.chance(0.5) ? ', job' : ''}) group_right (version) (${v})`;
      case 2:
        return `(${v}) ${op} on (${by}) group_left ${agg} by (${by}) (${v})`;
      case 3:
        return `${agg} by (${by}) (${v}) ${op} on (${by}) group_right (${v})`;
      default:
        // One-to-one against an aggregate: fails unless a filter or an empty side saves it (2.x).
        return `(${v}) ${op} on (${by}) ${agg} by (${by}) (${v})`;
    }
  }

  private scalarBinary(depth: number): string {
    const k = this.int(10);
    const op = k < 6 ? this.pick(ARITH) : this.pick(COMPARE);
    const bool = COMPARE.includes(op) && this.chance(0.4) ? ' bool' : '';
    const v = `(${this.vector(depth - 1)})`;
    const s = this.scalar(depth - 1);
    return this.chance(0.5) ? `${v} ${op}${bool} ${s}` : `${s} ${op}${bool} ${v}`;
  }

  private instantCall(depth: number): string {
    const v = this.vector(depth - 1);
    const k = this.int(16);
    if (k < 6) return `${this.pick(MATH_FUNCS)}(${v})`;
    if (k === 6) return `round(${v}${this.chance(0.5) ? `, ${this.pick(['0.5', '10', '0.1', '-1', '0', 'NaN', 'Inf', '3'])}` : ''})`;
    if (k === 7) return `clamp(${v}, ${this.pick(['-1', '0', '5', 'NaN', '-Inf'])}, ${this.pick(['1', '10', '-5', 'NaN', 'Inf'])})`;
    if (k === 8) return `${this.pick(['clamp_min', 'clamp_max'])}(${v}, ${this.scalar(0)})`;
    if (k === 9) return `timestamp(${v})`;
    if (k === 10) return `${this.pick(['sort', 'sort_desc'])}(${v})`;
    if (k === 11) return `absent(${v})`;
    if (k === 12) return `${this.pick(DATE_FUNCS)}(${this.chance(0.7) ? v : ''})`;
    if (k === 13) return `${this.pick(DATE_FUNCS)}(timestamp(${v}))`;
    return `${this.pick(MATH_FUNCS)}(${v})`;
  }

  private labelFunc(depth: number): string {
    const v = this.vector(depth - 1);
    const dst = this.pick(['instance', 'job', 'new', 'code', '__name__', 'new', '1bad']);
    if (this.chance(0.6)) {
      const src = this.pick(['instance', 'job', 'code', 'kind', 'nosuch', '__name__']);
      const [regex, repl] = this.pick([
        ['(.*)', '$1'],
        ['i(.)', 'host-$1'],
        ['.*', 'x'],
        ['(a)(p)i', '${2}${1}'],
        ['', 'empty'],
        ['(.*)', ''],
        ['(', 'x'],
        ['(?P<name>.+)', '$name-${name}'],
      ] as const);
      return `label_replace(${v}, "${dst}", "${repl}", "${src}", "${regex}")`;
    }
    const srcs = Array.from({ length: this.int(3) }, () => `"${this.pick(['instance', 'job', 'code', 'le', 'nosuch'])}"`);
    return `label_join(${v}, "${dst}", "${this.pick([',', '-', ''])}"${srcs.map((s) => `, ${s}`).join('')})`;
  }

  private histogram(depth: number): string {
    const q = this.pick(['0.5', '0.9', '0.99', '0', '1', '-1', '2', 'NaN']);
    const r = this.pick(RANGES);
    const inner = this.chance(0.5)
      ? `sum by (le${this.chance(0.5) ? ', instance' : ''}) (rate(fz_latency_seconds_bucket[${r}]))`
      : this.chance(0.7)
        ? `rate(fz_latency_seconds_bucket[${r}])`
        : this.vector(depth - 1);
    return `histogram_quantile(${q}, ${inner})`;
  }
}

/** Top-level sort/sort_desc/topk/bottomk: Prometheus keeps their order in instant results. */
export function isOrdered(q: string): boolean {
  return /^(sort|sort_desc)\(/.test(q) || /^(topk|bottomk)[ (]/.test(q);
}
