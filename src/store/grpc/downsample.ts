/**
 * Reading Thanos' downsampled data (5m and 1h blocks) as the Thanos querier does: which aggregate a
 * select asks for, how far the resolution may go, and how the AggrChunks of a series become samples.
 * Pure code, no I/O. Sources are thanos-io/thanos main (Aug 2026):
 *
 * - pkg/query/querier.go `aggrsFromFunc`, `maxResolutionFromSelectHints`, `promqlFuncRequiresTwoSamples`.
 * - pkg/query/iter.go `chunkSeries.Iterator`, `getFirstIterator`, `chunkSeriesIterator`.
 * - pkg/compact/downsample/downsample.go `ApplyCounterResetsSeriesIterator`, `AverageChunkIterator`,
 *   `downsampleFloatBatch` (the counter chunk's first and repeated-timestamp last raw samples).
 * - pkg/dedup/iter.go `boundedSeriesIterator` (clipping to [mint, maxt], inclusive).
 * - pkg/api/query/v1.go `parseDownsamplingParamMillis`, `parseDuration`.
 * - cmd/thanos/query.go `LookbackDeltaFactory` (`--query.dynamic-lookback-delta`, default on).
 */
import { decodeXorChunkInto, SampleBuffer } from '../../chunkenc/xor.js';
import { isCounterFunc } from '../../dedup/counter.js';
import { ErrorCodes, PromdedupError } from '../../model/errors.js';
import type { Samples } from '../../model/samples.js';
import { parseDuration } from '../../promql/parser.js';
import { goQuote } from '../../promql/parser/quote.js';

/** storepb.Aggr (pkg/store/storepb/rpc.proto), the wire values of SeriesRequest.aggregates. */
export const Aggr = { RAW: 0, COUNT: 1, SUM: 2, MIN: 3, MAX: 4, COUNTER: 5 } as const;
export type AggrValue = (typeof Aggr)[keyof typeof Aggr];

const AGGR_NAMES: readonly string[] = ['RAW', 'COUNT', 'SUM', 'MIN', 'MAX', 'COUNTER'];

/** Downsampling resolutions (downsample.ResLevel1/2), in ms. */
export const RES_5M_MS = 5 * 60 * 1000;
export const RES_1H_MS = 60 * 60 * 1000;

/** A downsampled series could not be read: the query fails, as Thanos' iterator error fails it. */
export class DownsampleError extends PromdedupError {
  constructor(message: string) {
    super('execution', message, ErrorCodes.EXECUTION);
    this.name = 'DownsampleError';
  }
}

// ---------------------------------------------------------------------------------------------
// Which aggregate, which resolution

/**
 * Thanos' aggrsFromFunc: the aggregates a select asks the stores for, from the function around it.
 * Plain `sum` wants the actual samples (average), only `sum_*` reads the sum chunk. The counter set
 * is isCounterFunc plus xincrease/xrate: aggrsFromFunc lists those two, dedup's isCounter does not.
 */
export function aggregatesForFunc(func: string): AggrValue[] {
  if (func === 'min' || func.startsWith('min_')) return [Aggr.MIN];
  if (func === 'max' || func.startsWith('max_')) return [Aggr.MAX];
  if (func === 'count' || func.startsWith('count_')) return [Aggr.COUNT];
  if (func.startsWith('sum_')) return [Aggr.SUM];
  if (isCounterFunc(func) || func === 'xincrease' || func === 'xrate') return [Aggr.COUNTER];
  return [Aggr.COUNT, Aggr.SUM];
}

/** Functions that need two samples in their range (Thanos' promqlFuncRequiresTwoSamples). */
const NEEDS_TWO_SAMPLES: ReadonlySet<string> = new Set([
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'predict_linear', 'holt_winters',
  'double_exponential_smoothing',
]);

/**
 * Thanos' maxResolutionFromSelectHints: for a range function that needs two samples, the resolution
 * is capped at half the range (Go integer division), so that the range still holds two samples.
 * A select without a range (rangeMs 0) or with any other function keeps the requested resolution.
 */
export function maxResolutionForSelect(maxSourceResolutionMs: number, func: string, rangeMs: number): number {
  if (rangeMs > 0 && NEEDS_TWO_SAMPLES.has(func)) return Math.min(maxSourceResolutionMs, Math.trunc(rangeMs / 2));
  return maxSourceResolutionMs;
}

// ---------------------------------------------------------------------------------------------
// The max_source_resolution parameter

