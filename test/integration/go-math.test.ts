/**
 * Differential test of the PromQL math kernels against a real Prometheus (Go, linux/amd64).
 *
 * Input values are imported as OpenMetrics samples, one per second, in a few series (value
 * classes); each function is then one range query with step = 1 s over all of them, so every
 * kernel sees tens of thousands of inputs in a single HTTP call. The kernels are called directly
 * on the same inputs and each result must equal Prometheus's bit for bit (parsed from the JSON
 * value string, which is the shortest round-trip form; -0 and NaN compare with Object.is).
 * The same server also holds six small-integer series for topk/bottomk: 10000 steps of random tie
 * patterns, where the engine in dialect '2' must keep exactly the series Prometheus 2.42 keeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arith, DATE_FUNCTIONS, MATH_FUNCTIONS, round, type ArithOp } from '../../src/promql/functions/math.js';
import { labelsFromRecord } from '../../src/model/labels.js';
import { samplesFromArrays, type Series } from '../../src/model/samples.js';
import { MemoryQuerier } from '../support/memory-querier.js';
import { parseExpr } from '../../src/promql/parser.js';
import { runQuery } from '../../src/promql/eval/run.js';
import { prometheusAvailable, startPrometheus, type PrometheusServer } from '../support/prometheus.js';

const avail = prometheusAvailable();
if (!avail) console.warn('SKIP: prometheus/promtool not on PATH: go-math differential tests skipped');

const N = 10_000; // samples per series = steps per query (Prometheus caps a range query at 11000 points)
const T0 = Date.UTC(2026, 0, 10, 8) / 1000; // seconds; fixed, not the clock (test servers keep 100 years)

// ---- deterministic inputs ------------------------------------------------------------------------

let seed = 0x9e3779b9;
function rand32(): number {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}
function rand(): number {
  return rand32() / 4294967296;
}
const dv = new DataView(new ArrayBuffer(8));
function fromBits(hi: number, lo: number): number {
  dv.setUint32(0, hi >>> 0);
  dv.setUint32(4, lo >>> 0);
  return dv.getFloat64(0);
}
function bitsHiLo(x: number): [number, number] {
  dv.setFloat64(0, x);
  return [dv.getUint32(0), dv.getUint32(4)];
}
/** x moved by `n` ulps (n may be negative), through the bit pattern. */
function ulps(x: number, n: number): number {
  const [hi, lo] = bitsHiLo(x);
  const v = BigInt(hi) * 4294967296n + BigInt(lo) + BigInt(x < 0 ? -n : n);
  return fromBits(Number(v >> 32n), Number(v & 0xffffffffn));
}
/** A random double with a random exponent in [e0, e1] and a random sign. */
function logUniform(e0: number, e1: number): number {
  const m = 1 + rand();
  const e = e0 + Math.floor(rand() * (e1 - e0 + 1));
  const v = m * 2 ** e;
  return rand() < 0.5 ? -v : v;
}

function fill(gen: (i: number) => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < N; i++) out.push(gen(i));
  return out;
}

const LN2 = Math.LN2;
/** Special points: thresholds of the Go kernels, exact ties, extreme magnitudes. */
function specials(): number[] {
  const s = new Set<number>();
  const add = (v: number) => {
    s.add(v);
    s.add(-v);
    for (const d of [-2, -1, 1, 2]) {
      s.add(ulps(v, d));
      s.add(-ulps(v, d));
    }
  };
  for (const v of [
    0, 1, 2, 0.5, 0.625, 21, 44.014845965556525, 2 ** 28, 2 ** -28, 2 ** -29, 2 ** -54, 2 ** 29, 2 ** 30, 2 ** 52, 2 ** 53,
    709.782712893384, 709.436139303104, 708.3964185322641, 745.1332191019411, 744.4400719213812, 1075 * LN2, 1074 * LN2,
    1e-300, 1e-310, 5e-324, 2.2250738585072014e-308, 1.7976931348622157e308, 1e308, 1e300, 1e22, 1e15, 1e9, 1e6,
    Math.PI, Math.PI / 2, Math.PI / 4, 3 * Math.PI / 4, 2 * Math.PI, 1e6 * Math.PI, 0.7071067811865476, 1.4142135623730951,
    0.41421356237309503, 0.2928932188134524, 88.02969193111305, 3.725290298461914e-9,
  ])
    add(v);
  // exp: k·ln2 (rounding of k), (k+½)·ln2 (ties of CVTSD2SL)
  for (let k = -1080; k <= 1030; k += 7) {
    add(k * LN2);
    add((k + 0.5) * LN2);
  }
  // ln: √2/2·2^n, 1 ± small, subnormals, powers of two and ten
  for (let n = -1074; n <= 1023; n += 13) {
    add(0.7071067811865476 * 2 ** n);
    add(2 ** n);
  }
  for (let n = -20; n <= 22; n++) add(10 ** n);
  for (let n = 1; n <= 40; n++) {
    s.add(ulps(1, n));
    s.add(ulps(1, -n));
  }
  // sin/cos/tan: large arguments and multiples of π/4
  for (let n = 29; n <= 1023; n += 3) add((1 + rand()) * 2 ** n);
  for (let k = 1; k <= 64; k++) add((k * Math.PI) / 4);
  s.add(Infinity);
  s.add(-Infinity);
  s.add(NaN);
  const out = [...s];
  while (out.length < N) out.push(logUniform(-1074, 1023));
  return out.slice(0, N);
}

