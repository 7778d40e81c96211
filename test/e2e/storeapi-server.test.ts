/**
 * End to end: promdedup's StoreAPI server (--grpc-address) over two real Prometheus replicas,
 * called with a plain @grpc/grpc-js client (test/support/grpc-client.ts, proto-loader decoding):
 * raw Series (every replica, external labels, sorted, XOR chunks of at most 120 samples), skip_chunks,
 * limit, every matcher kind, time clipping, without_replica_labels, bad requests, Info, health, a
 * slow reader, and --grpc.serve-deduplicated.
 */
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeXorChunk } from '../../src/chunkenc/xor.js';
import { storeApiClient, type PbSeries, type PbSeriesResponse, type StoreApiTestClient } from '../support/grpc-client.js';
import { generateHaData, type HaData } from '../support/hadata.js';
import { startHaSetup, type HaSetup } from '../support/ha-setup.js';
import type { LabelMap, OmFamily } from '../support/openmetrics.js';
import { prometheusAvailable } from '../support/prometheus.js';
import { startQuerier, type QuerierProcess } from '../support/querier-process.js';
import { sleep } from '../support/child-process.js';
import { apiGet, diffAnswers } from '../support/compare.js';

const EQ = 0;
const NEQ = 1;
const RE = 2;
const NRE = 3;

type Sample = readonly [number, number];

/** Prometheus' labels.Compare on name-sorted label lists. */
function compareLabelLists(a: readonly { name: string; value: string }[], b: readonly { name: string; value: string }[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i]!.name !== b[i]!.name) return a[i]!.name < b[i]!.name ? -1 : 1;
    if (a[i]!.value !== b[i]!.value) return a[i]!.value < b[i]!.value ? -1 : 1;
  }
  return a.length - b.length;
}
const sortedList = (m: LabelMap) => Object.keys(m).sort().map((name) => ({ name, value: m[name]! }));
const key = (ls: readonly { name: string; value: string }[]) => ls.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(',');

/** Every sample of a Series frame's chunks, in order, and the chunks' sizes. */
function decodeSeries(s: PbSeries): { samples: Sample[]; chunkSizes: number[]; bounds: [number, number][] } {
  const samples: Sample[] = [];
  const chunkSizes: number[] = [];
  const bounds: [number, number][] = [];
  for (const c of s.chunks) {
    expect(c.raw).not.toBeNull();
    expect(c.raw!.type).toBe(0); // XOR
    const d = decodeXorChunk(c.raw!.data);
    chunkSizes.push(d.timestamps.length);
    bounds.push([Number(c.min_time), Number(c.max_time)]);
    for (let i = 0; i < d.timestamps.length; i++) samples.push([d.timestamps[i]!, d.values[i]!]);
    if (d.timestamps.length > 0) {
      expect(Number(c.min_time)).toBe(d.timestamps[0]);
      expect(Number(c.max_time)).toBe(d.timestamps[d.timestamps.length - 1]);
    }
  }
  return { samples, chunkSizes, bounds };
}

const inside = (xs: readonly Sample[], mint: number, maxt: number) => xs.filter(([t]) => t >= mint && t <= maxt);
/** Samples as comparable strings (NaN equal to NaN). */
const norm = (xs: readonly Sample[]) => xs.map(([t, v]) => `${t}:${Object.is(v, NaN) ? 'NaN' : v}`);

/** The expected series of a family list, as name-sorted label lists with samples, sorted by labels. */
function expectedFrom(families: readonly OmFamily[], pred: (l: LabelMap) => boolean, mint: number, maxt: number) {
  const out: { labels: { name: string; value: string }[]; samples: Sample[] }[] = [];
  for (const f of families)
    for (const s of f.series) {
      if (!pred(s.labels)) continue;
      const samples = inside(s.samples, mint, maxt);
      if (samples.length === 0) continue;
      out.push({ labels: sortedList(s.labels), samples });
    }
  return out.sort((a, b) => compareLabelLists(a.labels, b.labels));
}

