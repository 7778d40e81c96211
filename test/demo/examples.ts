/**
 * The demo examples: how to ask (a curl line), what to look for, and a check that runs the
 * request and summarises the answer (used by `--check`).
 */
import type { HaData } from '../support/hadata.js';

export interface Example {
  title: string;
  curls: string[];
  lookFor: string;
  /** Runs the requests; returns summary lines and whether the answer looks as described. */
  check(): Promise<{ lines: string[]; ok: boolean }>;
}

interface Body {
  status: string;
  data?: { resultType?: string; result?: { metric: Record<string, string>; values?: [number, string][]; value?: [number, string] }[] } | Record<string, string>[];
  warnings?: string[];
  error?: string;
}

async function text(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return res.text();
}

async function get(url: string): Promise<Body> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  const body = (await res.json()) as Body;
  if (res.status !== 200 || body.status !== 'success') throw new Error(`${url}: HTTP ${res.status} ${body.error ?? ''}`);
  return body;
}

const metricText = (m: Record<string, string>) =>
  `${m.__name__ ?? ''}{${Object.keys(m)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}="${m[k]}"`)
    .join(', ')}}`;

/** A readable curl line: -G with one --data-urlencode per parameter. */
const curl = (base: string, path: string, params: Record<string, string>) =>
  `curl -sG '${base}${path}' ${Object.entries(params)
    .map(([k, v]) => (/^[\w.:-]+$/.test(v) ? `-d ${k}=${v}` : `--data-urlencode '${k}=${v}'`))
    .join(' ')}`;

/** A `promdedup_frontend_cache_requests_total` or other counter's sum over its series, from /metrics text. */
async function counter(base: string, name: string, labelPart: string): Promise<number> {
  let n = 0;
  for (const line of (await text(`${base}/metrics`)).split('\n')) if (line.startsWith(name + '{') && line.includes(labelPart)) n += Number(line.slice(line.lastIndexOf(' ') + 1));
  return n;
}

/**
 * `above`: a second promdedup whose only endpoint is `base`'s StoreAPI (gRPC) server; `frontend`: a
 * query frontend in front of `frontend.querier`, a promdedup with --deduplication.func=stable.
 */
export function examples(base: string, d: HaData, above: { url: string; grpc: string }, frontend: { url: string; querier: string }): Example[] {
  const outageA = d.outages.find((o) => o.replica === 'a' && o.toMs - o.fromMs >= 5 * 60_000)!;
  const outageB = d.outages.find((o) => o.replica === 'b' && o.fromMs >= outageA.toMs)!;
  const start = Math.floor((outageA.fromMs - 5 * 60_000) / 60_000) * 60;
  const end = Math.ceil((outageB.toMs + 5 * 60_000) / 60_000) * 60;
  // Late in a's outage: more than the 5 m lookback after a's last sample.
  const instant = Math.floor((outageA.toMs - 20_000) / 1000);
  const range = { query: 'count_over_time(up{instance="10.0.0.1:8080"}[1m])', start: String(start), end: String(end), step: '60' };
  const inst = { query: 'up{instance="10.0.0.1:8080"}', time: String(instant) };
  const series = { 'match[]': 'up{job="api"}', start: String(d.startMs / 1000), end: String(d.endMs / 1000) };

  return [
    {
      title: `Range query over replica a's outage (${iso(outageA.fromMs)} – ${iso(outageA.toMs)}) and b's right after`,
      curls: [
        curl(base, '/api/v1/query_range', { ...range, dedup: 'true' }),
        curl(base, '/api/v1/query_range', { ...range, dedup: 'false' }),
      ],
      lookFor:
        'dedup=false returns two series (replica="a", replica="b"); each has no points while its replica was down. ' +
        'dedup=true returns ONE series without the replica label and a point at every step: the gaps are filled from the other replica ' +
        '(the count dips to 2–3 right at a replica switch, where the penalty algorithm skips a couple of samples).',
      async check() {
        const on = await get(`${base}/api/v1/query_range?${new URLSearchParams({ ...range, dedup: 'true' })}`);
        const off = await get(`${base}/api/v1/query_range?${new URLSearchParams({ ...range, dedup: 'false' })}`);
        const steps = Math.floor((end - start) / 60) + 1;
        const onRes = (on.data as { result: { metric: Record<string, string>; values: [number, string][] }[] }).result;
        const offRes = (off.data as { result: { metric: Record<string, string>; values: [number, string][] }[] }).result;
        const lines = [
          `dedup=true : ${onRes.length} series; ${onRes.map((s) => `${metricText(s.metric)} ${s.values.length}/${steps} points`).join('; ')}`,
          ...offRes.map((s) => `dedup=false: ${metricText(s.metric)} ${s.values.length}/${steps} points`),
        ];
        const ok =
          onRes.length === 1 &&
          !('replica' in onRes[0]!.metric) &&
          onRes[0]!.values.length === steps &&
          offRes.length === 2 &&
          offRes.every((s) => s.values.length < steps);
        return { lines, ok };
      },
    },
    {
      title: `Instant query while replica a is down (${iso(instant * 1000)})`,
      curls: [curl(base, '/api/v1/query', inst), curl(base, '/api/v1/query', { ...inst, dedup: 'false' })],
      lookFor:
        'One series {cluster="demo", instance="10.0.0.1:8080", job="api"} with no replica label; ' +
        'with dedup=false only replica="b" answers (a has been down for longer than the 5 m lookback).',
      async check() {
        const on = (await get(`${base}/api/v1/query?${new URLSearchParams(inst)}`)).data as { result: { metric: Record<string, string> }[] };
        const off = (await get(`${base}/api/v1/query?${new URLSearchParams({ ...inst, dedup: 'false' })}`)).data as {
          result: { metric: Record<string, string> }[];
        };
        return {
          lines: [`dedup=true : ${on.result.map((s) => metricText(s.metric)).join('; ')}`, `dedup=false: ${off.result.map((s) => metricText(s.metric)).join('; ')}`],
          ok: on.result.length === 1 && !('replica' in on.result[0]!.metric),
        };
      },
    },
    {
      title: `promdedup as a StoreAPI endpoint: a second promdedup (${above.url}) reads this one over gRPC (--endpoint=${above.grpc})`,
      curls: [curl(above.url, '/api/v1/query_range', { ...range, dedup: 'true' }), `curl -s '${above.url}/api/v1/stores'`],
      lookFor:
        'The same answer, byte for byte, as example 1 asked of the first promdedup (the replicas travel as StoreAPI series ' +
        'and are merged in the second one); /api/v1/stores lists the first promdedup as a "query" endpoint with both replicas\' label sets.',
      async check() {
        const params = new URLSearchParams({ ...range, dedup: 'true' });
        const [direct, through] = await Promise.all([text(`${base}/api/v1/query_range?${params}`), text(`${above.url}/api/v1/query_range?${params}`)]);
        const stores = (await get(`${above.url}/api/v1/stores`)).data as unknown as Record<string, { name: string; labelSets: Record<string, string>[] }[]>;
        const endpoint = stores['query']?.[0];
        return {
          lines: [
            `answers equal: ${direct === through} (${through.length} bytes)`,
            `endpoints: ${Object.entries(stores).map(([type, list]) => `${type}: ${list.map((e) => `${e.name} ${e.labelSets.map(metricText).join(' ')}`).join(', ')}`).join('; ')}`,
          ],
          ok: direct === through && endpoint?.name === above.grpc && endpoint.labelSets.length === 2,
        };
      },
    },
    {
      title: `The query frontend: the range query of example 1 split at every quarter hour, cached, and asked again (${frontend.url})`,
      curls: [curl(frontend.url, '/api/v1/query_range', range), `curl -s '${frontend.url}/metrics' | grep -E '^promdedup_frontend_cache_requests_total\\{kind="query_range"'`],
      lookFor:
        'The same answer, byte for byte, as the stable-dedup querier behind it gives unsplit; asked a second time, every ' +
        'sub-range is a cache hit (result="hit" grows, no request reaches the querier).',
      async check() {
        const params = new URLSearchParams(range);
        const direct = await text(`${frontend.querier}/api/v1/query_range?${params}`);
        const first = await text(`${frontend.url}/api/v1/query_range?${params}`);
        const hits = await counter(frontend.url, 'promdedup_frontend_cache_requests_total', 'result="hit"');
        const downstream = await counter(frontend.url, 'promdedup_frontend_downstream_requests_total', 'op="query_range"');
        const again = await text(`${frontend.url}/api/v1/query_range?${params}`);
        const hitsAfter = await counter(frontend.url, 'promdedup_frontend_cache_requests_total', 'result="hit"');
        const downstreamAfter = await counter(frontend.url, 'promdedup_frontend_downstream_requests_total', 'op="query_range"');
        return {
          lines: [
            `first answer equals the querier's unsplit one: ${first === direct} (${first.length} bytes, ${downstream} sub-queries sent)`,
            `asked again: ${hitsAfter - hits} cache hits, ${downstreamAfter - downstream} sub-queries sent, same answer: ${again === first}`,
          ],
          ok: first === direct && again === first && hitsAfter - hits >= 2 && downstreamAfter === downstream,
        };
      },
    },
    {
      title: 'Series metadata',
      curls: [curl(base, '/api/v1/series', series)],
      lookFor: 'Three series, one per api target, without the replica label (add &dedup=false to see all six).',
      async check() {
        const body = await get(`${base}/api/v1/series?${new URLSearchParams(series)}`);
        const list = body.data as Record<string, string>[];
        return {
          lines: list.map((m) => metricText(m)),
          ok: list.length === 3 && list.every((m) => !('replica' in m)),
        };
      },
    },
  ];
}

export function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
