/**
 * StoreAPI (the issue's item 8): promdedup "A" over the two replicas serves thanos.Store/Series on
 * its --grpc-address; promdedup "B" has A as its only endpoint (`--endpoint=127.0.0.1:<port>`).
 *
 * 1. Series streaming: one Series request for the N counters × 1 h (03:00:00.123–04:00:00.123,
 *    241 samples a series, both replicas: 2N series), read by a @grpc/grpc-js client with a
 *    raw-bytes deserializer, as promdedup's own client reads it, with `without_replica_labels`
 *    = [replica] as B sends it. Compared, in alternating order in the same run, with the same
 *    selection read from one Prometheus (replica a) over remote read, STREAMED_XOR_CHUNKS, body
 *    read to the end but not decoded; and, for context, from both replicas in parallel (what A
 *    itself reads to answer). Figures: series/s, samples/s (samples inside the window), MB/s
 *    of payload (gRPC message bytes; the HTTP body of remote read, its framing and CRCs included)
 *    and CPU time of the servers (utime+stime).
 * 2. Client decoding, in this process, of the bytes captured in 1: our SeriesStreamDecoder (frames
 *    [u32 LE select][u32 LE length][bytes], fed in SEND_BYTES pieces as the main thread moves a
 *    body to a query worker) plus EncodedSeries.decode of every series, vs ReadDecoder
 *    (keepEncoded, as the workers use it) plus decode on the remote-read body; and
 *    proto-loader's generic responseDeserialize (objects, longs as strings) of each Series
 *    message, alone and with the XOR chunks decoded from its objects, vs ours alone.
 * 3. Query latency of range queries (6 h at 30 s) through B → A → replicas vs A alone; every
 *    round asks both, alternating who goes first; B's answer must equal A's byte for byte.
 */
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { decodeXorRangeInto } from '../../src/chunkenc/xor.js';
import { SampleArena } from '../../src/chunkenc/arena.js';
import { SEND_BYTES } from '../../src/query/querier.js';
import { method, PartialResponseStrategy, type PbSeriesRequest } from '../../src/store/grpc/proto.js';
import { readSeriesResponse, ThanosChunkEncoding } from '../../src/store/grpc/series-codec.js';
import { FRAME_HEADER_BYTES, SeriesStreamDecoder, writeFrameHeader } from '../../src/store/grpc/series-decoder.js';
import type { EncodedSeries } from '../../src/store/prometheus/messages.js';
import { ResponseType, type ReadQuery } from '../../src/store/prometheus/messages.js';
import { ReadDecoder } from '../../src/store/prometheus/read-decoder.js';
import { openRemoteRead } from '../../src/store/prometheus/remote-read.js';
import { freePort } from '../support/prometheus.js';
import { counterName, histogramName, OFFSET_MS, T0, T_END } from './data.js';
import { agent, expectOk, fmt, median, postForm, processCpuMs, quantile, table, type Querier, type Replica } from './harness.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** The Series window: 241 samples of every series, both ends included, away from b's outage. */
export const SERIES_MINT = T0 + 3 * HOUR + OFFSET_MS;
export const SERIES_MAXT = T0 + 4 * HOUR + OFFSET_MS;
/** Range queries of part 3: "last 6 hours" at 30 s, as the query section. */
const RANGE_MS = 6 * HOUR;
const RANGE_STEP_S = 30;

export interface StoreApiOptions {
  /** N: the counters bench_requests_N_total (N series per replica). */
  readonly series: number;
  readonly replicas: readonly Replica[];
  /** Starts a promdedup over `endpoints` (stopped by the caller's cleanup); `profiled`: A, under BENCH_PROFILE. */
  readonly launch: (endpoints: readonly string[], extraArgs: readonly string[], profiled: boolean) => Promise<Querier>;
  /** Measured rounds: streaming, decoding, queries. */
  readonly streamRounds: number;
  readonly decodeRounds: number;
  readonly queryRounds: number;
  readonly log: (s: string) => void;
}

export interface StreamRow {
  readonly path: string;
  readonly series: number;
  /** Samples inside the window. */
  readonly samples: number;
  /** Samples the chunks sent hold (whole chunks: remote read does not cut them). */
  readonly chunkSamples: number;
  readonly messages: number;
  readonly bytes: number;
  readonly ms: number;
  readonly msAll: readonly number[];
  readonly seriesPerS: number;
  readonly samplesPerS: number;
  readonly mbPerS: number;
  /** Median CPU ms per request of the servers involved (promdedup A and/or Prometheus). */
  readonly cpu: Readonly<Record<string, number>>;
}

