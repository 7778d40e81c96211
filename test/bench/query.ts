/**
 * Query latency through promdedup over the two replicas, divided by the same query sent to one
 * Prometheus (replica a) directly, measured in the same run: per size, query and kind (a 6 h range
 * at a 30 s step, as Grafana sends for "last 6 hours", and an instant query at the end of the
 * data), uncompressed and with `Accept-Encoding: gzip`. Rounds alternate which server goes first.
 *
 * For instant queries also the floor: the raw remote reads the query needs (the same selectors and
 * windows, all in one ReadRequest per replica, both replicas in parallel, bodies read to the end
 * but not decoded), with SAMPLES and with STREAMED_XOR_CHUNKS; the faster of the two is the floor.
 */
import { ResponseType, type ReadQuery, type ResponseTypeValue } from '../../src/store/prometheus/messages.js';
import { openRemoteRead } from '../../src/store/prometheus/remote-read.js';
import { counterName, histogramName, infoName, T_END } from './data.js';
import { agent, expectOk, fmt, median, postForm, table } from './harness.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Range queries: "last 6 hours" at a 30 s step (721 points). */
export const RANGE_MS = 6 * HOUR;
export const RANGE_STEP_S = 30;
/** Prometheus' default lookback delta. */
const LOOKBACK_MS = 5 * MIN;

/** One select of a query: metric name and the window an instant query at `t` reads (2.x: closed). */
interface FloorSelect {
  readonly metric: string;
  readonly fromMs: number;
  readonly toMs: number;
}

export interface QueryDef {
  readonly id: string;
  readonly expr: (n: number) => string;
  /** The selects of the instant query at t (Prometheus 2.x windows: [t - range, t]). */
  readonly selects: (n: number, t: number) => FloorSelect[];
}

const rate5m = (n: number, t: number): FloorSelect => ({ metric: counterName(n), fromMs: t - 5 * MIN, toMs: t });

export const QUERIES: readonly QueryDef[] = [
  { id: 'plain', expr: (n) => counterName(n), selects: (n, t) => [{ metric: counterName(n), fromMs: t - LOOKBACK_MS, toMs: t }] },
  { id: 'rate', expr: (n) => `rate(${counterName(n)}[5m])`, selects: (n, t) => [rate5m(n, t)] },
  { id: 'sum-rate', expr: (n) => `sum by (job) (rate(${counterName(n)}[5m]))`, selects: (n, t) => [rate5m(n, t)] },
  {
    id: 'histogram_quantile',
    expr: (n) => `histogram_quantile(0.9, sum by (le) (rate(${histogramName(n)}_bucket[5m])))`,
    selects: (n, t) => [{ metric: `${histogramName(n)}_bucket`, fromMs: t - 5 * MIN, toMs: t }],
  },
  { id: 'topk', expr: (n) => `topk(5, rate(${counterName(n)}[5m]))`, selects: (n, t) => [rate5m(n, t)] },
  {
    id: 'group_left',
    expr: (n) => `rate(${counterName(n)}[5m]) * on (instance) group_left (version) ${infoName(n)}`,
    selects: (n, t) => [rate5m(n, t), { metric: infoName(n), fromMs: t - LOOKBACK_MS, toMs: t }],
  },
  {
    id: 'subquery',
    expr: (n) => `max_over_time(rate(${counterName(n)}[5m])[1h:1m])`,
    // Inner grid: whole minutes in [t - 1h, t] (t is a whole minute), each reading 5 m back.
    selects: (n, t) => [{ metric: counterName(n), fromMs: t - HOUR - 5 * MIN, toMs: t }],
  },
];

export interface Timing {
  readonly directMs: number;
  readonly promdedupMs: number;
  readonly ratio: number;
  readonly directBytes: number;
  readonly promdedupBytes: number;
}

export interface FloorResult {
  readonly samplesMs: number;
  readonly chunksMs: number;
  readonly floorMs: number;
  readonly floorType: 'SAMPLES' | 'STREAMED_XOR_CHUNKS';
  /** Bytes received from both replicas with the faster type. */
  readonly bytes: number;
  /** promdedup's uncompressed instant latency ÷ floorMs. */
  readonly ratio: number;
}

export interface QueryRow {
  readonly series: number;
  readonly query: string;
  readonly expr: string;
  readonly kind: 'range' | 'instant';
  readonly resultSeries: number;
  /** Set when promdedup's answer had a different number of series than Prometheus'. */
  readonly mismatch?: string;
  readonly rounds: number;
  readonly plain: Timing;
  readonly gzip: Timing;
  readonly floor?: FloorResult;
}