const grpcCode = async (p: Promise<unknown>): Promise<ServiceError> => {
  try {
    await p;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('expected the call to fail');
};

describe.skipIf(!prometheusAvailable())('promdedup\'s StoreAPI server over real replicas', () => {
  let d: HaData;
  let setup: HaSetup;
  let client: StoreApiTestClient;
  let dedupQuerier: QuerierProcess | undefined;
  let dedupClient: StoreApiTestClient | undefined;
  let chained: QuerierProcess | undefined;
  /** A 60-minute window: 240 samples per series at 15 s, two chunks of 120. */
  let mint: number;
  let maxt: number;

  const req = (over: Record<string, unknown>) => ({
    min_time: mint,
    max_time: maxt,
    matchers: [{ type: EQ, name: '__name__', value: 'up' }],
    ...over,
  });

  beforeAll(async () => {
    d = generateHaData({ seed: 11 });
    setup = await startHaSetup({ cluster: d.cluster, openMetrics: { a: d.openMetrics.a, b: d.openMetrics.b }, querierArgs: ['--query.workers=2', '--log.level=warn'] });
    client = storeApiClient(`127.0.0.1:${setup.querier.grpcPort}`);
    mint = d.at(60);
    maxt = d.at(120) - 1;
  }, 300_000);

  afterAll(async () => {
    client?.close();
    dedupClient?.close();
    await dedupQuerier?.stop();
    await chained?.stop();
    await setup?.stop();
  });

  it('raw Series: every replica\'s series with the external labels, sorted by labels, samples exact', async () => {
    const got = await client.series(req({}));
    expect(got.warnings).toEqual([]);
    const want = expectedFrom(d.all, (l) => l.__name__ === 'up', mint, maxt);
    expect(want.length).toBeGreaterThan(10);
    expect(got.series.map((s) => key(s.labels))).toEqual(want.map((w) => key(w.labels)));
    for (const s of got.series) {
      expect(s.labels.some((l) => l.name === 'replica')).toBe(true);
      expect(s.labels.find((l) => l.name === 'cluster')?.value).toBe(d.cluster);
    }
    // Sorted by labels (Prometheus' order), each label set once.
    for (let i = 1; i < got.series.length; i++) expect(compareLabelLists(got.series[i - 1]!.labels, got.series[i]!.labels)).toBeLessThan(0);
    got.series.forEach((s, i) => {
      const { samples, chunkSizes } = decodeSeries(s);
      expect(norm(inside(samples, mint, maxt))).toEqual(norm(want[i]!.samples));
      for (const n of chunkSizes) expect(n).toBeLessThanOrEqual(120);
    });
    // 240 samples a series: the replicas' own chunks passed on (Prometheus cuts at 120 and trims
    // them to the window), so at least two, none empty, together every sample.
    for (const { chunkSizes, samples } of got.series.map(decodeSeries)) {
      expect(chunkSizes.length).toBeGreaterThanOrEqual(2);
      for (const n of chunkSizes) expect(n).toBeGreaterThan(0);
      expect(chunkSizes.reduce((a, b) => a + b, 0)).toBe(samples.length);
    }
  });

  it('values survive exactly, NaN included (sensor_reading)', async () => {
    const got = await client.series(req({ min_time: d.at(0), max_time: d.endMs, matchers: [{ type: EQ, name: '__name__', value: 'sensor_reading' }] }));
    const want = expectedFrom(d.all, (l) => l.__name__ === 'sensor_reading', d.at(0), d.endMs);
    expect(got.series).toHaveLength(2);
    got.series.forEach((s, i) => expect(norm(inside(decodeSeries(s).samples, d.at(0), d.endMs))).toEqual(norm(want[i]!.samples)));
    expect(norm(want[0]!.samples).some((x) => x.endsWith(':NaN'))).toBe(true);
  });

  it('skip_chunks: the same label sets, no chunks', async () => {
    const got = await client.series(req({ skip_chunks: true }));
    const want = expectedFrom(d.all, (l) => l.__name__ === 'up', mint, maxt);
    expect(got.series.map((s) => key(s.labels))).toEqual(want.map((w) => key(w.labels)));
    for (const s of got.series) expect(s.chunks).toEqual([]);
  });

  it('limit: the first N series', async () => {
    const all = await client.series(req({ skip_chunks: true }));
    const got = await client.series(req({ skip_chunks: true, limit: 3 }));
    expect(got.series.map((s) => key(s.labels))).toEqual(all.series.slice(0, 3).map((s) => key(s.labels)));
  });

  it('every matcher kind: =, !=, =~, !~', async () => {
    const matchers = [
      { type: RE, name: '__name__', value: 'up|queue_length' },
      { type: NEQ, name: 'job', value: 'sensors' },
      { type: RE, name: 'instance', value: '10\\.0\\.[01]\\..*' },
      { type: NRE, name: 'instance', value: '.*:8080' },
      { type: EQ, name: 'replica', value: 'b' },
    ];
    const got = await client.series(req({ matchers, skip_chunks: true }));
    const want = expectedFrom(
      d.all,
      (l) => /^(up|queue_length)$/.test(l.__name__!) && l.job !== 'sensors' && /^10\.0\.[01]\..*$/.test(l.instance ?? '') && !/^.*:8080$/.test(l.instance ?? '') && l.replica === 'b',
      mint,
      maxt,
    );
    expect(want.length).toBeGreaterThan(2);
    expect(got.series.map((s) => key(s.labels))).toEqual(want.map((w) => key(w.labels)));
    // Only worker instances (port 9100) are left.
    for (const s of got.series) expect(s.labels.find((l) => l.name === 'instance')!.value).toMatch(/:9100$/);
  });

  it('time range: the samples inside [min_time, max_time] are exactly the replica\'s (chunks may extend past it)', async () => {
    const lo = d.at(75) + 7_000;
    const hi = d.at(80) + 3_000;
    const got = await client.series(req({ min_time: lo, max_time: hi }));
    const want = expectedFrom(d.all, (l) => l.__name__ === 'up', lo, hi);
    expect(got.series.map((s) => key(s.labels))).toEqual(want.map((w) => key(w.labels)));
    got.series.forEach((s, i) => expect(norm(inside(decodeSeries(s).samples, lo, hi))).toEqual(norm(want[i]!.samples)));
  });

  it('without_replica_labels: the replica label removed, replicas adjacent (a before b), order kept', async () => {
    const got = await client.series(req({ without_replica_labels: ['replica'] }));
    const full = expectedFrom(d.all, (l) => l.__name__ === 'up', mint, maxt);
    // Expected order: sorted by the remaining labels, replicas in the order of their full label sets.
    const want = full
      .map((w) => ({ ...w, reduced: w.labels.filter((l) => l.name !== 'replica') }))
      .sort((a, b) => compareLabelLists(a.reduced, b.reduced) || compareLabelLists(a.labels, b.labels));
    expect(got.series.map((s) => key(s.labels))).toEqual(want.map((w) => key(w.reduced)));
    for (const s of got.series) expect(s.labels.some((l) => l.name === 'replica')).toBe(false);
    got.series.forEach((s, i) => expect(norm(inside(decodeSeries(s).samples, mint, maxt))).toEqual(norm(want[i]!.samples)));
    // Equal neighbours: each series comes twice in a row (both replicas hold every instance).
    for (let i = 0; i < got.series.length; i += 2) expect(key(got.series[i]!.labels)).toBe(key(got.series[i + 1]!.labels));
  });

  it('without_replica_labels removes external labels only, as Thanos\' stores do (a series\' own label stays)', async () => {
    const got = await client.series(req({ without_replica_labels: ['replica', 'job'] }));
    expect(got.series.length).toBeGreaterThan(0);
    for (const s of got.series) {
      expect(s.labels.some((l) => l.name === 'replica')).toBe(false);
      expect(s.labels.some((l) => l.name === 'job')).toBe(true);
    }
  });

  it('all time as Thanos sends it (Go MinInt64 / MaxInt64): every sample', async () => {
    const got = await client.series(req({ min_time: '-9223372036854775808', max_time: '9223372036854775807', matchers: [{ type: EQ, name: '__name__', value: 'queue_length' }] }));
    const want = expectedFrom(d.all, (l) => l.__name__ === 'queue_length', -Infinity, Infinity);
    expect(got.warnings).toEqual([]);
    expect(got.series.map((s) => key(s.labels))).toEqual(want.map((w) => key(w.labels)));
    got.series.forEach((s, i) => expect(norm(decodeSeries(s).samples)).toEqual(norm(want[i]!.samples)));
    const names = await client.unary<{ names: string[] }>('thanos.Store', 'LabelNames', { start: '-9223372036854775808', end: '9223372036854775807' });
    expect(names.names).toContain('queue');
  });

  it('bad requests are INVALID_ARGUMENT with a reason, and the server keeps serving', async () => {
    const badRegex = await grpcCode(client.series(req({ matchers: [{ type: RE, name: 'job', value: '(' }] })));
    expect(badRegex.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(badRegex.details).toMatch(/regular expression|regex|missing/i);
    const none = await grpcCode(client.series(req({ matchers: [] })));
    expect(none.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(none.details).toMatch(/no matchers/);
    const backwards = await grpcCode(client.series(req({ min_time: maxt, max_time: mint })));
    expect(backwards.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(backwards.details).toMatch(/min_time .* is after max_time/);
    const unknownType = await grpcCode(client.series(req({ matchers: [{ type: 7, name: 'job', value: 'x' }] })));
    expect(unknownType.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    const ok = await client.series(req({ skip_chunks: true }));
    expect(ok.series.length).toBeGreaterThan(0);
  });

  it('thanos.info.Info: component "query", the replicas\' label sets, without_replica_labels supported', async () => {
    const info = await client.unary<{ ComponentType: string; label_sets: { labels: { name: string; value: string }[] }[]; store: Record<string, unknown> | null }>(
      'thanos.info.Info',
      'Info',
      {},
    );
    expect(info.ComponentType).toBe('query');
    expect(info.label_sets).toEqual([
      { labels: [{ name: 'cluster', value: d.cluster }, { name: 'replica', value: 'a' }] },
      { labels: [{ name: 'cluster', value: d.cluster }, { name: 'replica', value: 'b' }] },
    ]);
    expect(info.store).toMatchObject({ supports_without_replica_labels: true, min_time: '-9223372036854775808', max_time: '9223372036854775807' });
    // The legacy call answers too, as a QUERY store.
    const legacy = await client.unary<{ storeType: number; label_sets: unknown[] }>('thanos.Store', 'Info', {});
    expect(legacy.storeType).toBe(1);
    expect(legacy.label_sets).toEqual(info.label_sets);
  });

  it('LabelNames and LabelValues', async () => {
    const names = await client.unary<{ names: string[]; warnings: string[] }>('thanos.Store', 'LabelNames', { start: mint, end: maxt, matchers: [{ type: EQ, name: '__name__', value: 'up' }] });
    expect(names.names).toEqual(['__name__', 'cluster', 'instance', 'job', 'replica']);
    const without = await client.unary<{ names: string[] }>('thanos.Store', 'LabelNames', { start: mint, end: maxt, without_replica_labels: ['replica'] });
    expect(without.names).not.toContain('replica');
    expect(without.names).toContain('queue');
    const values = await client.unary<{ values: string[] }>('thanos.Store', 'LabelValues', { label: 'replica', start: mint, end: maxt });
    expect(values.values).toEqual(['a', 'b']);
    const jobs = await client.unary<{ values: string[] }>('thanos.Store', 'LabelValues', { label: 'job', start: mint, end: maxt });
    expect(jobs.values).toEqual(['api', 'sensors', 'worker']);
  });

  it('health: SERVING for the server and its services, NOT_FOUND for others', async () => {
    expect(await client.unary('grpc.health.v1.Health', 'Check', { service: '' })).toEqual({ status: 1 });
    expect(await client.unary('grpc.health.v1.Health', 'Check', { service: 'thanos.Store' })).toEqual({ status: 1 });
    expect(await client.unary('grpc.health.v1.Health', 'Check', { service: 'thanos.info.Info' })).toEqual({ status: 1 });
    const err = await grpcCode(client.unary('grpc.health.v1.Health', 'Check', { service: 'nope' }));
    expect(err.code).toBe(GrpcStatus.NOT_FOUND);
  });

  it('a client that stops reading for 2 s gets the whole answer once it reads again', async () => {
    // Everything over 3 h: ~100 series × 720 samples, far more than HTTP/2's 64 KiB window.
    const all = { min_time: d.at(0), max_time: d.endMs, matchers: [{ type: RE, name: '__name__', value: '.+' }] };
    const reference = await client.series(all);
    const frames: PbSeriesResponse[] = [];
    const call = client.openSeries(all);
    let paused = false;
    await new Promise<void>((resolve, reject) => {
      call.on('data', (f: PbSeriesResponse) => {
        frames.push(f);
        if (!paused) {
          paused = true;
          call.pause();
          void sleep(2_000).then(() => call.resume());
        }
      });
      call.on('error', reject);
      call.on('end', resolve);
    });
    expect(frames.length).toBe(reference.frames.length);
    const labelsOf = (fs: PbSeriesResponse[]) => fs.map((f) => (f.result === 'series' ? key(f.series.labels) : f.result));
    expect(labelsOf(frames)).toEqual(labelsOf(reference.frames));
    const bytes = (fs: PbSeriesResponse[]) => fs.reduce((n, f) => n + (f.result === 'series' ? f.series.chunks.reduce((m, c) => m + (c.raw?.data.length ?? 0), 0) : 0), 0);
    expect(bytes(frames)).toBe(bytes(reference.frames));
    expect(bytes(frames)).toBeGreaterThan(256 * 1024);
  });

  it('--grpc.serve-deduplicated: merged series, replica label gone, equal to the reference merge', async () => {
    dedupQuerier = await startQuerier({ endpoints: [setup.a.url, setup.b.url], extraArgs: ['--grpc.serve-deduplicated', '--query.workers=1', '--log.level=warn'] });
    dedupClient = storeApiClient(`127.0.0.1:${dedupQuerier.grpcPort}`);
    // A whole-minute start is a safe select start for the reference merge (hadata.ts).
    const lo = d.at(30);
    const hi = d.endMs;
    expect(d.isSafeMint(lo)).toBe(true);
    const got = await dedupClient.series({ min_time: lo, max_time: hi, matchers: [{ type: EQ, name: '__name__', value: 'up' }] });
    const want = expectedFrom(d.expected, (l) => l.__name__ === 'up', lo, hi);
    expect(got.series.map((s) => key(s.labels))).toEqual(want.map((w) => key(w.labels)));
    got.series.forEach((s, i) => expect(norm(inside(decodeSeries(s).samples, lo, hi))).toEqual(norm(want[i]!.samples)));
    const info = await dedupClient.unary<{ label_sets: unknown[] }>('thanos.info.Info', 'Info', {});
    expect(info.label_sets).toEqual([{ labels: [{ name: 'cluster', value: d.cluster }] }]);
  });

  it('promdedup over promdedup (--endpoint=<its gRPC address>) answers exactly as promdedup over the replicas', async () => {
    chained = await startQuerier({ endpoints: [`127.0.0.1:${setup.querier.grpcPort}`], extraArgs: ['--query.workers=1', '--log.level=warn'] });
    const t = d.endMs / 1000 - 60;
    const cases: [string, Record<string, string | number>][] = [
      ['/api/v1/query', { query: 'up', time: t }],
      ['/api/v1/query', { query: 'up', time: t, dedup: 'false' }],
      ['/api/v1/query', { query: 'sum by (job) (rate(http_requests_total[5m]))', time: t }],
      ['/api/v1/query_range', { query: 'rate(http_requests_total{code="200"}[5m])', start: d.at(30) / 1000, end: d.at(170) / 1000, step: 60 }],
      ['/api/v1/query_range', { query: 'max_over_time(queue_length[10m])', start: d.at(10) / 1000, end: d.at(175) / 1000, step: 300 }],
      ['/api/v1/query', { query: 'process_cpu_seconds_total[20m]', time: d.at(125) / 1000 }],
      ['/api/v1/series', { 'match[]': 'jobs_processed_total', start: d.at(0) / 1000, end: d.endMs / 1000 }],
      ['/api/v1/labels', { start: d.at(0) / 1000, end: d.endMs / 1000 }],
      ['/api/v1/label/instance/values', { start: d.at(0) / 1000, end: d.endMs / 1000 }],
    ];
    for (const [path, params] of cases) {
      const [got, want] = await Promise.all([apiGet(chained.url, path, params), apiGet(setup.querier.url, path, params)]);
      expect(want.httpStatus, `${path} ${JSON.stringify(params)}`).toBe(200);
      expect(diffAnswers(got, want), `${path} ${JSON.stringify(params)}`).toEqual([]);
    }
  });

  it('replica b down: WARN sends a warning frame first, then replica a\'s series; ABORT fails with ABORTED', async () => {
    await setup.b.stop();
    const bHost = new URL(setup.b.url).host;
    const warned = await client.series(req({ skip_chunks: true }));
    expect(warned.frames[0]!.result).toBe('warning');
    expect(warned.warnings.some((w) => w.includes(bHost))).toBe(true);
    expect(warned.series.length).toBeGreaterThan(0);
    for (const s of warned.series) expect(s.labels.find((l) => l.name === 'replica')?.value).toBe('a');
    for (const strategy of [{ partial_response_strategy: 1 }, { partial_response_disabled: true }]) {
      const err = await grpcCode(client.series(req(strategy)));
      expect(err.code).toBe(GrpcStatus.ABORTED);
      expect(err.details).toContain(bHost);
    }
    const names = await client.unary<{ names: string[]; warnings: string[] }>('thanos.Store', 'LabelNames', { start: mint, end: maxt });
    expect(names.names).toContain('replica');
    expect(names.warnings.some((w) => w.includes(bHost))).toBe(true);
  });
});