export interface DecodeRow {
  readonly decoder: string;
  readonly input: string;
  readonly bytes: number;
  /** Samples decoded (inside the window), or carried when the row does not decode XOR. */
  readonly samples: number;
  readonly ms: number;
  readonly msAll: readonly number[];
  readonly samplesPerS: number;
  readonly mbPerS: number;
}

export interface QueryLatencyRow {
  readonly id: string;
  readonly expr: string;
  readonly resultSeries: number;
  readonly bytes: number;
  /** B's answer equals A's byte for byte (checked on the warm-up answers). */
  readonly identical: boolean;
  readonly difference?: string;
  readonly a: { p50: number; p90: number; all: readonly number[] };
  readonly b: { p50: number; p90: number; all: readonly number[] };
  readonly ratioP50: number;
  readonly ratioP90: number;
}

export interface StoreApiResult {
  readonly series: number;
  readonly window: readonly [string, string];
  readonly grpcPort: number;
  readonly stream: readonly StreamRow[];
  /** StoreAPI samples/s ÷ remote read (replica a) samples/s. */
  readonly streamRatio: number;
  /** StoreAPI samples/s ÷ both replicas' remote reads in parallel. */
  readonly streamRatioBoth: number;
  readonly decode: readonly DecodeRow[];
  /** Ours (frames → EncodedSeries → samples) samples/s ÷ ReadDecoder's. */
  readonly decodeRatio: number;
  /** proto-loader's parse time ÷ ours (frames → EncodedSeries). */
  readonly protoLoaderRatio: number;
  /** proto-loader + XOR decode time ÷ ours + XOR decode. */
  readonly protoLoaderDecodeRatio: number;
  readonly queries: readonly QueryLatencyRow[];
}

// ---- 1. streaming ----------------------------------------------------------------------------

interface Captured {
  readonly ms: number;
  readonly pieces: Buffer[];
  readonly bytes: number;
}

function seriesRequest(metric: string): PbSeriesRequest {
  return {
    min_time: String(SERIES_MINT),
    max_time: String(SERIES_MAXT),
    matchers: [{ type: 0, name: '__name__', value: metric }],
    max_resolution_window: 0,
    aggregates: [],
    partial_response_disabled: true,
    partial_response_strategy: PartialResponseStrategy.ABORT,
    skip_chunks: false,
    query_hints: null,
    shard_info: null,
    without_replica_labels: ['replica'],
    limit: 0,
    response_batch_size: 0,
  };
}

/** One Series call; every message kept as the raw bytes grpc-js hands over. */
function seriesCall(client: Client, req: PbSeriesRequest): Promise<Captured> {
  const m = method<PbSeriesRequest, Buffer>('thanos.Store', 'Series');
  return new Promise((resolve, reject) => {
    const pieces: Buffer[] = [];
    let bytes = 0;
    const started = performance.now();
    const call = client.makeServerStreamRequest<PbSeriesRequest, Buffer>(m.path, m.requestSerialize, (b: Buffer) => b, req, new Metadata(), {
      deadline: Date.now() + 600_000,
    });
    call.on('data', (b: Buffer) => {
      pieces.push(b);
      bytes += b.length;
    });
    call.on('error', reject);
    call.on('end', () => resolve({ ms: performance.now() - started, pieces, bytes }));
  });
}

/** One remote read of `query` from `url`, STREAMED_XOR_CHUNKS, the body kept as it came. */
async function remoteReadCall(url: string, query: ReadQuery): Promise<Captured> {
  const started = performance.now();
  const open = await openRemoteRead(`${url}/api/v1/read`, [query], { dispatcher: agent, acceptedResponseTypes: [ResponseType.STREAMED_XOR_CHUNKS] });
  if (open.responseType !== ResponseType.STREAMED_XOR_CHUNKS) throw new Error(`remote read ${url}: asked for STREAMED_XOR_CHUNKS, got ${open.responseType}`);
  const pieces: Buffer[] = [];
  let bytes = 0;
  for await (const p of open.body) {
    pieces.push(p as Buffer);
    bytes += p.length;
  }
  return { ms: performance.now() - started, pieces, bytes };
}