export interface QueryBenchOptions {
  readonly direct: string;
  readonly promdedup: string;
  /** Replica URLs for the floor. */
  readonly replicas: readonly string[];
  readonly sizes: readonly number[];
  readonly rounds: (size: number) => number;
  /** Whether the gzip measurement gets its own warm-up request (the uncompressed one always has one). */
  readonly gzipWarmup: (size: number) => boolean;
  readonly kinds: readonly ('range' | 'instant')[];
  /** Query ids to run (all when empty). */
  readonly only: readonly string[];
  readonly log: (s: string) => void;
}

/** Series in a JSON answer, without parsing it (answers reach 150 MB at 10 000 series). */
function resultSeries(text: string | undefined): number {
  if (text === undefined) return -1;
  if (text.includes('"resultType":"scalar"')) return 1;
  let n = 0;
  for (let i = text.indexOf('"metric":'); i >= 0; i = text.indexOf('"metric":', i + 9)) n++;
  return n;
}

/**
 * Median latencies of the same request to both servers after `warmups` unmeasured requests each;
 * rounds alternate who goes first.
 */
async function compare(
  direct: string,
  promdedup: string,
  path: string,
  params: Record<string, string>,
  rounds: number,
  gzip: boolean,
  warmups: number,
): Promise<{ directMs: number; promdedupMs: number; ratio: number }> {
  const what = (base: string) => `${base}${path} ${params.query}`;
  for (let i = 0; i < warmups; i++) {
    expectOk(await postForm(direct, path, params, { gzip }), what(direct));
    expectOk(await postForm(promdedup, path, params, { gzip }), what(promdedup));
  }
  const d: number[] = [];
  const p: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? [direct, promdedup] : [promdedup, direct];
    for (const base of order) {
      const r = expectOk(await postForm(base, path, params, { gzip }), what(base));
      (base === direct ? d : p).push(r.ms);
    }
  }
  const directMs = median(d);
  const promdedupMs = median(p);
  return { directMs, promdedupMs, ratio: promdedupMs / directMs };
}

/** Size of one gzip answer of each (not timed). */
async function gzipBytes(direct: string, promdedup: string, path: string, params: Record<string, string>): Promise<[number, number]> {
  const d = expectOk(await postForm(direct, path, params, { gzip: true }), `direct ${params.query}`);
  const p = expectOk(await postForm(promdedup, path, params, { gzip: true }), `promdedup ${params.query}`);
  return [d.bytes, p.bytes];
}

/** Both replicas read in parallel, one ReadRequest each holding every select; bodies drained. */
async function rawReads(replicas: readonly string[], queries: readonly ReadQuery[], type: ResponseTypeValue): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const bytes = await Promise.all(
    replicas.map(async (url) => {
      const open = await openRemoteRead(`${url}/api/v1/read`, queries, { dispatcher: agent, acceptedResponseTypes: [type] });
      if (open.responseType !== type) throw new Error(`remote read ${url}: asked for ${type}, got ${open.responseType}`);
      let n = 0;
      for await (const piece of open.body) n += piece.length;
      return n;
    }),
  );
  return { ms: performance.now() - started, bytes: bytes.reduce((a, b) => a + b, 0) };
}

async function floor(replicas: readonly string[], selects: readonly FloorSelect[], rounds: number, promdedupMs: number): Promise<FloorResult> {
  const queries: ReadQuery[] = selects.map((s) => ({
    startMs: s.fromMs,
    endMs: s.toMs,
    matchers: [{ type: '=', name: '__name__', value: s.metric }],
  }));
  const types = [ResponseType.SAMPLES, ResponseType.STREAMED_XOR_CHUNKS] as const;
  const times = new Map<ResponseTypeValue, number[]>(types.map((t) => [t, []]));
  const bytes = new Map<ResponseTypeValue, number>();
  for (const t of types) bytes.set(t, (await rawReads(replicas, queries, t)).bytes); // warm-up
  for (let i = 0; i < rounds; i++) {
    for (const t of i % 2 === 0 ? types : [...types].reverse()) times.get(t)!.push((await rawReads(replicas, queries, t)).ms);
  }
  const samplesMs = median(times.get(ResponseType.SAMPLES)!);
  const chunksMs = median(times.get(ResponseType.STREAMED_XOR_CHUNKS)!);
  const samplesWin = samplesMs <= chunksMs;
  const floorMs = Math.min(samplesMs, chunksMs);
  return {
    samplesMs,
    chunksMs,
    floorMs,
    floorType: samplesWin ? 'SAMPLES' : 'STREAMED_XOR_CHUNKS',
    bytes: bytes.get(samplesWin ? ResponseType.SAMPLES : ResponseType.STREAMED_XOR_CHUNKS)!,
    ratio: promdedupMs / floorMs,
  };
}