const SERIES: Record<string, number[]> = {
  ordinary: fill((i) => (i % 3 === 0 ? (rand() - 0.5) * 20 : i % 3 === 1 ? (rand() - 0.5) * 2000 : (rand() - 0.5) * 2)),
  magnitudes: fill(() => logUniform(-70, 70)),
  wide: fill(() => fromBits(rand32(), rand32())), // every exponent, subnormals, some NaN
  specials: specials(),
  unit: fill((i) => (i % 2 === 0 ? rand() * 2 - 1 : 1 + rand() * 9)), // asin/acos/atanh/acosh domains
};

/** Second operands for the binary operators, at the same timestamps. */
function exponents(): number[] {
  const pick = [0, -0, 1, -1, 2, -2, 3, 0.5, -0.5, 1.5, 2.5, 0.1, 1 / 3, -1.75, 10, 64, 1023, 1e-9, 1e9, 1e300, NaN, Infinity, -Infinity];
  return fill((i) =>
    i % 4 === 0 ? pick[i % pick.length]! : i % 4 === 1 ? (rand() - 0.5) * 20 : i % 4 === 2 ? Math.round((rand() - 0.5) * 40) : logUniform(-40, 40),
  );
}
const RHS = exponents();

/** topk/bottomk tie patterns: TIE_SERIES series, values 1..3 (sometimes NaN) per second. */
const TIE_SERIES = 6;
const TIES: number[][] = Array.from({ length: TIE_SERIES }, () => fill(() => (rand() < 0.03 ? NaN : 1 + Math.floor(rand() * 3))));

