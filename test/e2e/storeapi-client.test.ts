/**
 * End to end: promdedup (the real process) querying fake Thanos StoreAPI endpoints
 * (test/support/fake-store.ts) through `--endpoint=127.0.0.1:PORT`: unhealthy endpoints, a stream
 * that stalls, warning frames, series out of order / split / replicas adjacent, downsampled
 * aggregate chunks, and the metadata calls. Data is tiny and hand-made at fixed times; expected
 * answers are worked out by hand in the comments.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiGet, type ApiAnswer } from '../support/compare.js';
import { eventually, range, samplesAt, selectFrames, startFakeStore, type FakeFrame, type FakeStore, type LabelMap, type RecordedSeriesRequest } from '../support/fake-store.js';
import { ensureQuerierBuilt, querierSourcePresent, startQuerier, type QuerierProcess } from '../support/querier-process.js';

const querierOk = querierSourcePresent();

/** A fixed time, never the clock: 2023-11-14T22:13:20Z. */
const T0 = 1_700_000_000_000;
const STEP = 15_000;
const at = (k: number) => T0 + k * STEP;
/** An evaluation time in the API's seconds. */
const sec = (ms: number) => ms / 1000;

/** Fewer threads than the default: the CI box has two cores shared with other test files. */
const LIGHT = ['--query.workers=1', '--log.level=warn'];

type Matrix = { metric: Record<string, string>; values: [number, string][] }[];
type Vector = { metric: Record<string, string>; value: [number, string] }[];
const matrix = (a: ApiAnswer) => (a.body.data as { resultType: string; result: Matrix }).result;
const vector = (a: ApiAnswer) => (a.body.data as { resultType: string; result: Vector }).result;

/** Matrix values for sample indices ks with value f(k). */
const valuesAt = (ks: readonly number[], f: (k: number) => number): [number, string][] => ks.map((k) => [sec(at(k)), String(f(k))]);

/** The __name__ an EQ matcher asks for (the fakes answer per metric). */
const metricOf = (req: RecordedSeriesRequest) => req.matchers.find((m) => m.name === '__name__' && m.type === 0)?.value ?? '';

const series = (labels: LabelMap, ...chunks: { ks: readonly number[]; f: (k: number) => number }[]): FakeFrame => ({
  series: { labels, chunks: chunks.map((c) => ({ raw: samplesAt(T0, STEP, c.ks, c.f) })) },
});