const PARAM = 'max_source_resolution';
/** Go's strconv.ParseFloat: decimal forms, and ±inf/infinity/nan (hex floats are not handled here). */
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INF_RE = /^[+-]?inf(inity)?$/i;
const NAN_RE = /^nan$/i;
const INT64_LIMIT = 2 ** 63;

/** Go's strconv.ParseFloat, or null where it fails (a decimal overflowing float64 is ErrRange). */
function goParseFloat(text: string): number | null {
  if (NAN_RE.test(text)) return NaN;
  if (INF_RE.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (!FLOAT_RE.test(text)) return null;
  const x = Number(text);
  return Number.isFinite(x) ? x : null;
}

/**
 * Thanos' API parseDuration (pkg/api/query/v1.go), in ms: float seconds first, then a Prometheus
 * duration. Go truncates float seconds to whole ns, then the caller truncates ns to ms.
 */
function parseThanosDurationMs(text: string): number {
  const seconds = goParseFloat(text);
  if (seconds !== null) {
    // time.Duration(NaN) is math.MinInt64 on amd64: Thanos then rejects it as negative.
    if (Number.isNaN(seconds)) return -1;
    const ns = seconds * 1e9;
    if (ns > INT64_LIMIT || ns < -INT64_LIMIT) {
      throw badParam(`cannot parse ${goQuote(text)} to a valid duration. It overflows int64`);
    }
    return Math.trunc(Math.trunc(ns) / 1e6) + 0; // + 0: no -0
  }
  try {
    return parseDuration(text);
  } catch {
    throw badParam(`cannot parse ${goQuote(text)} to a valid duration`);
  }
}

function badParam(cause: string): PromdedupError {
  return new PromdedupError('bad_data', `'${PARAM}' parameter: ${cause}`, ErrorCodes.BAD_PARAM);
}

/**
 * Thanos' parseDownsamplingParamMillis with its default spelled out. `defaultMs` is used when the
 * parameter is `auto`, or absent/empty with `--query.auto-downsampling`: step/5 for range queries,
 * `--query.instant.default.max_source_resolution` (default 0s) for instant queries. Any other value
 * is a duration (float seconds or Prometheus duration) and wins over auto-downsampling. There is no
 * `raw` keyword: Thanos rejects it like any other non-duration. Errors are bad_data, with Thanos' text.
 */
export function parseMaxSourceResolutionWithDefault(
  param: string | undefined,
  autoDownsampling: boolean,
  defaultMs: number,
): number {
  let ms = 0;
  if (autoDownsampling || param === 'auto') ms = defaultMs;
  if (param !== undefined && param !== '' && param !== 'auto') ms = parseThanosDurationMs(param);
  if (ms < 0) {
    throw new PromdedupError('bad_data', `negative '${PARAM}' is not accepted. Try a positive integer`, ErrorCodes.BAD_PARAM);
  }
  return ms;
}

/** max_source_resolution of a range query, in ms: `auto` (or auto-downsampling) means step/5. */
export function parseMaxSourceResolution(param: string | undefined, autoDownsampling: boolean, stepMs: number): number {
  // Go: step/5 on int64 nanoseconds, then truncated to ms; the same as truncating ms/5.
  return parseMaxSourceResolutionWithDefault(param, autoDownsampling, Math.trunc(stepMs / 5));
}

// ---------------------------------------------------------------------------------------------
// Dynamic lookback delta

const RESOLUTIONS: readonly number[] = [0, RES_5M_MS, RES_1H_MS];

/**
 * Thanos' LookbackDeltaFactory: with `--query.dynamic-lookback-delta` (on by default) the lookback
 * delta grows to the resolution the query may read, so that a downsampled series (one sample per
 * 5m or 1h) does not look stale between its samples. For base lookback L (0 = the engine default):
 * resolution > max(5m, L) → max(L, 1h); resolution > L → max(L, 5m); otherwise L unchanged (0 stays 0,
 * i.e. the engine default). A per-request `lookback_delta` parameter overrides this (caller's job).
 */
export function lookbackDeltaFor(baseLookbackMs: number, maxSourceResolutionMs: number, dynamic = true): number {
  if (!dynamic) return baseLookbackMs;
  // lds[i] is the base raised to every resolution up to RESOLUTIONS[i].
  const lds: number[] = [];
  let ld = baseLookbackMs;
  for (const r of RESOLUTIONS) {
    if (baseLookbackMs < r) ld = r;
    lds.push(ld);
  }
  for (let i = RESOLUTIONS.length - 1; i >= 1; i--) {
    if (Math.max(RESOLUTIONS[i - 1]!, baseLookbackMs) < maxSourceResolutionMs) return lds[i]!;
  }
  return lds[0]!;
}

// ---------------------------------------------------------------------------------------------
// Decoding AggrChunks

/** storepb.AggrChunk with each present chunk's XOR data (checking the chunk type is the caller's). */
export interface AggrChunkData {
  minTime: number;
  maxTime: number;
  raw: Uint8Array | null;
  count: Uint8Array | null;
  sum: Uint8Array | null;
  min: Uint8Array | null;
  max: Uint8Array | null;
  counter: Uint8Array | null;
}

type SingleAggr = 'count' | 'sum' | 'min' | 'max';
const SINGLE_FIELD: Readonly<Partial<Record<AggrValue, SingleAggr>>> = {
  [Aggr.COUNT]: 'count', [Aggr.SUM]: 'sum', [Aggr.MIN]: 'min', [Aggr.MAX]: 'max',
};

/**
 * The samples of one series from its AggrChunks (sorted by minTime), exactly as Thanos'
 * chunkSeries.Iterator + boundedSeriesIterator produce them for the PromQL engine. Found in
 * pkg/query/iter.go:
 *
 * - One aggregate (COUNT, SUM, MIN, MAX): each chunk reads that aggregate's chunk, or its raw chunk
 *   when the aggregate is absent (`getFirstIterator(c.Min, c.Raw)`: the aggregate comes FIRST).
 * - COUNTER: each chunk reads its counter chunk, else its raw chunk, and the whole series goes through
 *   the counter-resets iterator (below). Raw chunks are NOT passed through unchanged: a raw counter
 *   is made monotonic too (which breaks `resets()`, Thanos issue #3644). Stale markers disappear.
 * - COUNT+SUM, either order (every other function): the raw chunk if present (raw comes FIRST here),
 *   else the average sum/count, paired sample by sample in order; differing lengths or timestamps are
 *   errors ("sum and count iterator not aligned" / "sum and count timestamps not aligned").
 * - Any other aggregate list: error "unexpected result aggregate type [...]".
 *
 * Chunks follow one another (chunkSeriesIterator): after a chunk ends, the next one's leading samples
 * at or before the last timestamp read are skipped (overlap). The counter path does its own ordering.
 * Then samples are clipped to [mint, maxt]; clipping comes after the counter processing, so the
 * counter total counts from the first chunk. Reading stops at the first sample after maxt.
 *
 * A chunk with neither the wanted aggregate nor raw data: Thanos' iterator fails ("no valid chunk
 * found") and the query fails, if reading reaches that chunk before passing maxt; so does an empty
 * chunk list ("got empty chunks"). Both throw DownsampleError here. Under COUNTER the counter-resets
 * iterator moves past a failing chunk and its Err() no longer sees it, so such chunks are skipped
 * silently, and no chunks give no samples; mirrored. Corrupt XOR data throws ChunkDecodeError on
 * every path (Thanos would fail the query, or under COUNTER drop the rest of that chunk).
 * Deliberate divergence: the overlap skip uses the last timestamp read, where Thanos uses the
 * previous chunk's position, which an empty chunk in between resets.
 */
export function decodeAggrChunks(
  chunks: readonly AggrChunkData[],
  aggrs: readonly AggrValue[],
  mint: number,
  maxt: number,
): Samples {
  const out = new BoundedWriter(mint, maxt);
  const scratch = new SampleBuffer(128);
  if (aggrs.length === 1 && aggrs[0] === Aggr.COUNTER) {
    readCounter(chunks, out, scratch);
    return out.finish();
  }
  const single = aggrs.length === 1 ? SINGLE_FIELD[aggrs[0]!] : undefined;
  const average = aggrs.length === 2 && aggrs.includes(Aggr.COUNT) && aggrs.includes(Aggr.SUM);
  if (single === undefined && !average) {
    throw new DownsampleError(`unexpected result aggregate type [${aggrs.map((a) => AGGR_NAMES[a] ?? String(a)).join(' ')}]`);
  }
  if (chunks.length === 0) throw new DownsampleError('got empty chunks');
  for (const c of chunks) {
    out.startChunk();
    if (single !== undefined) readPlain(c[single] ?? c.raw ?? missing(c, single), out, scratch);
    else if (c.raw !== null) readPlain(c.raw, out, scratch);
    else readAverage(c, out, scratch);
    if (out.done) break;
  }
  return out.finish();
}

function missing(c: AggrChunkData, aggr: string): never {
  throw new DownsampleError(
    `no valid chunk found: the chunk [${c.minTime}, ${c.maxTime}] has neither a ${aggr} aggregate nor a raw chunk`,
  );
}

/** Decodes one XOR chunk into `scratch` as it is: order and repeated timestamps kept. */
function decodeInto(data: Uint8Array, scratch: SampleBuffer): SampleBuffer {
  scratch.clear();
  decodeXorChunkInto(data, scratch);
  return scratch;
}

function readPlain(data: Uint8Array, out: BoundedWriter, scratch: SampleBuffer): void {
  const s = decodeInto(data, scratch);
  const st = s.stale;
  for (let i = 0; i < s.length && !out.done; i++) {
    out.pushWords(s.timestamps[i]!, s.words[2 * i]!, s.words[2 * i + 1]!, st !== null && st[i] === 1);
  }
}

function readAverage(c: AggrChunkData, out: BoundedWriter, scratch: SampleBuffer): void {
  if (c.count === null) missing(c, 'count');
  if (c.sum === null) missing(c, 'sum');
  const cnt = decodeInto(c.count, scratch);
  const cntTs = cnt.timestamps.slice(0, cnt.length);
  const cntVs = cnt.values.slice(0, cnt.length);
  const sum = decodeInto(c.sum, scratch);
  const n = Math.max(cntTs.length, sum.length);
  // Lazily, as AverageChunkIterator: a misalignment past maxt is never reached.
  for (let i = 0; i < n && !out.done; i++) {
    if (i >= cntTs.length || i >= sum.length) throw new DownsampleError('sum and count iterator not aligned');
    const t = cntTs[i]!;
    if (sum.timestamps[i] !== t) throw new DownsampleError('sum and count timestamps not aligned');
    out.pushValue(t, sum.values[i]! / cntVs[i]!);
  }
}

/**
 * Thanos' ApplyCounterResetsSeriesIterator over the counter (else raw) chunks of the whole series:
 * NaN skipped; the first sample is taken as it is; a later timestamp adds v - last (v >= last) or v
 * (a reset); a repeated timestamp only sets `last` (the counter chunk's final sample carries the true
 * last raw value, so a reset between chunks is seen); samples going back in time are skipped.
 */
function readCounter(chunks: readonly AggrChunkData[], out: BoundedWriter, scratch: SampleBuffer): void {
  let started = false;
  let lastT = 0;
  let lastV = 0;
  let total = 0;
  for (const c of chunks) {
    const data = c.counter ?? c.raw;
    if (data === null) continue;
    const s = decodeInto(data, scratch);
    for (let i = 0; i < s.length; i++) {
      const t = s.timestamps[i]!;
      const v = s.values[i]!;
      if (v !== v) continue;
      if (!started) {
        started = true;
        total = v;
      } else if (t > lastT) {
        total += v >= lastV ? v - lastV : v;
      } else {
        if (t === lastT) lastV = v;
        continue;
      }
      lastT = t;
      lastV = v;
      out.pushValue(t, total);
      if (out.done) return;
    }
  }
}

/**
 * Collects the series' samples: skips the overlap at chunk starts (chunkSeriesIterator), then keeps
 * [mint, maxt] (boundedSeriesIterator). `done` once a sample after maxt was read.
 */
class BoundedWriter {
  done = false;
  private readonly buf = new SampleBuffer(256);
  private lastT = -Infinity;
  private skipOverlap = false;
  private readonly cell = new Float64Array(1);
  private readonly cellWords = new Uint32Array(this.cell.buffer);

  constructor(
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  startChunk(): void {
    this.skipOverlap = true;
  }

  pushValue(t: number, v: number): void {
    this.cell[0] = v;
    this.pushWords(t, this.cellWords[0]!, this.cellWords[1]!, false);
  }

  /** A sample as raw value words, so NaN payloads (staleness markers) pass unchanged. */
  pushWords(t: number, lo: number, hi: number, stale: boolean): void {
    if (this.skipOverlap) {
      if (t <= this.lastT) return;
      this.skipOverlap = false;
    }
    this.lastT = t;
    if (t < this.mint) return;
    if (t > this.maxt) {
      this.done = true;
      return;
    }
    const b = this.buf;
    b.reserve(1);
    const i = b.length;
    b.timestamps[i] = t;
    b.words[2 * i] = lo;
    b.words[2 * i + 1] = hi;
    if (stale) b.markStale(i);
    b.length = i + 1;
  }

  finish(): Samples {
    return this.buf.finish();
  }
}