function fmtOM(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

function openMetrics(): string {
  const lines = ['# TYPE x gauge'];
  for (const [name, vals] of Object.entries(SERIES)) for (let i = 0; i < N; i++) lines.push(`x{c="${name}"} ${fmtOM(vals[i]!)} ${T0 + i}`);
  lines.push('# TYPE t gauge');
  for (let j = 0; j < TIE_SERIES; j++) for (let i = 0; i < N; i++) lines.push(`t{s="${j}"} ${fmtOM(TIES[j]![i]!)} ${T0 + i}`);
  lines.push('# TYPE y gauge');
  for (let i = 0; i < N; i++) lines.push(`y ${fmtOM(RHS[i]!)} ${T0 + i}`);
  lines.push('# EOF');
  return lines.join('\n') + '\n';
}

interface Matrix {
  metric: Record<string, string>;
  values: [number, string][];
}

async function rangeQuery(url: string, query: string): Promise<Matrix[]> {
  const p = new URLSearchParams({ query, start: String(T0), end: String(T0 + N - 1), step: '1' });
  const r = await fetch(`${url}/api/v1/query_range`, { method: 'POST', body: p });
  const j = (await r.json()) as { status: string; error?: string; data: { result: Matrix[] } };
  if (j.status !== 'success') throw new Error(`${query}: ${j.error}`);
  return j.data.result;
}

interface Tally {
  checked: number;
  diffs: string[];
}

function compareSeries(
  res: Matrix[],
  label: (m: Matrix) => number[] | undefined,
  kernel: (v: number, rhs: number) => number,
  t: Tally,
  name: string,
  binary: boolean,
): void {
  for (const m of res) {
    const inputs = label(m);
    if (inputs === undefined) throw new Error(`${name}: unexpected series ${JSON.stringify(m.metric)}`);
    for (const [ts, vs] of m.values) {
      const i = Math.round(ts - T0);
      const want = vs === '+Inf' ? Infinity : vs === '-Inf' ? -Infinity : parseFloat(vs);
      const got = kernel(inputs[i]!, RHS[i]!);
      t.checked++;
      if (!Object.is(want, got) && !(Number.isNaN(want) && Number.isNaN(got)))
        t.diffs.push(`${name}(${inputs[i]}${binary ? `, ${RHS[i]}` : ''}): prometheus ${vs}, ours ${got}`);
    }
  }
}

const UNARY = ['exp', 'ln', 'log2', 'log10', 'sqrt', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'deg', 'rad', 'abs', 'ceil', 'floor', 'sgn'];
const DATES = ['year', 'month', 'day_of_month', 'day_of_year', 'day_of_week', 'days_in_month', 'hour', 'minute'];

/** (series s, step) pairs that promdedup's engine (dialect '2') keeps for `query` over the tie data. */
async function oursTies(query: string): Promise<Set<string>> {
  const data: Series[] = TIES.map((vals, j) => ({
    labels: labelsFromRecord({ __name__: 't', s: String(j) }),
    samples: samplesFromArrays(
      vals.map((_, i) => (T0 + i) * 1000),
      vals,
      vals.map(() => 0),
    ),
  }));
  const r = await runQuery({
    expr: parseExpr(query),
    query,
    start: T0 * 1000,
    end: (T0 + N - 1) * 1000,
    step: 1000,
    querier: new MemoryQuerier(data),
    engine: { lookbackDelta: 300_000, defaultEvaluationInterval: 60_000, maxSamples: 50_000_000, enableExperimentalFunctions: true },
    options: { compat: '2', lookbackDelta: 0, signal: new AbortController().signal },
    delayedNameRemoval: true,
  });
  if (r.value.type !== 'matrix') throw new Error('expected a matrix');
  const out = new Set<string>();
  for (const s of r.value.series) {
    const id = s.labels.find((l) => l.name === 's')!.value;
    for (const t of s.timestamps) out.add(`${id}@${t / 1000 - T0}`);
  }
  return out;
}

describe.skipIf(!avail)('Go math kernels vs a real Prometheus (linux/amd64)', () => {
  let prom: PrometheusServer;
  const byClass = (m: Matrix) => SERIES[m.metric.c ?? ''];

  beforeAll(async () => {
    prom = await startPrometheus({ openMetrics: openMetrics() });
  }, 120_000);
  afterAll(async () => {
    await prom?.stop();
  });

  async function run(name: string, query: string, kernel: (v: number, rhs: number) => number, binary = false): Promise<Tally> {
    const t: Tally = { checked: 0, diffs: [] };
    compareSeries(await rangeQuery(prom.url, query), byClass, kernel, t, name, binary);
    return t;
  }

  function report(name: string, t: Tally): void {
    console.log(`${name}: ${t.checked} inputs, ${t.diffs.length} differ${t.diffs.length ? ` — ${t.diffs.slice(0, 3).join('; ')}` : ''}`);
  }

  it.each(UNARY)('%s', async (name) => {
    const f = MATH_FUNCTIONS.get(name)!;
    const t = await run(name, `${name}(x)`, (v) => f(v));
    report(name, t);
    expect(t.checked).toBeGreaterThanOrEqual(5 * N - 10);
    expect(t.diffs.slice(0, 10)).toEqual([]);
  });

  it.each([
    ['^', '^'],
    ['%', '%'],
    ['atan2', 'atan2'],
  ] as [string, ArithOp][])('x %s y', async (opText, op) => {
    const t = await run(op, `x ${opText} ignoring(c) group_left y`, (v, r) => arith(op, v, r), true);
    report(op, t);
    expect(t.checked).toBeGreaterThanOrEqual(5 * N - 10);
    expect(t.diffs.slice(0, 10)).toEqual([]);
  });

  it.each([1, 0.1, 0.3, 7, 1e-5])('round(x, %s)', async (to) => {
    const t = await run('round', `round(x, ${to})`, (v) => round(v, to));
    report(`round(_, ${to})`, t);
    expect(t.diffs.slice(0, 10)).toEqual([]);
  });

  it.each(['topk(1, t)', 'topk(2, t)', 'topk(3, t)', 'bottomk(2, t)', 'bottomk(4, t)'])('ties: %s (dialect 2)', async (query) => {
    const theirs = new Set<string>();
    for (const m of await rangeQuery(prom.url, query)) for (const [ts] of m.values) theirs.add(`${m.metric.s}@${Math.round(ts - T0)}`);
    const ours = await oursTies(query);
    const missing = [...theirs].filter((x) => !ours.has(x));
    const extra = [...ours].filter((x) => !theirs.has(x));
    console.log(`${query}: ${theirs.size} kept (series@step), ${missing.length} missing, ${extra.length} extra`);
    expect(theirs.size).toBeGreaterThanOrEqual(N);
    expect({ missing: missing.slice(0, 5), extra: extra.slice(0, 5) }).toEqual({ missing: [], extra: [] });
  });

  it.each(DATES)('%s', async (name) => {
    const f = DATE_FUNCTIONS.get(name)!;
    const t = await run(name, `${name}(x)`, (v) => f(v));
    report(name, t);
    expect(t.diffs.slice(0, 10)).toEqual([]);
  });
});
