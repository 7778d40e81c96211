/**
 * In-process: what the query frontend's CPU does for one warm dashboard panel, without HTTP: the
 * cached extent cut to the shifted window, the newest 30 s decoded from the downstream's JSON,
 * extents joined and clipped for the cache, the answer merged and encoded. Run with
 * `node dist/test/bench/frontend-merge.js [series] [rounds]`; figures in docs/benchmarks.md.
 */
import { clipExtents, joinExtents, partition, type Extent } from '../../src/frontend/cache.js';
import { decodeAnswer, encodeAnswer, mergeAnswers } from '../../src/frontend/range.js';

const series = Number(process.argv[2] ?? 40);
const rounds = Number(process.argv[3] ?? 200);
const STEP = 15_000;
const T0 = Date.UTC(2026, 0, 1);

function downstreamText(from: number, to: number): string {
  const result = [];
  for (let i = 0; i < series; i++) {
    const values: [number, string][] = [];
    for (let t = from; t <= to; t += STEP) values.push([t / 1000, String(Math.round(1000 * Math.sin(t / 1e7 + i)) / 7)]);
    result.push({ metric: { __name__: 'bench_requests_total', instance: `10.0.0.${i}:9100`, job: 'node' }, values });
  }
  return JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } });
}

const end0 = T0 + 6 * 3_600_000;
let extents: Extent[] = [{ start: T0, end: end0, answer: decodeAnswer(downstreamText(T0, end0))! }];
let bytes = 0;
const times: number[] = [];
for (let r = 1; r <= rounds; r++) {
  const s = T0 + r * 30_000;
  const e = end0 + r * 30_000;
  const fresh = downstreamText(e - 15_000, e);
  const t = performance.now();
  const { cached, missing } = partition(s, e, STEP, extents);
  const fetched = missing.map(([ms, me]) => ({ start: ms, end: me, answer: decodeAnswer(fresh)! }));
  extents = clipExtents(joinExtents([...extents, ...fetched], STEP), e);
  const body = encodeAnswer(mergeAnswers([mergeAnswers([...cached, ...fetched.map((f) => f.answer)])]));
  times.push(performance.now() - t);
  bytes = body.length;
}
times.sort((a, b) => a - b);
console.log(`${series} series × ${(end0 - T0) / STEP + 1} points, ${(bytes / 1e6).toFixed(2)} MB answer: median ${times[times.length >> 1]!.toFixed(2)} ms, p90 ${times[Math.floor(times.length * 0.9)]!.toFixed(2)} ms per warm panel`);