/** Series, window samples and chunk samples in Series messages (checked against what was asked). */
function countSeriesMessages(msgs: readonly Buffer[]): { series: number; samples: number; chunkSamples: number; warnings: string[] } {
  let series = 0;
  let chunkSamples = 0;
  let samples = 0;
  const warnings: string[] = [];
  const arena = new SampleArena();
  for (const msg of msgs) {
    readSeriesResponse(msg, {
      warning: (w) => warnings.push(w),
      series: (_labels, chunks, buf) => {
        series++;
        for (const c of chunks) {
          if (c.raw === null || c.raw.type !== ThanosChunkEncoding.XOR) continue;
          chunkSamples += (buf[c.raw.start]! << 8) | buf[c.raw.start + 1]!;
          samples += decodeXorRangeInto(buf, c.raw.start, c.raw.end, arena, SERIES_MINT, SERIES_MAXT);
          arena.take();
          arena.clear();
        }
      },
    });
  }
  return { series, samples, chunkSamples, warnings };
}

/** Concatenates `pieces` and cuts the result into SEND_BYTES views (how a body reaches a worker). */
function sendPieces(pieces: readonly Uint8Array[]): Uint8Array[] {
  const all = Buffer.concat(pieces);
  const out: Uint8Array[] = [];
  for (let at = 0; at < all.length; at += SEND_BYTES) out.push(all.subarray(at, Math.min(all.length, at + SEND_BYTES)));
  return out;
}

