/**
 * Coalescing in `promdedup query`: identical queries in flight at once share one evaluation and one
 * fan-out. Real replicas (history from promtool); remote reads are counted from each Prometheus'
 * own http_requests_total{handler="/api/v1/read"}.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHaSetup, type HaSetup } from '../support/ha-setup.js';
import { generateHaData, type HaData } from '../support/hadata.js';
import { prometheusAvailable, type PrometheusServer } from '../support/prometheus.js';

/** A few hundred ms of evaluation: long enough for the identical requests to find it in flight. */
const HEAVY = 'max_over_time(rate(process_cpu_seconds_total[5m])[2h:5s])';

async function remoteReads(p: PrometheusServer): Promise<number> {
  const text = await (await fetch(`${p.url}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) if (line.startsWith('prometheus_http_requests_total{') && line.includes('handler="/api/v1/read"')) n += Number(line.split(' ').at(-1));
  return n;
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

describe.skipIf(!prometheusAvailable())('coalescing identical queries in flight', () => {
  let d: HaData;
  let setup: HaSetup;

  beforeAll(async () => {
    d = generateHaData({ seed: 5 });
    setup = await startHaSetup({ cluster: d.cluster, openMetrics: { a: d.openMetrics.a, b: d.openMetrics.b } });
  }, 120_000);

  afterAll(async () => {
    await setup?.stop();
  });

  const url = (extra: Record<string, string> = {}) =>
    `${setup.querier.url}/api/v1/query?${new URLSearchParams({ query: HEAVY, time: String(d.endMs / 1000 - 60), ...extra })}`;

  it('8 identical concurrent instant queries: one remote read per replica, one answer for all', async () => {
    const reads = [await remoteReads(setup.a), await remoteReads(setup.b)];
    const coalesced = await metric(setup.querier.url, 'promdedup_query_coalesced_total');
    // Replica a hangs until all eight have arrived, so they are surely in flight together.
    setup.a.pause();
    let answers: { status: number; body: string }[];
    try {
      const pending = Promise.all(Array.from({ length: 8 }, async () => {
        const res = await fetch(url());
        return { status: res.status, body: await res.text() };
      }));
      await new Promise((r) => setTimeout(r, 200));
      setup.a.resume();
      answers = await pending;
    } finally {
      setup.a.resume();
    }
    for (const a of answers) expect(a.status).toBe(200);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    expect(JSON.parse(answers[0]!.body).data.result.length).toBeGreaterThan(0);
    expect([(await remoteReads(setup.a)) - reads[0]!, (await remoteReads(setup.b)) - reads[1]!]).toEqual([1, 1]);
    expect((await metric(setup.querier.url, 'promdedup_query_coalesced_total')) - coalesced).toBe(7);
  });

  it('a caller that goes away does not cancel the others', async () => {
    const reads = await remoteReads(setup.b);
    // Replica a hangs (SIGSTOP) while the three identical requests wait on it: one client leaves.
    setup.a.pause();
    try {
      const gone = new AbortController();
      const leaving = fetch(url(), { signal: gone.signal }).then(
        () => 'answered',
        () => 'aborted',
      );
      const staying = Array.from({ length: 2 }, () => fetch(url()).then(async (r) => ({ status: r.status, body: await r.text() })));
      await new Promise((r) => setTimeout(r, 200));
      gone.abort();
      expect(await leaving).toBe('aborted');
      setup.a.resume();
      const [x, y] = await Promise.all(staying);
      expect(x!.status).toBe(200);
      expect(y!.body).toBe(x!.body);
      expect(JSON.parse(x!.body).warnings).toBeUndefined(); // both replicas answered: the read to a was not cancelled
      expect((await remoteReads(setup.b)) - reads).toBe(1);
    } finally {
      setup.a.resume();
    }
  });

  it('different parameters are not coalesced', async () => {
    const reads = await remoteReads(setup.a);
    const [a, b] = await Promise.all([fetch(url()), fetch(url({ dedup: 'false' }))]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await remoteReads(setup.a)) - reads).toBe(2);
  });
});