describe.skipIf(!querierOk)('promdedup as a StoreAPI client', () => {
  const started: { stop(): Promise<void> }[] = [];
  const track = <T extends { stop(): Promise<void> }>(x: T): T => {
    started.push(x);
    return x;
  };

  beforeAll(() => {
    ensureQuerierBuilt();
  }, 300_000);

  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
  });

  // -------------------------------------------------------------------------------------------
  describe('an endpoint whose Info fails', () => {
    let ok: FakeStore;
    let bad: FakeStore;
    let unimpl: FakeStore;
    let legacy: FakeStore;
    /** Announces data only for [T0 - 10h, T0 - 9h]. */
    let old: FakeStore;
    let q: QuerierProcess;
    let strict: QuerierProcess;
    /** Info calls each fake got while the queriers started. */
    let infoCalls: Record<'ok' | 'bad' | 'unimpl' | 'legacy', { info: number; legacyInfo: number }>;
    const okFrames = { frames: [series({ __name__: 'up', job: 'ok' }, { ks: range(0, 4), f: () => 1 })] };
    const badFrames = { frames: [series({ __name__: 'up', job: 'bad' }, { ks: range(0, 4), f: () => 2 })] };
    const legacyFrames = { frames: [series({ __name__: 'up', cluster: 'old', job: 'legacy' }, { ks: range(0, 4), f: () => 3 })] };

    beforeAll(async () => {
      [ok, bad, unimpl, legacy, old] = await Promise.all([
        startFakeStore({ series: (req) => ({ frames: selectFrames(req, okFrames.frames) }) }).then(track),
        startFakeStore({ info: { fail: GrpcStatus.UNAVAILABLE, details: 'fake sidecar down' }, series: (req) => ({ frames: selectFrames(req, badFrames.frames) }) }).then(track),
        // No thanos.info.Info and no legacy thanos.Store/Info either.
        startFakeStore({ info: { fail: GrpcStatus.UNIMPLEMENTED, details: 'unknown service thanos.info.Info' }, series: (req) => ({ frames: selectFrames(req, badFrames.frames) }) }).then(track),
        // An old Thanos (< v0.37): only the legacy thanos.Store/Info.
        startFakeStore({
          info: { fail: GrpcStatus.UNIMPLEMENTED, details: 'unknown service thanos.info.Info' },
          legacyInfo: { labelSets: [{ cluster: 'old' }], storeType: 3 },
          series: (req) => ({ frames: selectFrames(req, legacyFrames.frames) }),
        }).then(track),
        startFakeStore({
          info: { minTime: T0 - 10 * 3_600_000, maxTime: T0 - 9 * 3_600_000 },
          series: { frames: [{ series: { labels: { __name__: 'up', job: 'old' }, chunks: [{ raw: samplesAt(T0 - 9.5 * 3_600_000, STEP, range(0, 4), () => 4) }] } }] },
        }).then(track),
      ]);
      [q, strict] = await Promise.all([
        startQuerier({ endpoints: [ok.address, bad.address, unimpl.address, legacy.address, old.address], extraArgs: LIGHT }).then(track),
        startQuerier({ endpoints: [ok.address], extraArgs: [...LIGHT, `--endpoint-strict=${bad.address}`] }).then(track),
      ]);
      infoCalls = { ok: { ...ok.calls }, bad: { ...bad.calls }, unimpl: { ...unimpl.calls }, legacy: { ...legacy.calls } };
    }, 60_000);

    it('partial response: HTTP 200, the healthy endpoints\' data, a warning naming each unhealthy one', async () => {
      for (const s of [ok, bad, unimpl, legacy]) s.reset();
      const r = await apiGet(q.url, '/api/v1/query', { query: 'up', time: sec(at(3)) });
      expect(r.httpStatus).toBe(200);
      expect(r.body.status).toBe('success');
      expect(vector(r).map((s) => s.metric.job).sort()).toEqual(['legacy', 'ok']);
      const warnings = r.body.warnings ?? [];
      expect(warnings).toContainEqual(expect.stringMatching(new RegExp(`^endpoint ${bad.address} is unhealthy and was not asked: rpc error: code = Unavailable desc = fake sidecar down`)));
      expect(warnings).toContainEqual(expect.stringMatching(new RegExp(`^endpoint ${unimpl.address} is unhealthy and was not asked: .*code = Unimplemented`)));
      expect(warnings.some((w) => w.includes(ok.address) || w.includes(legacy.address))).toBe(false);
      // Unhealthy endpoints are not asked at all.
      expect(bad.seriesRequests).toHaveLength(0);
      expect(unimpl.seriesRequests).toHaveLength(0);
      expect(ok.seriesRequests).toHaveLength(1);
    });

    it('falls back to the legacy thanos.Store/Info and uses its label sets for pruning', async () => {
      // thanos.info.Info answered UNIMPLEMENTED, then thanos.Store/Info was asked.
      expect(infoCalls.legacy.info).toBeGreaterThan(0);
      expect(infoCalls.legacy.legacyInfo).toBeGreaterThan(0);
      // Any other failure is not a reason to try the legacy call.
      expect(infoCalls.bad.legacyInfo).toBe(0);
      expect(infoCalls.unimpl.legacyInfo).toBeGreaterThan(0);
      legacy.reset();
      ok.reset();
      const r = await apiGet(q.url, '/api/v1/query', { query: 'up{cluster="new"}', time: sec(at(3)) });
      expect(r.httpStatus).toBe(200);
      expect(vector(r)).toEqual([]);
      // cluster="new" contradicts the legacy endpoint's label set {cluster="old"}: not asked.
      expect(legacy.seriesRequests).toHaveLength(0);
      expect(ok.seriesRequests).toHaveLength(1);
    });

    it('the time range from Info prunes: an endpoint is asked only for queries overlapping it', async () => {
      old.reset();
      const now = await apiGet(q.url, '/api/v1/query', { query: 'up{job="old"}', time: sec(at(3)) });
      expect(vector(now)).toEqual([]);
      expect(old.seriesRequests).toHaveLength(0);
      const t = T0 - 9.5 * 3_600_000 + 3 * STEP;
      const then = await apiGet(q.url, '/api/v1/query', { query: 'up{job="old"}', time: sec(t) });
      expect(vector(then)).toEqual([{ metric: { __name__: 'up', job: 'old' }, value: [sec(t), '4'] }]);
      expect(old.seriesRequests).toHaveLength(1);
    });

    it('partial_response=false: the query fails with HTTP 422 (errorType execution, code ENDPOINT) naming the endpoint', async () => {
      // src/api/errors.ts maps ErrorCodes.ENDPOINT (kind execution) to 422.
      const r = await apiGet(q.url, '/api/v1/query', { query: 'up', time: sec(at(3)), partial_response: 'false' });
      expect(r.httpStatus).toBe(422);
      expect(r.body.status).toBe('error');
      expect(r.body.errorType).toBe('execution');
      expect(r.body.error).toMatch(/is unhealthy and was not asked/);
      expect(r.body.error).toMatch(new RegExp(`${bad.address}|${unimpl.address}`));
    });

    it('range queries and /api/v1/labels warn too', async () => {
      const r = await apiGet(q.url, '/api/v1/query_range', { query: 'up', start: sec(at(0)), end: sec(at(3)), step: 15 });
      expect(r.httpStatus).toBe(200);
      expect(r.body.warnings).toContainEqual(expect.stringContaining(`endpoint ${bad.address} is unhealthy`));
      const l = await apiGet(q.url, '/api/v1/labels', {});
      expect(l.httpStatus).toBe(200);
      expect(l.body.warnings).toContainEqual(expect.stringContaining(`endpoint ${bad.address} is unhealthy`));
    });

    it('--endpoint-strict: asked anyway, its data in the answer, no warning', async () => {
      bad.reset();
      const r = await apiGet(strict.url, '/api/v1/query', { query: 'up', time: sec(at(3)) });
      expect(r.httpStatus).toBe(200);
      expect(r.body.warnings ?? []).toEqual([]);
      expect(vector(r).map((s) => [s.metric.job, s.value[1]]).sort()).toEqual([
        ['bad', '2'],
        ['ok', '1'],
      ]);
      expect(bad.seriesRequests).toHaveLength(1);
      expect(infoCalls.bad.info).toBeGreaterThanOrEqual(2); // checked by both queriers, failing
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('the Info loop (--endpoint.info-timeout=300ms, --store.unhealthy-timeout=2s)', () => {
    let flaky: FakeStore;
    let q: QuerierProcess;
    const failing = { fail: GrpcStatus.UNAVAILABLE, details: 'flaky down' } as const;

    beforeAll(async () => {
      flaky = track(await startFakeStore({ info: failing, series: { frames: [series({ __name__: 'up', job: 'flaky' }, { ks: range(0, 4), f: () => 9 })] } }));
      q = track(await startQuerier({ endpoints: [flaky.address], extraArgs: [...LIGHT, '--endpoint.info-timeout=300ms', '--store.unhealthy-timeout=2s'] }));
    }, 60_000);

    const ask = () => apiGet(q.url, '/api/v1/query', { query: 'up', time: sec(at(3)) });
    const warned = (r: ApiAnswer) => (r.body.warnings ?? []).some((w) => w.startsWith(`endpoint ${flaky.address} is unhealthy and was not asked`));

    it('unhealthy at first; healthy and asked once Info answers; unhealthy again when it fails; forgotten after the unhealthy timeout', async () => {
      expect(warned(await ask())).toBe(true);
      flaky.configure({ info: {} });
      let r = await ask();
      const healthyBy = Date.now() + 5_000;
      while (warned(r) && Date.now() < healthyBy) r = await ask();
      expect(warned(r)).toBe(false);
      expect(vector(r)).toEqual([{ metric: { __name__: 'up', job: 'flaky' }, value: [sec(at(3)), '9'] }]);

      flaky.configure({ info: failing });
      const failedAt = Date.now();
      r = await ask();
      while (!warned(r) && Date.now() < failedAt + 5_000) r = await ask();
      expect(warned(r)).toBe(true);
      expect(vector(r)).toEqual([]);

      // Past --store.unhealthy-timeout since the last good Info: no longer reported (nor asked), as Thanos drops it.
      const quietBy = failedAt + 8_000;
      while (warned(r) && Date.now() < quietBy) {
        await new Promise((res) => setTimeout(res, 200));
        r = await ask();
      }
      expect(warned(r)).toBe(false);
      expect(Date.now() - failedAt).toBeGreaterThanOrEqual(1_500);
      expect(vector(r)).toEqual([]);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('an endpoint that stalls mid-stream (--store.response-timeout=500ms)', () => {
    let fast: FakeStore;
    let stalling: FakeStore;
    let q: QuerierProcess;

    beforeAll(async () => {
      [fast, stalling] = await Promise.all([
        startFakeStore({ series: { frames: [series({ __name__: 'm', job: 'fast' }, { ks: range(0, 8), f: (k) => k })] } }).then(track),
        startFakeStore({
          series: {
            frames: [series({ __name__: 'm', job: 'slow1' }, { ks: range(0, 8), f: (k) => 10 * k }), series({ __name__: 'm', job: 'slow2' }, { ks: range(0, 8), f: () => 1 })],
            stallAfter: 1,
          },
        }).then(track),
      ]);
      q = track(await startQuerier({ endpoints: [fast.address, stalling.address], extraArgs: [...LIGHT, '--store.response-timeout=500ms'] }));
    }, 60_000);

    it('answers within a few seconds with a warning; the other endpoint\'s data is there; the stream is cancelled', async () => {
      stalling.reset();
      const t = Date.now();
      const r = await apiGet(q.url, '/api/v1/query', { query: 'm', time: sec(at(7)) }, 15_000);
      const took = Date.now() - t;
      expect(took).toBeLessThan(5_000);
      expect(r.httpStatus).toBe(200);
      expect(r.body.warnings).toEqual([`endpoint ${stalling.address}: no data for 500 ms (--store.response-timeout)`]);
      // The stalled endpoint's read is dropped as a whole (its first frame too).
      expect(vector(r)).toEqual([{ metric: { __name__: 'm', job: 'fast' }, value: [sec(at(7)), '7'] }]);
      expect(stalling.seriesRequests).toHaveLength(1);
      expect(await eventually(() => stalling.seriesCancelled === 1, 3_000)).toBe(true);
    });

    it('partial_response=false: the query fails (422) naming the endpoint and the timeout', async () => {
      const r = await apiGet(q.url, '/api/v1/query', { query: 'm', time: sec(at(7)), partial_response: 'false' }, 15_000);
      expect(r.httpStatus).toBe(422);
      expect(r.body.errorType).toBe('execution');
      expect(r.body.error).toContain(`endpoint ${stalling.address}: no data for 500 ms (--store.response-timeout)`);
    });

    it('the timeout is per piece: a steady stream (200 ms between frames, 800 ms in all) is not cut', async () => {
      stalling.configure({
        series: { frames: [1, 2, 3, 4].map((i) => series({ __name__: 'm', job: `slow${i}` }, { ks: range(0, 8), f: () => i })), delayMs: 200 },
      });
      try {
        const t = Date.now();
        const r = await apiGet(q.url, '/api/v1/query', { query: 'm', time: sec(at(7)) }, 15_000);
        expect(Date.now() - t).toBeGreaterThanOrEqual(800);
        expect(r.httpStatus).toBe(200);
        expect(r.body.warnings ?? []).toEqual([]);
        expect(vector(r).map((s) => [s.metric.job, s.value[1]])).toEqual([
          ['fast', '7'],
          ['slow1', '1'],
          ['slow2', '2'],
          ['slow3', '3'],
          ['slow4', '4'],
        ]);
      } finally {
        stalling.configure({ series: { frames: [], stallAfter: 0 } });
      }
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('warning frames and gRPC errors', () => {
    let warn: FakeStore;
    let failing: FakeStore;
    let q: QuerierProcess;

    beforeAll(async () => {
      [warn, failing] = await Promise.all([
        startFakeStore({
          series: (req) =>
            metricOf(req) === 'w'
              ? { frames: [{ warning: 'store gateway 10.0.0.9:10901 unreachable' }, series({ __name__: 'w', job: 'x' }, { ks: range(0, 4), f: () => 5 })] }
              : { frames: [] },
        }).then(track),
        startFakeStore({
          series: (req) =>
            metricOf(req) === 'e'
              ? { frames: [series({ __name__: 'e', job: 'y' }, { ks: range(0, 4), f: () => 6 })], error: { code: GrpcStatus.RESOURCE_EXHAUSTED, details: 'fake: too many samples' } }
              : { frames: [] },
        }).then(track),
      ]);
      q = track(await startQuerier({ endpoints: [warn.address, failing.address], extraArgs: LIGHT }));
    }, 60_000);

    it('a warning frame becomes a response warning (prefixed with the endpoint); the data is kept; WARN was asked for', async () => {
      warn.reset();
      const r = await apiGet(q.url, '/api/v1/query', { query: 'w', time: sec(at(3)) });
      expect(r.httpStatus).toBe(200);
      expect(r.body.warnings).toEqual([`${warn.address}: store gateway 10.0.0.9:10901 unreachable`]);
      expect(vector(r)).toEqual([{ metric: { __name__: 'w', job: 'x' }, value: [sec(at(3)), '5'] }]);
      expect(warn.seriesRequests[0]).toMatchObject({ partial_response_strategy: 0, partial_response_disabled: false });
    });

    it('partial_response=false: ABORT is asked for, and a warning frame fails the query', async () => {
      warn.reset();
      const r = await apiGet(q.url, '/api/v1/query', { query: 'w', time: sec(at(3)), partial_response: 'false' });
      expect(warn.seriesRequests[0]).toMatchObject({ partial_response_strategy: 1, partial_response_disabled: true });
      expect(r.httpStatus).toBe(422);
      expect(r.body.errorType).toBe('execution');
      expect(r.body.error).toContain('store gateway 10.0.0.9:10901 unreachable');
    });

    it('native histogram chunks are skipped with a warning; the float chunks of the series are kept', async () => {
      warn.configure({
        series: (req) =>
          metricOf(req) === 'h'
            ? {
                frames: [
                  {
                    series: {
                      labels: { __name__: 'h', job: 'x' },
                      chunks: [{ raw: samplesAt(T0, STEP, range(0, 2), () => 1), rawType: 1 }, { raw: samplesAt(T0, STEP, range(2, 4), () => 7) }],
                    },
                  },
                ],
              }
            : { frames: [] },
      });
      const r = await apiGet(q.url, '/api/v1/query', { query: 'h', time: sec(at(3)) });
      expect(r.httpStatus).toBe(200);
      expect(vector(r)).toEqual([{ metric: { __name__: 'h', job: 'x' }, value: [sec(at(3)), '7'] }]);
      expect(r.body.warnings).toEqual([`${warn.address}: skipped 1 native histogram chunk(s): not supported`]);
    });

    it('a stream ending in a gRPC error: a warning naming the endpoint and the status, or an error with partial_response=false', async () => {
      const r = await apiGet(q.url, '/api/v1/query', { query: 'e', time: sec(at(3)) });
      expect(r.httpStatus).toBe(200);
      expect(vector(r)).toEqual([]);
      expect(r.body.warnings).toEqual([expect.stringMatching(new RegExp(`^endpoint ${failing.address}: .*code = ResourceExhausted.*fake: too many samples`))]);
      const f = await apiGet(q.url, '/api/v1/query', { query: 'e', time: sec(at(3)), partial_response: 'false' });
      expect(f.httpStatus).toBe(422);
      expect(f.body.error).toContain('fake: too many samples');
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('series out of order, split over frames, replicas adjacent', () => {
    /**
     * Two replicas (replica="r1", "r2") of two series, 15 s apart, value = 100 + k (job a) or
     * 200 + k (job b) at sample k, the same on both replicas:
     *   a/r1: k 0..11, split over two frames (0..5, 6..11)
     *   a/r2: k 0..3 and 8..11 (two chunks, one frame)
     *   b/r1: k 0..3 and 8..11
     *   b/r2: k 0..11
     * Penalty dedup (Thanos' dedupSeriesIterator), replica r1 first:
     *   a: r1 never has a gap → k 0..11.
     *   b: after k=3 r1 jumps to k=8; r2 is sought past t3 + 30 s (penalty 2 × 15 s) → k=6 wins; r1
     *      then gets a penalty of 2 × (t6 - t3) = 90 s, is sought past t6 + 90 s = t12 and is done,
     *      so r2 continues: k 0,1,2,3,6,7,8,9,10,11 (k 4 and 5 are lost, as in Thanos).
     */
    const A_R1_1 = range(0, 6);
    const A_R1_2 = range(6, 12);
    const GAPPY = [...range(0, 4), ...range(8, 12)];
    const FULL = range(0, 12);
    const fa = (k: number) => 100 + k;
    const fb = (k: number) => 200 + k;
    const lbl = (name: string, job: string, replica?: string): LabelMap => ({ __name__: name, cluster: 'eu1', job, ...(replica !== undefined ? { replica } : {}) });
    const split = (ks: number[]) => [{ ks: ks.slice(0, 4), f: (k: number) => k }, { ks: ks.slice(4), f: (k: number) => k }];

    /** Every replica's series, not sorted: b/r1, a/r2, a/r1 (two frames), b/r2. */
    const rawFrames = (name: string): FakeFrame[] => [
      series(lbl(name, 'b', 'r1'), ...split(GAPPY).map((c) => ({ ...c, f: fb }))),
      series(lbl(name, 'a', 'r2'), ...split(GAPPY).map((c) => ({ ...c, f: fa }))),
      series(lbl(name, 'a', 'r1'), { ks: A_R1_1, f: fa }),
      series(lbl(name, 'a', 'r1'), { ks: A_R1_2, f: fa }),
      // Label names not sorted (a careless endpoint): tolerated.
      series({ replica: 'r2', job: 'b', cluster: 'eu1', __name__: name }, { ks: FULL, f: fb }),
    ];
    /** What a Thanos store sends for without_replica_labels=[replica]: sorted, replicas adjacent with equal labels. */
    const withoutReplicaFrames = (name: string): FakeFrame[] => [
      series(lbl(name, 'a'), { ks: A_R1_1, f: fa }),
      series(lbl(name, 'a'), { ks: A_R1_2, f: fa }),
      series(lbl(name, 'a'), ...split(GAPPY).map((c) => ({ ...c, f: fa }))),
      series(lbl(name, 'b'), ...split(GAPPY).map((c) => ({ ...c, f: fb }))),
      series(lbl(name, 'b'), { ks: FULL, f: fb }),
    ];
    /** The same store when dedup is off (no without_replica_labels): full labels, sorted. */
    const sortedFrames = (name: string): FakeFrame[] => [
      series(lbl(name, 'a', 'r1'), { ks: A_R1_1, f: fa }),
      series(lbl(name, 'a', 'r1'), { ks: A_R1_2, f: fa }),
      series(lbl(name, 'a', 'r2'), ...split(GAPPY).map((c) => ({ ...c, f: fa }))),
      series(lbl(name, 'b', 'r1'), ...split(GAPPY).map((c) => ({ ...c, f: fb }))),
      series(lbl(name, 'b', 'r2'), { ks: FULL, f: fb }),
    ];

    const DEDUPED_B = [0, 1, 2, 3, 6, 7, 8, 9, 10, 11];
    const expectedDeduped = (name: string): Matrix => [
      { metric: { __name__: name, cluster: 'eu1', job: 'a' }, values: valuesAt(FULL, fa) },
      { metric: { __name__: name, cluster: 'eu1', job: 'b' }, values: valuesAt(DEDUPED_B, fb) },
    ];
    const expectedRaw = (name: string): Matrix => [
      { metric: lbl(name, 'a', 'r1'), values: valuesAt(FULL, fa) },
      { metric: lbl(name, 'a', 'r2'), values: valuesAt(GAPPY, fa) },
      { metric: lbl(name, 'b', 'r1'), values: valuesAt(GAPPY, fb) },
      { metric: lbl(name, 'b', 'r2'), values: valuesAt(FULL, fb) },
    ];

    let raw: FakeStore;
    let wrl: FakeStore;
    let q: QuerierProcess;
    const replicaSets = [{ cluster: 'eu1', replica: 'r1' }, { cluster: 'eu1', replica: 'r2' }];

    beforeAll(async () => {
      [raw, wrl] = await Promise.all([
        startFakeStore({
          info: { labelSets: replicaSets, componentType: 'sidecar', supportsWithoutReplicaLabels: false },
          series: (req) => ({ frames: selectFrames(req, rawFrames('m_raw')) }),
        }).then(track),
        startFakeStore({
          info: { labelSets: replicaSets, componentType: 'query', supportsWithoutReplicaLabels: true },
          series: (req) => {
            const frames = req.without_replica_labels.includes('replica') ? withoutReplicaFrames('m_wrl') : sortedFrames('m_wrl');
            return { frames: selectFrames(req, frames) };
          },
        }).then(track),
      ]);
      q = track(await startQuerier({ endpoints: [raw.address, wrl.address], extraArgs: LIGHT }));
    }, 60_000);

    /** m[3m] at t11 returns every merged sample (k 0..11 lie in (t11 - 3m, t11]). */
    const samples = (name: string, extra: Record<string, string> = {}) => apiGet(q.url, '/api/v1/query', { query: `${name}[3m]`, time: sec(at(11)), ...extra });

    it('out of order and split series from an endpoint without without_replica_labels: deduplicated exactly', async () => {
      raw.reset();
      const r = await samples('m_raw');
      expect(r.httpStatus).toBe(200);
      expect(r.body.warnings ?? []).toEqual([]);
      expect(matrix(r)).toEqual(expectedDeduped('m_raw'));
      // This endpoint did not announce support: it is not asked to drop the replica label.
      expect(raw.seriesRequests.map((x) => x.without_replica_labels)).toEqual([[]]);
    });

    it('dedup=false: every replica, the split series in one piece', async () => {
      const r = await samples('m_raw', { dedup: 'false' });
      expect(r.httpStatus).toBe(200);
      expect(matrix(r)).toEqual(expectedRaw('m_raw'));
    });

    it('replicas sent adjacent with equal labels (without_replica_labels): the same deduplicated answer', async () => {
      wrl.reset();
      const r = await samples('m_wrl');
      expect(r.httpStatus).toBe(200);
      expect(r.body.warnings ?? []).toEqual([]);
      expect(wrl.seriesRequests.map((x) => x.without_replica_labels)).toEqual([['replica']]);
      expect(matrix(r)).toEqual(expectedDeduped('m_wrl'));
    });

    it('the same store with dedup=false is not asked to drop labels and answers every replica', async () => {
      wrl.reset();
      const r = await samples('m_wrl', { dedup: 'false' });
      expect(wrl.seriesRequests.map((x) => x.without_replica_labels)).toEqual([[]]);
      expect(matrix(r)).toEqual(expectedRaw('m_wrl'));
    });

    it('one series (no replicas) whose chunks come out of time order: every sample, dedup on or off', async () => {
      // "Chunk sorting by min_time is recommended but not required" (rpc.proto): a lone series whose
      // second chunk comes first must not be treated as two replicas (penalty dedup would drop t6, t7).
      raw.configure({
        series: (req) =>
          metricOf(req) === 'm_unsorted'
            ? { frames: [series({ __name__: 'm_unsorted', cluster: 'eu1', job: 'c' }, { ks: A_R1_2, f: fa }, { ks: A_R1_1, f: fa })] }
            : { frames: selectFrames(req, rawFrames('m_raw')) },
      });
      try {
        for (const dedup of ['true', 'false']) {
          const r = await samples('m_unsorted', { dedup });
          expect(r.httpStatus).toBe(200);
          expect(matrix(r), `dedup=${dedup}`).toEqual([{ metric: { __name__: 'm_unsorted', cluster: 'eu1', job: 'c' }, values: valuesAt(FULL, fa) }]);
        }
      } finally {
        raw.configure({ series: (req) => ({ frames: selectFrames(req, rawFrames('m_raw')) }) });
      }
    });

    it('a range query over the merged series: value at each step is the last merged sample', async () => {
      // Steps at t4 and t5 fall in b's lost samples: the value is still the last one kept (k=3).
      const r = await apiGet(q.url, '/api/v1/query_range', { query: 'm_raw{job="b"}', start: sec(at(2)), end: sec(at(6)), step: 15 });
      expect(r.httpStatus).toBe(200);
      expect(matrix(r)).toEqual([{ metric: { __name__: 'm_raw', cluster: 'eu1', job: 'b' }, values: [2, 3, 4, 5, 6].map((k) => [sec(at(k)), String(fb([2, 3, 3, 3, 6][k - 2]!))]) }]);
    });

    it('the request carries the select: times, matchers, hints', async () => {
      raw.reset();
      const r = await apiGet(q.url, '/api/v1/query_range', {
        query: 'sum by (job) (rate(m_raw{job=~"a|b", job!="c", instance!~"x.*"}[1m]))',
        start: sec(at(4)),
        end: sec(at(8)),
        step: 30,
      });
      expect(r.httpStatus).toBe(200);
      expect(raw.seriesRequests).toHaveLength(1);
      const req = raw.seriesRequests[0]!;
      // The select covers [start - 1m, end] (inclusive ms; Prometheus 3 adds 1 ms to the left-open start).
      expect(Number(req.max_time)).toBe(at(8));
      expect(Number(req.min_time)).toBeGreaterThanOrEqual(at(4) - 60_000);
      expect(Number(req.min_time)).toBeLessThanOrEqual(at(4) - 60_000 + 1);
      expect([...req.matchers].sort((x, y) => x.name.localeCompare(y.name) || x.type - y.type)).toEqual([
        { type: 0, name: '__name__', value: 'm_raw' },
        { type: 3, name: 'instance', value: 'x.*' },
        { type: 1, name: 'job', value: 'c' },
        { type: 2, name: 'job', value: 'a|b' },
      ]);
      // Prometheus sets the grouping only for a selector right under the aggregation (extractGroupsFromPath).
      expect(req.query_hints).toMatchObject({ step_millis: '30000', func: { name: 'rate' }, range: { millis: '60000' }, grouping: null });
      expect(req.aggregates).toEqual([5]); // COUNTER, as Thanos' aggrsFromFunc("rate")
      expect(req.max_resolution_window).toBe('0');
      expect(req.skip_chunks).toBe(false);
      expect(req.limit).toBe('0');
      expect(req.response_batch_size).toBe('64'); // SeriesBatch frames of 64 from endpoints that batch
    });

    it('grouping hints: by and without', async () => {
      raw.reset();
      await apiGet(q.url, '/api/v1/query', { query: 'sum by (job) (m_raw)', time: sec(at(11)) });
      await apiGet(q.url, '/api/v1/query', { query: 'max without (instance, path) (m_raw)', time: sec(at(11)) });
      expect(raw.seriesRequests.map((x) => [x.query_hints?.func, x.query_hints?.grouping, x.aggregates])).toEqual([
        [{ name: 'sum' }, { by: true, labels: ['job'] }, [1, 2]],
        [{ name: 'max' }, { by: false, labels: ['instance', 'path'] }, [4]],
      ]);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('downsampled data: aggregate chunks only (count/sum/min/max/counter, no raw)', () => {
    /**
     * One series at 5m resolution: sample j at B + j·5m (j = 0..23, two AggrChunks of one hour).
     * count 20, sum 20·(10 + j) → average 10 + j; min 5 + j; max 50 + 2j; counter 1000 + 30j (each
     * counter chunk repeats its last timestamp with the last raw value, as Thanos writes them).
     */
    const RES = 300_000;
    const B = 5_666_666 * RES; // 2023-11-14T22:10:00Z, on the 5m grid
    const tj = (j: number) => B + j * RES;
    const aggrChunk = (js: number[]) => {
      const t = js.map(tj);
      const last = js[js.length - 1]!;
      return {
        count: { t, v: js.map(() => 20) },
        sum: { t, v: js.map((j) => 20 * (10 + j)) },
        min: { t, v: js.map((j) => 5 + j) },
        max: { t, v: js.map((j) => 50 + 2 * j) },
        counter: { t: [...t, tj(last)], v: [...js.map((j) => 1000 + 30 * j), 1000 + 30 * last] },
      };
    };
    let ds: FakeStore;
    let q: QuerierProcess;

    beforeAll(async () => {
      ds = track(
        await startFakeStore({
          info: { labelSets: [{ cluster: 'eu1' }], componentType: 'store' },
          series: (req) => ({
            frames: metricOf(req) === 'ds' ? [{ series: { labels: { __name__: 'ds', cluster: 'eu1', job: 'x' }, chunks: [aggrChunk(range(0, 12)), aggrChunk(range(12, 24))] } }] : [],
          }),
        }),
      );
      q = track(await startQuerier({ endpoints: [ds.address], extraArgs: LIGHT }));
    }, 60_000);

    /** query_range over j = 12..23 at 5m steps (on the samples). */
    const run = (query: string, extra: Record<string, string> = { max_source_resolution: '5m' }) => {
      ds.reset();
      return apiGet(q.url, '/api/v1/query_range', { query, start: sec(tj(12)), end: sec(tj(23)), step: 300, ...extra });
    };
    const JS = range(12, 24);
    const only = (r: ApiAnswer) => {
      expect(r.httpStatus).toBe(200);
      expect(r.body.warnings ?? []).toEqual([]);
      const m = matrix(r);
      expect(m).toHaveLength(1);
      return m[0]!.values;
    };

    it('max_over_time(ds[1h]) reads the max chunk: 50 + 2j', async () => {
      const v = only(await run('max_over_time(ds[1h])'));
      expect(v).toEqual(JS.map((j) => [sec(tj(j)), String(50 + 2 * j)]));
      expect(ds.seriesRequests).toHaveLength(1);
      expect(ds.seriesRequests[0]).toMatchObject({ max_resolution_window: '300000', aggregates: [4] });
    });

    it('min_over_time(ds[1h]) reads the min chunk: window (t-1h, t] holds j-11..j, min 5 + j - 11', async () => {
      const v = only(await run('min_over_time(ds[1h])'));
      expect(v).toEqual(JS.map((j) => [sec(tj(j)), String(5 + j - 11)]));
      expect(ds.seriesRequests[0]).toMatchObject({ max_resolution_window: '300000', aggregates: [3] });
    });

    it('rate(ds[1h]) reads the counter chunk: 30 per 5m = 0.1/s (fully extrapolated)', async () => {
      const v = only(await run('rate(ds[1h])'));
      expect(v.map(([t]) => t)).toEqual(JS.map((j) => sec(tj(j))));
      // sum would give 0.0667/s, the average 0.00333/s, max 0.00667/s.
      for (const [, x] of v) expect(Number(x)).toBeCloseTo(0.1, 9);
      expect(ds.seriesRequests[0]).toMatchObject({ max_resolution_window: '300000', aggregates: [5], query_hints: { func: { name: 'rate' }, range: { millis: '3600000' } } });
    });

    it('ds (no function) is sum/count: 10 + j', async () => {
      const v = only(await run('ds'));
      expect(v).toEqual(JS.map((j) => [sec(tj(j)), String(10 + j)]));
      expect(ds.seriesRequests[0]).toMatchObject({ max_resolution_window: '300000', aggregates: [1, 2] });
    });

    it('max(ds) and min(ds) read the max and min chunks, as in Thanos (Prometheus\' hint Func is the aggregation)', async () => {
      // Prometheus' extractFuncFromPath gives "max" for a selector right under max(...); Thanos'
      // aggrsFromFunc("max") asks for MAX and the engine reads the max chunk.
      const max = only(await run('max(ds)'));
      expect(ds.seriesRequests[0]).toMatchObject({ aggregates: [4], query_hints: { func: { name: 'max' } } });
      expect(max).toEqual(JS.map((j) => [sec(tj(j)), String(50 + 2 * j)]));
      const min = only(await run('min by (job) (ds)'));
      expect(ds.seriesRequests[0]).toMatchObject({ aggregates: [3], query_hints: { func: { name: 'min' } } });
      expect(min).toEqual(JS.map((j) => [sec(tj(j)), String(5 + j)]));
      // Plain sum wants the actual samples: the average.
      const sum = only(await run('sum(ds)'));
      expect(ds.seriesRequests[0]).toMatchObject({ aggregates: [1, 2], query_hints: { func: { name: 'sum' } } });
      expect(sum).toEqual(JS.map((j) => [sec(tj(j)), String(10 + j)]));
    });

    it('max_source_resolution=1h: rate over 1h may read at most 30m (two samples in the range)', async () => {
      const r = await run('rate(ds[1h])', { max_source_resolution: '1h' });
      expect(r.httpStatus).toBe(200);
      expect(ds.seriesRequests[0]).toMatchObject({ max_resolution_window: '1800000', aggregates: [5] });
      const m = await run('max_over_time(ds[1h])', { max_source_resolution: '1h' });
      expect(m.httpStatus).toBe(200);
      expect(ds.seriesRequests[0]).toMatchObject({ max_resolution_window: '3600000', aggregates: [4] });
    });

    it('without max_source_resolution the window is 0 (raw only)', async () => {
      await run('ds', {});
      expect(ds.seriesRequests[0]).toMatchObject({ max_resolution_window: '0' });
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('/api/v1/labels, /api/v1/label/<name>/values, /api/v1/series', () => {
    let meta: FakeStore;
    let q: QuerierProcess;

    beforeAll(async () => {
      meta = track(
        await startFakeStore({
          info: { labelSets: [{ cluster: 'eu1', replica: 'r1' }] },
          labelNames: (req) => ({ names: req.matchers.length > 0 ? ['__name__', 'job'] : ['__name__', 'cluster', 'instance', 'job', 'replica'] }),
          labelValues: (req) => ({ values: req.label === 'job' ? ['api', 'worker'] : req.label === 'cluster' ? ['eu1'] : [] }),
          series: (req) => ({
            frames: req.skip_chunks
              ? [
                  { series: { labels: { __name__: 'up', cluster: 'eu1', job: 'api', replica: 'r1' }, chunks: [] } },
                  { series: { labels: { __name__: 'up', cluster: 'eu1', job: 'worker', replica: 'r1' }, chunks: [] } },
                ]
              : [],
          }),
        }),
      );
      q = track(await startQuerier({ endpoints: [meta.address], extraArgs: LIGHT }));
    }, 60_000);

    it('labels: the endpoint\'s names, the replica label removed (dedup), start/end passed in ms', async () => {
      meta.reset();
      const r = await apiGet(q.url, '/api/v1/labels', { start: sec(at(0)), end: sec(at(100)) });
      expect(r.httpStatus).toBe(200);
      expect(r.body.data).toEqual(['__name__', 'cluster', 'instance', 'job']);
      expect(meta.labelNamesRequests).toHaveLength(1);
      expect(meta.labelNamesRequests[0]).toMatchObject({ start: String(at(0)), end: String(at(100)), matchers: [], partial_response_strategy: 0 });
    });

    it('labels with match[]: one call with the selector\'s matchers', async () => {
      meta.reset();
      const r = await apiGet(q.url, '/api/v1/labels', { 'match[]': 'up{job="api"}' });
      expect(r.body.data).toEqual(['__name__', 'job']);
      expect(meta.labelNamesRequests[0]!.matchers).toEqual(
        expect.arrayContaining([
          { type: 0, name: '__name__', value: 'up' },
          { type: 0, name: 'job', value: 'api' },
        ]),
      );
      expect(meta.labelNamesRequests[0]!.matchers).toHaveLength(2);
    });

    it('label values', async () => {
      meta.reset();
      const r = await apiGet(q.url, '/api/v1/label/job/values', {});
      expect(r.httpStatus).toBe(200);
      expect(r.body.data).toEqual(['api', 'worker']);
      expect(meta.labelValuesRequests.map((x) => x.label)).toEqual(['job']);
    });

    it('values of the replica label are empty with dedup on, without asking', async () => {
      meta.reset();
      const r = await apiGet(q.url, '/api/v1/label/replica/values', {});
      expect(r.body.data).toEqual([]);
      expect(meta.labelValuesRequests).toHaveLength(0);
    });

    it('series: a Series call with skip_chunks, the label sets deduplicated', async () => {
      meta.reset();
      const r = await apiGet(q.url, '/api/v1/series', { 'match[]': 'up', start: sec(at(0)), end: sec(at(10)) });
      expect(r.httpStatus).toBe(200);
      expect(r.body.data).toEqual([
        { __name__: 'up', cluster: 'eu1', job: 'api' },
        { __name__: 'up', cluster: 'eu1', job: 'worker' },
      ]);
      expect(meta.seriesRequests).toHaveLength(1);
      expect(meta.seriesRequests[0]).toMatchObject({ skip_chunks: true, min_time: String(at(0)), max_time: String(at(10)), matchers: [{ type: 0, name: '__name__', value: 'up' }] });
      const raw = await apiGet(q.url, '/api/v1/series', { 'match[]': 'up', dedup: 'false' });
      expect((raw.body.data as Record<string, string>[]).map((s) => s.replica)).toEqual(['r1', 'r1']);
    });

    it('warnings the endpoint sends with label names and values reach the answer', async () => {
      meta.configure({
        labelNames: () => ({ names: ['job'], warnings: ['store 10.0.0.9: partial label names'] }),
        labelValues: () => ({ values: ['api'], warnings: ['store 10.0.0.9: partial label values'] }),
      });
      const n = await apiGet(q.url, '/api/v1/labels', {});
      const v = await apiGet(q.url, '/api/v1/label/job/values', {});
      expect(n.body.data).toEqual(['job']);
      expect(n.body.warnings).toContainEqual(expect.stringContaining('partial label names'));
      expect(v.body.warnings).toContainEqual(expect.stringContaining('partial label values'));
    });

    it('a warning frame in a skip_chunks Series answer reaches /api/v1/series', async () => {
      meta.configure({
        series: () => ({ frames: [{ warning: 'store 10.0.0.9: partial series' }, { series: { labels: { __name__: 'up', cluster: 'eu1', job: 'api', replica: 'r1' }, chunks: [] } }] }),
      });
      const r = await apiGet(q.url, '/api/v1/series', { 'match[]': 'up' });
      expect(r.body.data).toEqual([{ __name__: 'up', cluster: 'eu1', job: 'api' }]);
      expect(r.body.warnings).toContainEqual(expect.stringContaining('partial series'));
    });
  });
});