/** The worker-side body of one select: [u32 LE select][u32 LE length][message] per message. */
function framedBody(msgs: readonly Buffer[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (const msg of msgs) {
    const h = new Uint8Array(FRAME_HEADER_BYTES);
    writeFrameHeader(h, 0, 0, msg.length);
    parts.push(h, msg);
  }
  return sendPieces(parts);
}

// ---- 2. decoding -----------------------------------------------------------------------------

/** Decodes every EncodedSeries into a scratch arena; returns the samples inside the window. */
function decodeAll(encoded: readonly EncodedSeries[], arena: SampleArena): number {
  let n = 0;
  for (const e of encoded) {
    n += e.decode(arena).timestamps.length;
    arena.clear();
  }
  return n;
}

function oursParse(body: readonly Uint8Array[]): EncodedSeries[] {
  const d = new SeriesStreamDecoder([{ mint: SERIES_MINT, maxt: SERIES_MAXT, aggregates: [] }], null);
  for (const p of body) d.push(p);
  const r = d.finish()[0]!;
  if (r.series.length > 0) throw new Error('SeriesStreamDecoder: unexpected decoded (aggregate) series');
  return r.encoded;
}

function readParse(body: readonly Uint8Array[]): EncodedSeries[] {
  const d = new ReadDecoder(ResponseType.STREAMED_XOR_CHUNKS, '', [{ mint: SERIES_MINT, maxt: SERIES_MAXT }], { keepEncoded: true });
  for (const p of body) d.push(p);
  return d.finish().results[0]!.encoded;
}

interface PbChunk {
  raw: { type: number; data: Buffer } | null;
}
interface PbSeriesResponse {
  series: { labels: { name: string; value: string }[]; chunks: PbChunk[] } | null;
}

function protoLoaderParse(msgs: readonly Buffer[]): PbSeriesResponse[] {
  const de = method<PbSeriesRequest, PbSeriesResponse>('thanos.Store', 'Series').responseDeserialize;
  const out: PbSeriesResponse[] = [];
  for (const m of msgs) out.push(de(m));
  return out;
}

function protoLoaderDecode(objs: readonly PbSeriesResponse[], arena: SampleArena): number {
  let n = 0;
  for (const o of objs) {
    for (const c of o.series?.chunks ?? []) {
      if (c.raw === null || c.raw.type !== ThanosChunkEncoding.XOR) continue;
      n += decodeXorRangeInto(c.raw.data, 0, c.raw.data.length, arena, SERIES_MINT, SERIES_MAXT);
    }
    arena.take();
    arena.clear();
  }
  return n;
}

interface DecodeCase {
  readonly decoder: string;
  readonly input: string;
  readonly bytes: number;
  /** Runs once; returns the samples it decoded or carried. */
  run(): number;
}

function benchDecoders(cases: readonly DecodeCase[], rounds: number): DecodeRow[] {
  const times = cases.map(() => [] as number[]);
  const samples = cases.map((c) => c.run()); // warm-up (JIT), and the counts
  for (let i = 0; i < rounds; i++) {
    const order = cases.map((_, k) => k);
    if (i % 2 === 1) order.reverse();
    for (const k of order) {
      const started = performance.now();
      const n = cases[k]!.run();
      times[k]!.push(performance.now() - started);
      if (n !== samples[k]) throw new Error(`${cases[k]!.decoder}: ${n} samples, first run ${samples[k]}`);
    }
  }
  return cases.map((c, k) => {
    const ms = median(times[k]!);
    return { decoder: c.decoder, input: c.input, bytes: c.bytes, samples: samples[k]!, ms, msAll: times[k]!, samplesPerS: (samples[k]! / ms) * 1000, mbPerS: c.bytes / 1e6 / (ms / 1000) };
  });
}

// ---- 3. queries ------------------------------------------------------------------------------

/** Series in a JSON answer, without parsing it. */
function resultSeries(text: string | undefined): number {
  if (text === undefined) return -1;
  let n = 0;
  for (let i = text.indexOf('"metric":'); i >= 0; i = text.indexOf('"metric":', i + 9)) n++;
  return n;
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  const ctx = (s: string): string => JSON.stringify(s.slice(Math.max(0, i - 60), i + 60));
  return `A ${a.length} bytes, B ${b.length}; first difference at byte ${i}: A …${ctx(a)}…, B …${ctx(b)}…`;
}

export const LATENCY_QUERIES = (n: number): { id: string; expr: string }[] => [
  { id: 'plain', expr: counterName(n) },
  { id: 'rate', expr: `rate(${counterName(n)}[5m])` },
  { id: 'sum-rate', expr: `sum by (job) (rate(${counterName(n)}[5m]))` },
  { id: 'histogram_quantile', expr: `histogram_quantile(0.9, sum by (le) (rate(${histogramName(n)}_bucket[5m])))` },
];

async function queryLatency(a: string, b: string, id: string, expr: string, rounds: number): Promise<QueryLatencyRow> {
  const path = '/api/v1/query_range';
  const params = { query: expr, start: String((T_END - RANGE_MS) / 1000), end: String(T_END / 1000), step: String(RANGE_STEP_S) };
  // Warm-up of both, and the byte-for-byte check.
  const ra = expectOk(await postForm(a, path, params, { keepBody: true }), `A ${expr}`);
  const rb = expectOk(await postForm(b, path, params, { keepBody: true }), `B ${expr}`);
  const identical = ra.text === rb.text;
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < rounds; i++) {
    for (const side of i % 2 === 0 ? ['a', 'b'] : ['b', 'a']) {
      const r = expectOk(await postForm(side === 'a' ? a : b, path, params), `${side.toUpperCase()} ${expr}`);
      (side === 'a' ? ta : tb).push(r.ms);
    }
  }
  const sa = { p50: median(ta), p90: quantile(ta, 0.9), all: ta };
  const sb = { p50: median(tb), p90: quantile(tb, 0.9), all: tb };
  return {
    id,
    expr,
    resultSeries: resultSeries(ra.text),
    bytes: ra.bytes,
    identical,
    ...(identical ? {} : { difference: firstDifference(ra.text ?? '', rb.text ?? '') }),
    a: sa,
    b: sb,
    ratioP50: sb.p50 / sa.p50,
    ratioP90: sb.p90 / sa.p90,
  };
}

// ---- the section -----------------------------------------------------------------------------

function waitForReady(client: Client, ms: number): Promise<void> {
  return new Promise((resolve, reject) => client.waitForReady(Date.now() + ms, (err) => (err ? reject(err) : resolve())));
}

