/**
 * Throughput: C concurrent clients (16 by default) each run a dashboard-like mix in a loop for a
 * fixed duration, against promdedup and against the direct Prometheus in the same run. Every
 * request is what a Grafana panel sends (POST form, `Accept-Encoding: gzip`): range queries over
 * the last 1 h or 6 h, stat panels as instant queries. The end time moves by 10 s steps between
 * requests, as dashboards refreshing. The rate counts answers that arrive within the window.
 */
import { counterName, histogramName, infoName, T_END } from './data.js';
import { fmt, postForm, quantile, table } from './harness.js';

export interface MixEntry {
  readonly panel: string;
  readonly kind: 'range' | 'instant';
  readonly expr: string;
  /** Range length and step (range queries). */
  readonly rangeS?: number;
  readonly stepS?: number;
}

/** A dashboard over a service of `n` instances (n = 1000 by default) and a smaller one of `small`. */
export function dashboardMix(n: number, small: number): MixEntry[] {
  const x = counterName(n);
  return [
    { panel: 'requests by job (1h)', kind: 'range', expr: `sum by (job) (rate(${x}[5m]))`, rangeS: 3600, stepS: 15 },
    { panel: 'p90 latency (1h)', kind: 'range', expr: `histogram_quantile(0.9, sum by (le) (rate(${histogramName(n)}_bucket[5m])))`, rangeS: 3600, stepS: 15 },
    { panel: 'top 5 instances (1h)', kind: 'range', expr: `topk(5, rate(${x}[5m]))`, rangeS: 3600, stepS: 15 },
    { panel: 'total rate (6h)', kind: 'range', expr: `sum(rate(${x}[5m]))`, rangeS: 6 * 3600, stepS: 30 },
    { panel: 'small service per instance (1h)', kind: 'range', expr: `rate(${counterName(small)}[5m])`, rangeS: 3600, stepS: 15 },
    {
      panel: 'small service by version (1h)',
      kind: 'range',
      expr: `sum by (version) (rate(${counterName(small)}[5m]) * on (instance) group_left (version) ${infoName(small)})`,
      rangeS: 3600,
      stepS: 15,
    },
    { panel: 'stat: total rate', kind: 'instant', expr: `sum(rate(${x}[5m]))` },
    { panel: 'stat: instances by version', kind: 'instant', expr: `count by (version) (${infoName(n)})` },
  ];
}

export interface ThroughputSide {
  /** Answers (200) that arrived within the measured windows. */
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly firstError?: string;
}

export interface ThroughputResult {
  readonly clients: number;
  readonly durationS: number;
  readonly mix: readonly MixEntry[];
  readonly direct: ThroughputSide;
  readonly promdedup: ThroughputSide;
  /** promdedup rps ÷ direct rps (target ≥ 0.8). */
  readonly ratio: number;
}

interface Phase {
  /** Requests answered 200 before the deadline. */
  readonly inWindow: number;
  readonly latencies: number[];
  readonly errors: number;
  readonly windowS: number;
  readonly firstError?: string;
}

/**
 * `clients` loops sending the mix until the deadline. Only answers that arrive before the deadline
 * count for the rate (requests still running then are waited for, and their latency is kept).
 */
async function drive(base: string, mix: readonly MixEntry[], clients: number, durationMs: number, perClient = Infinity): Promise<Phase> {
  const latencies: number[] = [];
  let inWindow = 0;
  let errors = 0;
  let firstError: string | undefined;
  let seq = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const client = async (c: number): Promise<void> => {
    let i = c; // clients start at different panels
    for (let k = 0; k < perClient && performance.now() < deadline; k++) {
      const m = mix[i % mix.length]!;
      i++;
      const end = T_END / 1000 - (seq++ % 30) * 10;
      const params: Record<string, string> =
        m.kind === 'range'
          ? { query: m.expr, start: String(end - m.rangeS!), end: String(end), step: String(m.stepS!) }
          : { query: m.expr, time: String(end) };
      try {
        const r = await postForm(base, m.kind === 'range' ? '/api/v1/query_range' : '/api/v1/query', params, { gzip: true });
        if (r.status === 200) {
          latencies.push(r.ms);
          if (performance.now() <= deadline) inWindow++;
        } else {
          errors++;
          firstError ??= `HTTP ${r.status}: ${(r.text ?? '').slice(0, 200)}`;
        }
      } catch (err) {
        errors++;
        firstError ??= String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  return { inWindow, latencies, errors, windowS: durationMs / 1000, ...(firstError !== undefined ? { firstError } : {}) };
}

function side(phases: readonly Phase[]): ThroughputSide {
  const latencies = phases.flatMap((p) => p.latencies);
  const inWindow = phases.reduce((a, p) => a + p.inWindow, 0);
  const seconds = phases.reduce((a, p) => a + p.windowS, 0);
  const firstError = phases.find((p) => p.firstError !== undefined)?.firstError;
  return {
    requests: inWindow,
    errors: phases.reduce((a, p) => a + p.errors, 0),
    seconds,
    rps: inWindow / seconds,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    ...(firstError !== undefined ? { firstError } : {}),
  };
}

/**
 * Direct and promdedup for `durationS` each, in halves ordered direct, promdedup, promdedup,
 * direct, so that a change in the machine's load over the run hits both alike.
 */
export async function benchThroughput(o: {
  direct: string;
  promdedup: string;
  mix: readonly MixEntry[];
  clients: number;
  durationS: number;
  log: (s: string) => void;
}): Promise<ThroughputResult> {
  // Warm-up: every panel once on both.
  for (const base of [o.direct, o.promdedup]) for (let c = 0; c < o.mix.length; c++) await drive(base, [o.mix[c]!], 1, 60_000, 1);
  const half = (o.durationS * 1000) / 2;
  const phases: { base: string; phase: Phase }[] = [];
  for (const base of [o.direct, o.promdedup, o.promdedup, o.direct]) {
    const phase = await drive(base, o.mix, o.clients, half);
    phases.push({ base, phase });
    o.log(`  ${base === o.direct ? 'direct' : 'promdedup'}: ${fmt(phase.inWindow / phase.windowS)} req/s`);
  }
  const direct = side(phases.filter((p) => p.base === o.direct).map((p) => p.phase));
  const promdedup = side(phases.filter((p) => p.base === o.promdedup).map((p) => p.phase));
  return { clients: o.clients, durationS: o.durationS, mix: o.mix, direct, promdedup, ratio: promdedup.rps / direct.rps };
}

export function formatThroughput(r: ThroughputResult): string {
  const row = (name: string, s: ThroughputSide): string[] => [name, String(s.requests), String(s.errors), fmt(s.rps), fmt(s.p50Ms), fmt(s.p99Ms)];
  return (
    `${r.clients} clients × ${r.durationS} s, mix: ${r.mix.map((m) => m.panel).join('; ')}\n` +
    table(['server', 'requests', 'errors', 'req/s', 'p50 ms', 'p99 ms'], [row('direct Prometheus', r.direct), row('promdedup (2 replicas)', r.promdedup)]) +
    `\nthroughput ratio promdedup ÷ direct: ${fmt(r.ratio, 2)} (target ≥ 0.8)` +
    (r.promdedup.firstError ? `\npromdedup first error: ${r.promdedup.firstError}` : '') +
    (r.direct.firstError ? `\ndirect first error: ${r.direct.firstError}` : '')
  );
}
