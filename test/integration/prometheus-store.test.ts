import protobuf from 'protobufjs';
import { compressSync } from 'snappy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeXorChunk, encodeXorChunk } from '../../src/chunkenc/xor.js';
import { dropLabels, formatLabels, getLabel, labelsToRecord, type Labels } from '../../src/model/labels.js';
import { LabelMatcher } from '../../src/model/matcher.js';
import type { Series } from '../../src/model/samples.js';
import type { SelectHints } from '../../src/storage/querier.js';
import { FrameDecoder } from '../../src/wire/framing.js';
import { encodeReadRequest, ResponseType } from '../../src/store/prometheus/messages.js';
import { PrometheusStore } from '../../src/store/prometheus/store.js';
import { formatOmTimestamp, formatOmValue, renderOpenMetrics, type OmSeries } from '../support/openmetrics.js';
import { prng } from '../support/prng.js';
import { freePort, prometheusAvailable, startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import type { RefSample } from '../support/reference-dedup.js';

const avail = prometheusAvailable();
if (!avail) console.warn('SKIP: prometheus/promtool not on PATH: PrometheusStore integration tests skipped');

const HOUR = 3_600_000;
/**
 * Fixed start of the history, not the wall clock: which samples share a chunk depends on where the
 * data lies against Prometheus' 2-hour block boundaries, so a clock-derived start made the chunk
 * layout (and with it the byte-exactness check below) depend on the hour the test ran. 14:00 UTC is
 * a block boundary, where test_metric{instance="i1"} gets a chunk ending in the trailing empty byte
 * (the layout that failed when the clock put the start on an even hour); the chunk sweep below
 * covers start offsets all over a block.
 */
const T0 = Date.UTC(2026, 0, 10, 14);
const EXT = { cluster: 'c1', replica: 'r0' };
const EXT_NAMES = new Set(Object.keys(EXT));

/** A few series with gaps, jitter and special values over 3 hours. */
function history(): string {
  let om = '# TYPE test_metric gauge\n';
  const series: [string, (i: number) => [number, number] | null][] = [
    ['job="a",instance="i1"', (i) => (i >= 240 && i < 320 ? null : [T0 + i * 15000, i * 3 + (i % 7)])], // 20-minute gap
    [
      'job="a",instance="i2"',
      (i) => [T0 + i * 15000, i === 100 ? NaN : i === 101 ? Infinity : i === 102 ? -Infinity : Math.round(Math.sin(i / 10) * 1e6) / 1e3],
    ],
    ['job="b",instance="i1"', (i) => [T0 + i * 15000 + ((i * 37) % 97) * 10 + 3, 0.1 * i]], // jittered ms timestamps
  ];
  for (const [ls, gen] of series) {
    for (let i = 0; i < 720; i++) {
      const s = gen(i);
      if (s) om += `test_metric{${ls}} ${formatOmValue(s[1])} ${formatOmTimestamp(s[0])}\n`;
    }
  }
  om += '# TYPE other_metric gauge\n';
  for (let i = 0; i < 30; i++) om += `other_metric{env="dev",job="c"} ${formatOmValue(-i * 1e10)} ${formatOmTimestamp(T0 + i * 360000)}\n`;
  return om + '# EOF\n';
}

const hints = (start: number, end: number, func = ''): SelectHints => ({ start, end, step: 0, func, range: 0, grouping: [], by: false });

interface MatrixResult {
  metric: Record<string, string>;
  values: [number, string][];
}

async function queryMatrix(url: string, selector: string, minTime: number, maxTime: number): Promise<MatrixResult[]> {
  const range = maxTime - minTime;
  const q = `${selector}[${range}ms]`;
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}&time=${(maxTime / 1000).toFixed(3)}`);
  const j = (await res.json()) as { status: string; data: { result: MatrixResult[] } };
  expect(j.status).toBe('success');
  return j.data.result;
}

function parseValue(s: string): number {
  return s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s);
}

/** Compares store series (external labels dropped) with a range-vector query's samples. */
function expectSameAsQuery(series: Series[], expected: MatrixResult[]): void {
  const key = (r: Record<string, string>) => JSON.stringify(Object.entries(r).sort());
  const want = new Map(expected.map((r) => [key(r.metric), r.values]));
  expect(series.length).toBe(expected.length);
  for (const s of series) {
    const vals = want.get(key(labelsToRecord(dropLabels(s.labels, EXT_NAMES))));
    expect(vals, `series ${formatLabels(s.labels)}`).toBeDefined();
    expect(Array.from(s.samples.timestamps)).toEqual(vals!.map(([t]) => Math.round(t * 1000)));
    const got = Array.from(s.samples.values);
    const exp = vals!.map(([, v]) => parseValue(v));
    for (let i = 0; i < got.length; i++) expect(Object.is(got[i], exp[i]) || (Number.isNaN(got[i]) && Number.isNaN(exp[i]))).toBe(true);
  }
}

interface ReencodeStats {
  chunks: number;
  /** Chunks whose data ends in the empty byte Go's bstream leaves after a byte-aligned whole-byte write. */
  trailingByte: number;
}

/**
 * Reads every chunk of `metric` in [startMs, endMs] over streamed remote read and checks that each one
 * decodes (to its own min/max time), that encodeXorChunk of the decoded samples gives the same bytes,
 * and, for chunks ending in the trailing empty byte, that they decode the same without it.
 */
async function checkChunksReencode(
  url: string,
  metric: string,
  startMs: number,
  endMs: number,
  onChunk?: (labels: { name: string; value: string }[], samples: Series['samples']) => void,
): Promise<ReencodeStats> {
  const root = protobuf.loadSync(['proto/prometheus/remote.proto']);
  const CRR = root.lookupType('prometheus.ChunkedReadResponse');
  const body = compressSync(
    encodeReadRequest([{ startMs, endMs, matchers: [new LabelMatcher('=', '__name__', metric)] }], [ResponseType.STREAMED_XOR_CHUNKS]),
  );
  const res = await fetch(`${url}/api/v1/read`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-read-version': '0.1.0' },
  });
  expect(res.headers.get('content-type')).toMatch(/^application\/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse/);
  const frames = new FrameDecoder();
  const stats: ReencodeStats = { chunks: 0, trailingByte: 0 };
  const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
  for (const msg of frames.push(new Uint8Array(await res.arrayBuffer()))) {
    const obj = CRR.toObject(CRR.decode(msg), { longs: Number }) as {
      chunkedSeries: { labels: { name: string; value: string }[]; chunks: { minTimeMs: number; maxTimeMs: number; type: number; data: Uint8Array }[] }[];
    };
    for (const cs of obj.chunkedSeries) {
      expect(cs.labels.map((l) => l.name)).toEqual([...cs.labels.map((l) => l.name)].sort());
      for (const c of cs.chunks) {
        expect(c.type).toBe(1);
        const s = decodeXorChunk(c.data);
        expect(s.timestamps[0]).toBe(c.minTimeMs);
        expect(s.timestamps[s.timestamps.length - 1]).toBe(c.maxTimeMs);
        expect(hex(encodeXorChunk(s.timestamps, s.values)), `chunk ${formatLabels(cs.labels)} @${c.minTimeMs}`).toBe(hex(c.data));
        if (stats.chunks === 0 && process.env.PRINT_CHUNK) console.log('real chunk', hex(c.data));
        // The trailing empty byte: the last byte is zero and the chunk is complete without it (a zero
        // last byte that holds stream bits cannot be dropped: the decoder reports the chunk truncated).
        if (c.data[c.data.length - 1] === 0) {
          let shorter: Series['samples'] | null = null;
          try {
            shorter = decodeXorChunk(c.data.subarray(0, c.data.length - 1));
          } catch {
            // a real stream byte
          }
          if (shorter) {
            expect(Array.from(shorter.timestamps)).toEqual(Array.from(s.timestamps));
            expect(hex(new Uint8Array(shorter.values.buffer, shorter.values.byteOffset, shorter.values.byteLength))).toBe(
              hex(new Uint8Array(s.values.buffer, s.values.byteOffset, s.values.byteLength)),
            );
            stats.trailingByte++;
          }
        }
        onChunk?.(cs.labels, s);
        stats.chunks++;
      }
    }
  }
  frames.end();
  return stats;
}

/**
 * `chunk_metric` series with a deterministic (seeded) spread of start times (ms offsets all over a
 * 2-hour block), sample counts (1 to 400, with the chunk-size edges), intervals and value kinds, so
 * that Prometheus cuts chunks ending after every kind of write: with the trailing empty byte and
 * without (on or off a byte boundary).
 */
function sweepHistory(): { name: string; type: 'gauge'; series: OmSeries[] } {
  const r = prng(20261201);
  const EDGE_COUNTS = [1, 1, 1, 2, 2, 3, 4, 5, 8, 119, 120, 121, 239, 240, 241];
  const series: OmSeries[] = [];
  for (let k = 0; k < 240; k++) {
    const n = k < EDGE_COUNTS.length ? EDGE_COUNTS[k]! : 1 + Math.floor(r() * 400);
    let t = T0 + Math.floor(r() * 2 * HOUR);
    const timing = Math.floor(r() * 3); // 0: exact 15 s, 1: ms jitter, 2: jitter and gaps
    const kind = Math.floor(r() * 5);
    let v = Math.floor(r() * 1000);
    const samples: RefSample[] = [];
    for (let i = 0; i < n; i++) {
      const c = r();
      if (kind === 0) v += Math.floor(r() * 10); // counter
      else if (kind === 1) v = c < 0.3 ? v : Math.round(r() * 1e6) / 1e3; // gauge, often repeated
      else if (kind === 2) v = (r() - 0.5) * 10 ** Math.floor(r() * 30 - 10); // arbitrary doubles
      else if (kind === 3) v = c < 0.02 ? NaN : c < 0.04 ? Infinity : c < 0.06 ? -Infinity : c < 0.08 ? -0 : i * 0.1;
      else v = Math.floor(r() * 2 ** Math.floor(r() * 53)); // integers of every width
      samples.push([t, v]);
      const jitter = timing === 0 ? 0 : Math.floor((r() - 0.5) * 200);
      const gap = timing === 2 && r() < 0.03 ? Math.floor(r() * 20 * 60_000) : 0;
      t += 15_000 + jitter + gap;
    }
    series.push({ labels: { __name__: 'chunk_metric', series: String(k).padStart(3, '0') }, samples });
  }
  return { name: 'chunk_metric', type: 'gauge', series };
}

describe.skipIf(!avail)('PrometheusStore against a real Prometheus', () => {
  let prom: PrometheusServer;
  let store: PrometheusStore;

  beforeAll(async () => {
    prom = await startPrometheus({ externalLabels: EXT, openMetrics: history() });
    store = new PrometheusStore({ url: prom.url, refreshIntervalMs: 0 });
    await store.start();
  });
  afterAll(async () => {
    await store?.stop();
    await prom?.stop();
  });

  it('reads external labels from the config', () => {
    expect(store.lastError).toBeNull();
    expect(store.labelSets().map(labelsToRecord)).toEqual([EXT]);
  });

  const cases: [string, LabelMatcher[]][] = [
    ['{__name__="test_metric"}', [new LabelMatcher('=', '__name__', 'test_metric')]],
    ['{__name__="test_metric",job!="b"}', [new LabelMatcher('=', '__name__', 'test_metric'), new LabelMatcher('!=', 'job', 'b')]],
    ['{__name__=~"test_.*",instance=~"i1|i9"}', [new LabelMatcher('=~', '__name__', 'test_.*'), new LabelMatcher('=~', 'instance', 'i1|i9')]],
    ['{__name__=~".+",job!~"a|b"}', [new LabelMatcher('=~', '__name__', '.+'), new LabelMatcher('!~', 'job', 'a|b')]],
  ];
  for (const [selector, matchers] of cases) {
    it(`select ${selector} equals the server's own range query`, async () => {
      const minTime = T0 + 30 * 60000 + 7;
      const maxTime = T0 + 150 * 60000 + 7;
      const { series, warnings } = await store.select({ minTime, maxTime, matchers, hints: hints(minTime, maxTime) }, AbortSignal.timeout(10_000));
      expect(warnings).toEqual([]);
      expect(series.length).toBeGreaterThan(0);
      for (const s of series) {
        expect(getLabel(s.labels, 'cluster')).toBe('c1');
        expect(getLabel(s.labels, 'replica')).toBe('r0');
      }
      expectSameAsQuery(series, await queryMatrix(prom.url, selector, minTime, maxTime));
      expect(store.lastSelectStats!.responseType).toBe(ResponseType.STREAMED_XOR_CHUNKS);
    });
  }

  it('resolves matchers on external labels locally', async () => {
    const minTime = T0;
    const maxTime = T0 + 3 * HOUR;
    const name = new LabelMatcher('=', '__name__', 'test_metric');
    const sel = (ms: LabelMatcher[]) => store.select({ minTime, maxTime, matchers: [name, ...ms], hints: hints(minTime, maxTime) }, AbortSignal.timeout(10_000));
    expect((await sel([new LabelMatcher('=~', 'replica', 'r.*')])).series).toHaveLength(3);
    expect((await sel([new LabelMatcher('=', 'cluster', 'c1'), new LabelMatcher('!=', 'replica', 'r1')])).series).toHaveLength(3);
    expect((await sel([new LabelMatcher('=', 'cluster', 'c2')])).series).toHaveLength(0);
    expect((await sel([new LabelMatcher('!~', 'replica', 'r0')])).series).toHaveLength(0);
    // Only an external-label matcher: every series of the server.
    const all = await store.select({ minTime, maxTime, matchers: [new LabelMatcher('=', 'cluster', 'c1')], hints: hints(minTime, maxTime) }, AbortSignal.timeout(10_000));
    expect(all.series).toHaveLength(4);
  });

  it('SAMPLES fallback returns the same data', async () => {
    const sampled = new PrometheusStore({ url: prom.url, refreshIntervalMs: 0, acceptedResponseTypes: [ResponseType.SAMPLES] });
    await sampled.start();
    try {
      const minTime = T0 + 10 * 60000 + 7;
      const maxTime = T0 + 170 * 60000 + 7;
      const m = [new LabelMatcher('=~', '__name__', 'test_metric|other_metric')];
      const a = await sampled.select({ minTime, maxTime, matchers: m, hints: hints(minTime, maxTime) }, AbortSignal.timeout(10_000));
      expect(sampled.lastSelectStats!.responseType).toBe(ResponseType.SAMPLES);
      const b = await store.select({ minTime, maxTime, matchers: m, hints: hints(minTime, maxTime) }, AbortSignal.timeout(10_000));
      expect(a.series.length).toBe(4);
      expect(a.series.map((s) => formatLabels(s.labels))).toEqual(b.series.map((s) => formatLabels(s.labels)));
      for (let i = 0; i < a.series.length; i++) {
        expect(Array.from(a.series[i]!.samples.timestamps)).toEqual(Array.from(b.series[i]!.samples.timestamps));
        expect(Buffer.from(a.series[i]!.samples.values.buffer)).toEqual(Buffer.from(b.series[i]!.samples.values.buffer));
      }
      expectSameAsQuery(a.series, await queryMatrix(prom.url, '{__name__=~"test_metric|other_metric"}', minTime, maxTime));
    } finally {
      await sampled.stop();
    }
  });

  it('real Prometheus chunks decode to the query results and re-encode bit-exactly', async () => {
    const stats = await checkChunksReencode(prom.url, 'test_metric', T0, T0 + 3 * HOUR);
    expect(stats.chunks).toBeGreaterThan(10);
  });

  it('label APIs include external labels', async () => {
    const req = { minTime: T0, maxTime: T0 + 3 * HOUR, matchers: [], limit: 0 };
    const signal = AbortSignal.timeout(10_000);
    expect(await store.labelNames(req, signal)).toEqual(['__name__', 'cluster', 'env', 'instance', 'job', 'replica']);
    expect(await store.labelValues('job', req, signal)).toEqual(['a', 'b', 'c']);
    expect(await store.labelValues('replica', req, signal)).toEqual(['r0']);
    const withMatch = { ...req, matchers: [[new LabelMatcher('=', 'job', 'c')]] };
    expect(await store.labelNames(withMatch, signal)).toEqual(['__name__', 'cluster', 'env', 'job', 'replica']);
    expect(await store.labelValues('replica', withMatch, signal)).toEqual(['r0']);
    const noMatch = { ...req, matchers: [[new LabelMatcher('=', 'job', 'zzz')]] };
    expect(await store.labelValues('replica', noMatch, signal)).toEqual([]);
    expect(await store.labelNames({ ...req, matchers: [[new LabelMatcher('=', 'cluster', 'other')]] }, signal)).toEqual([]);
    const series: Labels[] = await store.series({ ...req, matchers: [[new LabelMatcher('=', '__name__', 'test_metric'), new LabelMatcher('=', 'job', 'a')]] }, signal);
    expect(series.map(formatLabels)).toEqual([
      '{__name__="test_metric", cluster="c1", instance="i1", job="a", replica="r0"}',
      '{__name__="test_metric", cluster="c1", instance="i2", job="a", replica="r0"}',
    ]);
    expect(await store.labelValues('job', { ...req, limit: 2 }, signal)).toEqual(['a', 'b']);
    expect(typeof (await store.metadata('', 0, signal))).toBe('object');
  });

  it('honours AbortSignal', async () => {
    const ac = new AbortController();
    ac.abort(new Error('cancelled by test'));
    const m = [new LabelMatcher('=~', '__name__', '.+')];
    await expect(store.select({ minTime: T0, maxTime: T0 + HOUR, matchers: m, hints: hints(T0, T0 + HOUR) }, ac.signal)).rejects.toThrow(/cancelled by test/);
    const ac2 = new AbortController();
    const p = store.select({ minTime: T0, maxTime: T0 + HOUR, matchers: m, hints: hints(T0, T0 + HOUR) }, ac2.signal);
    ac2.abort(new Error('cancelled later'));
    await expect(p).rejects.toThrow(/cancelled later/);
  });

  it('reports HTTP errors with status and body', async () => {
    const bad = new PrometheusStore({ url: prom.url + '/nope', refreshIntervalMs: 0 });
    await bad.start();
    expect(bad.lastError?.message).toMatch(/HTTP 404/);
    expect(bad.labelSets()).toEqual([]);
    await expect(
      bad.select({ minTime: T0, maxTime: T0 + HOUR, matchers: [new LabelMatcher('=', '__name__', 'x')], hints: hints(T0, T0 + HOUR) }, AbortSignal.timeout(5000)),
    ).rejects.toThrow(/HTTP 404/);
    await bad.stop();
  });

  it('fails fast and clearly on a dead endpoint', async () => {
    const port = await freePort();
    const dead = new PrometheusStore({ url: `http://127.0.0.1:${port}`, refreshIntervalMs: 0 });
    const t = Date.now();
    await dead.start();
    expect(dead.lastError?.message).toMatch(/ECONNREFUSED/);
    await expect(
      dead.select({ minTime: T0, maxTime: T0 + HOUR, matchers: [new LabelMatcher('=', '__name__', 'x')], hints: hints(T0, T0 + HOUR) }, AbortSignal.timeout(5000)),
    ).rejects.toThrow(new RegExp(`127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
    expect(Date.now() - t).toBeLessThan(2000);
    await dead.stop();
  });

  it('keeps previous external labels when a refresh fails', async () => {
    const p2 = await startPrometheus({ externalLabels: { cluster: 'c9' } });
    const s2 = new PrometheusStore({ url: p2.url, refreshIntervalMs: 0 });
    await s2.start();
    expect(s2.labelSets().map(labelsToRecord)).toEqual([{ cluster: 'c9' }]);
    await p2.stop();
    await s2.refreshExternalLabels();
    expect(s2.lastError).not.toBeNull();
    expect(s2.labelSets().map(labelsToRecord)).toEqual([{ cluster: 'c9' }]);
    await s2.stop();
  });
});

describe.skipIf(!avail)('Prometheus XOR chunk byte layout', () => {
  it('chunks over many start times, sample counts and values re-encode bit-exactly, with and without the trailing byte', async () => {
    const families = sweepHistory();
    const want = new Map(families.series.map((s) => [s.labels.series!, s.samples]));
    const prom = await startPrometheus({ openMetrics: renderOpenMetrics([families]) });
    try {
      const got = new Map<string, RefSample[]>();
      const stats = await checkChunksReencode(prom.url, 'chunk_metric', T0, T0 + 12 * HOUR, (labels, s) => {
        const key = labels.find((l) => l.name === 'series')!.value;
        const list = got.get(key) ?? [];
        for (let i = 0; i < s.timestamps.length; i++) list.push([s.timestamps[i]!, s.values[i]!]);
        got.set(key, list);
      });
      // Every sample came back (the chunks really hold the generated data)...
      expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [key, samples] of want) {
        const back = got.get(key)!;
        expect(back.map(([t]) => t), `series ${key}`).toEqual(samples.map(([t]) => t));
        for (let i = 0; i < samples.length; i++) {
          const [a, b] = [back[i]![1], samples[i]![1]];
          if (!(Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)))) expect(a, `series ${key} sample ${i}`).toBe(b);
        }
      }
      // ...and both layouts were exercised: chunks whose stream ends on a whole-byte write at a byte
      // boundary (Prometheus leaves an empty byte after them) and all the others.
      console.log(`chunk sweep: ${stats.chunks} chunks, ${stats.trailingByte} with the trailing empty byte`);
      expect(stats.trailingByte).toBeGreaterThanOrEqual(20);
      expect(stats.chunks - stats.trailingByte).toBeGreaterThanOrEqual(100);
    } finally {
      await prom.stop();
    }
  });
});

describe.skipIf(!avail)('PrometheusStore select throughput (1000 series x 240 samples)', () => {
  it('measures end-to-end select', async () => {
    const lines: string[] = ['# TYPE bench_metric gauge'];
    const base = T0;
    for (let s = 0; s < 1000; s++) {
      let v = s;
      for (let i = 0; i < 240; i++) {
        v += (i * 7 + s) % 13;
        lines.push(`bench_metric{instance="host-${s}",job="bench"} ${v} ${formatOmTimestamp(base + i * 15000)}`);
      }
    }
    lines.push('# EOF', '');
    let t = performance.now();
    const prom = await startPrometheus({ externalLabels: { replica: 'a' }, openMetrics: lines.join('\n') });
    console.log(`import+start of 240k samples: ${(performance.now() - t).toFixed(0)} ms`);
    const store = new PrometheusStore({ url: prom.url, refreshIntervalMs: 0 });
    try {
      await store.start();
      const req = { minTime: base, maxTime: base + HOUR, matchers: [new LabelMatcher('=', '__name__', 'bench_metric')], hints: hints(base, base + HOUR) };
      for (const accepted of [[ResponseType.STREAMED_XOR_CHUNKS], [ResponseType.SAMPLES]]) {
        const st = new PrometheusStore({ url: prom.url, refreshIntervalMs: 0, acceptedResponseTypes: accepted });
        await st.start();
        let best = Infinity;
        let n = 0;
        for (let k = 0; k < 5; k++) {
          t = performance.now();
          const r = await st.select(req, AbortSignal.timeout(30_000));
          best = Math.min(best, performance.now() - t);
          n = r.series.reduce((a, s) => a + s.samples.timestamps.length, 0);
          expect(r.series).toHaveLength(1000);
        }
        expect(n).toBe(240_000);
        const stats = st.lastSelectStats!;
        console.log(
          `select 1000x240 (${accepted[0] === 1 ? 'STREAMED_XOR_CHUNKS' : 'SAMPLES'}): best ${best.toFixed(1)} ms, ` +
            `${((n / best) * 1000 / 1e6).toFixed(2)} M samples/s, ${stats.bytes} bytes, ${stats.frames} frames, ${stats.chunks} chunks`,
        );
        await st.stop();
      }
      // The server's share: the same streamed request, body read but not decoded.
      const reqBody = compressSync(encodeReadRequest([{ startMs: req.minTime, endMs: req.maxTime, matchers: req.matchers }], [ResponseType.STREAMED_XOR_CHUNKS]));
      let rawBest = Infinity;
      for (let k = 0; k < 5; k++) {
        t = performance.now();
        const res = await fetch(`${prom.url}/api/v1/read`, {
          method: 'POST',
          body: reqBody,
          headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-read-version': '0.1.0' },
        });
        await res.arrayBuffer();
        rawBest = Math.min(rawBest, performance.now() - t);
      }
      console.log(`raw streamed remote read (no decoding, fetch): best ${rawBest.toFixed(1)} ms`);
    } finally {
      await store.stop();
      await prom.stop();
    }
  });
});