export async function benchQueries(o: QueryBenchOptions): Promise<QueryRow[]> {
  const rows: QueryRow[] = [];
  const t = T_END;
  for (const n of o.sizes) {
    const rounds = o.rounds(n);
    for (const q of QUERIES) {
      if (o.only.length > 0 && !o.only.includes(q.id)) continue;
      const expr = q.expr(n);
      for (const kind of o.kinds) {
        const started = performance.now();
        const path = kind === 'range' ? '/api/v1/query_range' : '/api/v1/query';
        const params: Record<string, string> =
          kind === 'range'
            ? { query: expr, start: String((t - RANGE_MS) / 1000), end: String(t / 1000), step: String(RANGE_STEP_S) }
            : { query: expr, time: String(t / 1000) };
        // Sanity, and the uncompressed warm-up: both answer with the same number of series
        // (promdedup adds cluster="bench").
        const d = expectOk(await postForm(o.direct, path, params, { keepBody: true }), `direct ${expr}`);
        const p = expectOk(await postForm(o.promdedup, path, params, { keepBody: true }), `promdedup ${expr}`);
        const ds = resultSeries(d.text);
        const ps = resultSeries(p.text);
        const mismatch = ds !== ps ? `direct ${ds} series, promdedup ${ps}` : undefined;
        const plainT = await compare(o.direct, o.promdedup, path, params, rounds, false, 0);
        // The gzip warm-up also measures the compressed sizes; skipped for big answers (time).
        const [dgz, pgz] = o.gzipWarmup(n) ? await gzipBytes(o.direct, o.promdedup, path, params) : [NaN, NaN];
        const gzipT = await compare(o.direct, o.promdedup, path, params, rounds, true, 0);
        const plain: Timing = { ...plainT, directBytes: d.bytes, promdedupBytes: p.bytes };
        const gzip: Timing = { ...gzipT, directBytes: dgz, promdedupBytes: pgz };
        const fl = kind === 'instant' ? await floor(o.replicas, q.selects(n, t), rounds, plain.promdedupMs) : undefined;
        const row: QueryRow = {
          series: n,
          query: q.id,
          expr,
          kind,
          resultSeries: ds,
          ...(mismatch !== undefined ? { mismatch } : {}),
          rounds,
          plain,
          gzip,
          ...(fl !== undefined ? { floor: fl } : {}),
        };
        rows.push(row);
        o.log(
          `  ${n} ${q.id} ${kind}: ${fmt(plain.promdedupMs)} / ${fmt(plain.directMs)} ms = ${fmt(plain.ratio, 2)}, gzip ${fmt(gzip.ratio, 2)}` +
            (fl ? `, floor ${fmt(fl.floorMs)} ms (${fl.floorType}) → ${fmt(fl.ratio, 2)}` : '') +
            (mismatch ? `  MISMATCH ${mismatch}` : '') +
            `  [${((performance.now() - started) / 1000).toFixed(1)} s]`,
        );
      }
    }
  }
  return rows;
}

const kb = (b: number): string => (b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MiB` : `${(b / 1024).toFixed(1)} KiB`);

export function formatQueryRows(rows: readonly QueryRow[]): string {
  const out: string[] = [];
  for (const kind of ['range', 'instant'] as const) {
    const sel = rows.filter((r) => r.kind === kind);
    if (sel.length === 0) continue;
    out.push(
      kind === 'range'
        ? `\nrange queries (6 h, step ${RANGE_STEP_S} s): promdedup ÷ direct, medians (targets: ≤ 1.3 uncompressed, ≤ 1.0 gzip)`
        : '\ninstant queries: promdedup ÷ direct, and promdedup (uncompressed) ÷ floor of the raw remote reads (target ≤ 1.3)',
    );
    const header = ['series', 'query', 'result series', 'direct ms', 'promdedup ms', 'ratio', 'direct gz ms', 'promdedup gz ms', 'ratio gz', 'body direct', 'gz body direct / promdedup'];
    if (kind === 'instant') header.push('floor SAMPLES ms', 'floor CHUNKS ms', 'floor ms', '÷ floor');
    out.push(
      table(
        header,
        sel.map((r) => {
          const cells = [
            String(r.series),
            r.query + (r.mismatch ? ` (MISMATCH: ${r.mismatch})` : ''),
            String(r.resultSeries),
            fmt(r.plain.directMs),
            fmt(r.plain.promdedupMs),
            fmt(r.plain.ratio, 2),
            fmt(r.gzip.directMs),
            fmt(r.gzip.promdedupMs),
            fmt(r.gzip.ratio, 2),
            kb(r.plain.directBytes),
            Number.isNaN(r.gzip.directBytes) ? '—' : `${kb(r.gzip.directBytes)} / ${kb(r.gzip.promdedupBytes)}`,
          ];
          if (r.floor) cells.push(fmt(r.floor.samplesMs), fmt(r.floor.chunksMs), fmt(r.floor.floorMs), fmt(r.floor.ratio, 2));
          return cells;
        }),
      ),
    );
  }
  return out.join('\n');
}