export async function benchStoreApi(o: StoreApiOptions): Promise<StoreApiResult> {
  const n = o.series;
  const metric = counterName(n);
  const [ra, rb] = o.replicas;
  if (ra === undefined || rb === undefined) throw new Error('storeapi: needs both replicas');
  const grpcPort = await freePort();
  const A = await o.launch(
    o.replicas.map((r) => r.url),
    [`--grpc-address=127.0.0.1:${grpcPort}`],
    true,
  );
  const B = await o.launch([`127.0.0.1:${grpcPort}`], ['--query.promql-compat=2'], false);
  o.log(`  A ${A.url} (gRPC 127.0.0.1:${grpcPort}) pid ${A.pid}; B ${B.url} pid ${B.pid} over A`);
  const client = new Client(`127.0.0.1:${grpcPort}`, credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 });
  try {
    await waitForReady(client, 30_000);

    // ---- 1 ----
    const req = seriesRequest(metric);
    const query: ReadQuery = { startMs: SERIES_MINT, endMs: SERIES_MAXT, matchers: [{ type: '=', name: '__name__', value: metric }] };
    const pids = { A: A.pid, 'Prometheus a': ra.pid, 'Prometheus b': rb.pid };
    // 'batched': the same Series request with response_batch_size 64, as promdedup and Thanos v0.41+ clients send it.
    type Kind = 'storeapi' | 'one' | 'both' | 'batched';
    const kinds: Kind[] = ['storeapi', 'one', 'both', 'batched'];
    const runKind = async (k: Kind): Promise<{ cap: Captured[]; cpu: Record<string, number> }> => {
      const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processCpuMs(pid)]));
      let cap: Captured[];
      if (k === 'storeapi') cap = [await seriesCall(client, req)];
      else if (k === 'batched') cap = [await seriesCall(client, { ...req, response_batch_size: 64 })];
      else if (k === 'one') cap = [await remoteReadCall(ra.url, query)];
      else {
        const started = performance.now();
        const both = await Promise.all([remoteReadCall(ra.url, query), remoteReadCall(rb.url, query)]);
        const ms = performance.now() - started;
        cap = both.map((c) => ({ ...c, ms }));
      }
      const cpu: Record<string, number> = {};
      for (const [name, pid] of Object.entries(pids)) cpu[name] = processCpuMs(pid) - before[name]!;
      return { cap, cpu };
    };
    const last = new Map<Kind, Captured[]>();
    for (const k of kinds) last.set(k, (await runKind(k)).cap); // warm-up
    const ms = new Map<Kind, number[]>(kinds.map((k) => [k, []]));
    const cpus = new Map<Kind, Record<string, number>[]>(kinds.map((k) => [k, []]));
    for (let i = 0; i < o.streamRounds; i++) {
      const order = [...kinds.slice(i % kinds.length), ...kinds.slice(0, i % kinds.length)];
      for (const k of order) {
        const r = await runKind(k);
        ms.get(k)!.push(r.cap[0]!.ms);
        cpus.get(k)!.push(r.cpu);
        last.set(k, r.cap);
      }
      o.log(`  stream round ${i + 1}: ${kinds.map((k) => `${k} ${fmt(ms.get(k)!.at(-1)!)} ms`).join(', ')}`);
    }
    const sapi = last.get('storeapi')![0]!;
    const sapiCount = countSeriesMessages(sapi.pieces);
    if (sapiCount.warnings.length > 0) o.log(`  Series warnings: ${sapiCount.warnings.join('; ')}`);
    if (sapiCount.series !== 2 * n || sapiCount.samples !== 2 * n * 241) {
      o.log(`  UNEXPECTED: Series answered ${sapiCount.series} series, ${sapiCount.samples} samples (expected ${2 * n}, ${2 * n * 241})`);
    }
    const batched = last.get('batched')![0]!;
    const batchedCount = countSeriesMessages(batched.pieces);
    if (batchedCount.series !== sapiCount.series || batchedCount.samples !== sapiCount.samples) {
      o.log(`  UNEXPECTED: the batched answer has ${batchedCount.series} series, ${batchedCount.samples} samples`);
    }
    const readOne = last.get('one')![0]!;
    const readBoth = last.get('both')!;
    const arena = new SampleArena();
    const rrCount = (caps: readonly Captured[]): { series: number; samples: number; chunkSamples: number } => {
      let series = 0;
      let samples = 0;
      let chunkSamples = 0;
      for (const c of caps) {
        const enc = readParse(sendPieces(c.pieces));
        series += enc.length;
        for (const e of enc) chunkSamples += e.sampleCount;
        samples += decodeAll(enc, arena);
      }
      return { series, samples, chunkSamples };
    };
    const oneCount = rrCount([readOne]);
    const bothCount = rrCount(readBoth);
    const cpuMedian = (k: Kind, names: readonly string[]): Record<string, number> =>
      Object.fromEntries(names.map((name) => [name, median(cpus.get(k)!.map((c) => c[name]!))]));
    const row = (
      path: string,
      k: Kind,
      c: { series: number; samples: number; chunkSamples: number },
      messages: number,
      bytes: number,
      cpuOf: readonly string[],
    ): StreamRow => {
      const m = median(ms.get(k)!);
      return {
        path,
        series: c.series,
        samples: c.samples,
        chunkSamples: c.chunkSamples,
        messages,
        bytes,
        ms: m,
        msAll: ms.get(k)!,
        seriesPerS: (c.series / m) * 1000,
        samplesPerS: (c.samples / m) * 1000,
        mbPerS: bytes / 1e6 / (m / 1000),
        cpu: cpuMedian(k, cpuOf),
      };
    };
    const stream: StreamRow[] = [
      row('StoreAPI Series from promdedup A (2 replicas)', 'storeapi', sapiCount, sapi.pieces.length, sapi.bytes, ['A', 'Prometheus a', 'Prometheus b']),
      row('remote read, one Prometheus (replica a)', 'one', oneCount, readOne.pieces.length, readOne.bytes, ['Prometheus a']),
      row(
        'remote read, both replicas in parallel',
        'both',
        bothCount,
        readBoth.reduce((s, c) => s + c.pieces.length, 0),
        readBoth.reduce((s, c) => s + c.bytes, 0),
        ['Prometheus a', 'Prometheus b'],
      ),
      row('StoreAPI Series from promdedup A, response_batch_size 64', 'batched', batchedCount, batched.pieces.length, batched.bytes, ['A', 'Prometheus a', 'Prometheus b']),
    ];
    o.log(`  streaming: ${stream.map((r) => `${r.path}: ${fmt(r.ms)} ms, ${fmt(r.samplesPerS / 1e6, 2)} M samples/s`).join('; ')}`);

    // ---- 2 ----
    const oursBody = framedBody(sapi.pieces);
    const readBody = sendPieces(readOne.pieces);
    const oursBytes = oursBody.reduce((s, p) => s + p.length, 0);
    let protoObjs: PbSeriesResponse[] = [];
    const decode = benchDecoders(
      [
        { decoder: 'SeriesStreamDecoder + EncodedSeries.decode', input: 'Series frames', bytes: oursBytes, run: () => decodeAll(oursParse(oursBody), arena) },
        { decoder: 'ReadDecoder (keepEncoded) + EncodedSeries.decode', input: 'remote-read body', bytes: readOne.bytes, run: () => decodeAll(readParse(readBody), arena) },
        {
          decoder: 'SeriesStreamDecoder alone (→ EncodedSeries)',
          input: 'Series frames',
          bytes: oursBytes,
          run: () => oursParse(oursBody).reduce((s, e) => s + e.sampleCount, 0),
        },
        {
          decoder: 'ReadDecoder alone (→ EncodedSeries)',
          input: 'remote-read body',
          bytes: readOne.bytes,
          run: () => readParse(readBody).reduce((s, e) => s + e.sampleCount, 0),
        },
        {
          decoder: 'proto-loader responseDeserialize alone (→ objects)',
          input: 'Series messages',
          bytes: sapi.bytes,
          run: () => {
            protoObjs = protoLoaderParse(sapi.pieces);
            return protoObjs.reduce((s, x) => s + (x.series?.chunks ?? []).reduce((t, c) => t + (c.raw !== null ? (c.raw.data[0]! << 8) | c.raw.data[1]! : 0), 0), 0);
          },
        },
        {
          decoder: 'proto-loader responseDeserialize + XOR decode',
          input: 'Series messages',
          bytes: sapi.bytes,
          run: () => protoLoaderDecode(protoLoaderParse(sapi.pieces), arena),
        },
      ],
      o.decodeRounds,
    );
    protoObjs = [];
    o.log(`  decoding: ${decode.map((r) => `${r.decoder} ${fmt(r.ms)} ms`).join('; ')}`);

    // ---- 3 ----
    const queries: QueryLatencyRow[] = [];
    for (const q of LATENCY_QUERIES(n)) {
      const started = performance.now();
      const r = await queryLatency(A.url, B.url, q.id, q.expr, o.queryRounds);
      queries.push(r);
      o.log(
        `  ${q.id}: A p50 ${fmt(r.a.p50)} ms, B p50 ${fmt(r.b.p50)} ms (B/A ${fmt(r.ratioP50, 2)}), ` +
          `${r.identical ? 'identical' : `DIFFERENT: ${r.difference}`}  [${((performance.now() - started) / 1000).toFixed(1)} s]`,
      );
    }

    const [sr, rr, br] = stream;
    const [oursFull, readFull, oursAlone, , plAlone, plFull] = decode;
    return {
      series: n,
      window: [new Date(SERIES_MINT).toISOString(), new Date(SERIES_MAXT).toISOString()],
      grpcPort,
      stream,
      streamRatio: sr!.samplesPerS / rr!.samplesPerS,
      streamRatioBoth: sr!.samplesPerS / br!.samplesPerS,
      decode,
      decodeRatio: oursFull!.samplesPerS / readFull!.samplesPerS,
      protoLoaderRatio: plAlone!.ms / oursAlone!.ms,
      protoLoaderDecodeRatio: plFull!.ms / oursFull!.ms,
      queries,
    };
  } finally {
    client.close();
  }
}

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
const millions = (x: number): string => fmt(x / 1e6, 2);

export function formatStoreApi(r: StoreApiResult): string {
  const out: string[] = [];
  out.push(
    `Series streaming: ${counterName(r.series)} over ${r.window[0]} – ${r.window[1]} (241 samples a series), medians; ` +
      `samples counted inside the window, MB/s of payload`,
  );
  out.push(
    table(
      ['path', 'series', 'samples', 'samples in chunks', 'messages', 'payload', 'ms', 'series/s', 'M samples/s', 'MB/s', 'server CPU ms'],
      r.stream.map((s) => [
        s.path,
        String(s.series),
        String(s.samples),
        String(s.chunkSamples),
        String(s.messages),
        mib(s.bytes),
        fmt(s.ms),
        fmt(s.seriesPerS, 0),
        millions(s.samplesPerS),
        fmt(s.mbPerS),
        Object.entries(s.cpu)
          .map(([k, v]) => `${k} ${fmt(v, 0)}`)
          .join(', '),
      ]),
    ),
  );
  const batched = r.stream[3];
  out.push(
    `StoreAPI ÷ remote read (one Prometheus), samples/s: **${fmt(r.streamRatio, 2)}**; ÷ both replicas in parallel: ${fmt(r.streamRatioBoth, 2)}` +
      (batched !== undefined ? `; batched (64) ÷ one Prometheus: ${fmt(batched.samplesPerS / r.stream[1]!.samplesPerS, 2)}` : ''),
  );
  out.push('');
  out.push('Client decoding in this process (medians; samples inside the window, or carried by rows that do not decode XOR)');
  out.push(
    table(
      ['decoder', 'input', 'bytes', 'samples', 'ms', 'M samples/s', 'MB/s'],
      r.decode.map((d) => [d.decoder, d.input, mib(d.bytes), String(d.samples), fmt(d.ms), millions(d.samplesPerS), fmt(d.mbPerS)]),
    ),
  );
  out.push(
    `ours ÷ ReadDecoder, samples/s: **${fmt(r.decodeRatio, 2)}**; proto-loader ÷ ours, time: **${fmt(r.protoLoaderRatio, 2)}** parsing alone, ` +
      `${fmt(r.protoLoaderDecodeRatio, 2)} with XOR decoding`,
  );
  out.push('');
  out.push(`Range queries (6 h, step ${RANGE_STEP_S} s): B (over A's StoreAPI) vs A (over the replicas)`);
  out.push(
    table(
      ['query', 'result series', 'body', 'A p50 ms', 'A p90 ms', 'B p50 ms', 'B p90 ms', 'B/A p50', 'B/A p90', 'B = A byte for byte'],
      r.queries.map((q) => [
        `${q.id}: \`${q.expr}\``,
        String(q.resultSeries),
        mib(q.bytes),
        fmt(q.a.p50),
        fmt(q.a.p90),
        fmt(q.b.p50),
        fmt(q.b.p90),
        fmt(q.ratioP50, 2),
        fmt(q.ratioP90, 2),
        q.identical ? 'yes' : `**no**: ${q.difference}`,
      ]),
    ),
  );
  return out.join('\n');
}
