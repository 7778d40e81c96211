/**
 * `npm run bench`: every benchmark, with the machine it ran on. Figures go into docs/benchmarks.md.
 * Absolute times are noisy on shared machines: everything against servers is reported as a ratio
 * to one Prometheus (replica a) answering the same request in the same run.
 *
 * Sections (BENCH_SECTIONS, comma-separated; default all, in this order):
 *   dedup       the dedup kernel bench (dedup.ts, in process)
 *   memory      peak RSS for one big query vs Prometheus (fresh processes), RSS after it settles,
 *               refusals under --query.max-samples
 *   query       range and instant queries promdedup ÷ direct, uncompressed and gzip; instant ÷ floor
 *   throughput  16 clients × dashboard mix, promdedup vs direct
 *   isolation   health/1+1 probes under four heavy queries, two heavy at once vs one, cancellation
 *   storeapi    StoreAPI: Series streaming from promdedup's gRPC server vs remote read, client
 *               decoding (ours vs ReadDecoder vs proto-loader), range queries through a second
 *               promdedup over the first one's StoreAPI vs the first alone (storeapi.ts)
 *   ingest      promdedup ingest: 2000-series remote-write requests through it to a local sink vs
 *               straight to the sink: added p99 latency, samples per CPU second (ingest.ts)
 *   frontend    a 10-panel dashboard (6 h at 15 s) refreshed 10 times, 30 s apart, through
 *               promdedup query-frontend vs the promdedup querier vs one Prometheus, each from
 *               fresh processes: cold and warm refresh times, remote reads of the replicas, the
 *               frontend's answers = the querier's; N = 1, 3, 8 identical alert queries at once
 *               to the querier (coalescing). Its own HA pair, on the wall clock (frontend.ts)
 *   small       the querier's fixed cost per query: tiny range queries (2 points at step 15 s,
 *               the newest 30 s a query frontend asks for), one at a time and the 10 dashboard
 *               panels at once, querier over the pair and over one replica vs one Prometheus,
 *               interleaved in the same run; its own HA pair (small.ts)
 *
 * Environment:
 *   BENCH_QUICK=1         sizes 100 and 1000, fewer rounds, shorter throughput run and settle time
 *   BENCH_SIZES=100,1000,10000
 *   BENCH_ROUNDS=n        measured rounds per server and measurement, every size (default by
 *                         size: 100 → 11, 1000 → 7, 10000 → 2; quick: 5, 3). Each measurement
 *                         has one warm-up request per server first, except gzip above 1000
 *                         series (the uncompressed warm-up of the same query precedes it)
 *   BENCH_QUERIES=plain,rate,…   query ids of the query section (see query.ts)
 *   BENCH_KINDS=range,instant    kinds of the query section
 *   BENCH_CLIENTS=16, BENCH_THROUGHPUT_S=20 (quick 8), BENCH_SETTLE_S=60 (quick 15)
 *   BENCH_JSON=file       also write every figure as JSON
 *   BENCH_DATA_DIR=dir    keep the generated TSDB blocks there and reuse them in later runs
 *   BENCH_PROFILE=dir     run the main promdedup (and the storeapi section's A) with --cpu-prof
 *                         into dir, print its top functions
 *   BENCH_QUERIER_ARGS='--query.max-concurrent=4 …'  extra flags of the main promdedup
 *   BENCH_SMALL_ROUNDS=n, BENCH_SMALL_WARMUP=n   measured rounds and warm-up bursts per target of
 *                         the small section (default 30 and 100; quick 10 and 30)
 *   BENCH_SMALL_BASELINE=[name=]path/dist/src/cmd/main.js,…   small section: also queriers of other
 *                         builds (e.g. the commit before a change) over the pair, in the same run
 *   BENCH_FRONTEND_SCALE=n  the frontend section's series count times n (default 1: 368 series)
 *   BENCH_STOREAPI_ROUNDS=s,d,q  measured rounds of the storeapi section: Series streaming,
 *                         decoding, each range query (default 7,7,10; quick 3,3,3; BENCH_ROUNDS
 *                         sets all three). Its series: the largest size
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import { prepareData, T0, T_END, OUTAGE_B, type BenchData } from './data.js';
import { agent, fmt, startQuerierProcess, startReplicas, table, type Querier, type Replica } from './harness.js';
import { benchIsolation, formatIsolation, type IsolationResult } from './isolation.js';
import { benchMemory, formatMemory, type MemoryResult } from './memory.js';
import { formatProfile, summarizeProfiles } from './profile.js';
import { benchQueries, formatQueryRows, QUERIES, type QueryRow } from './query.js';
import { benchStoreApi, formatStoreApi, type StoreApiResult } from './storeapi.js';
import { benchIngest, formatIngest, type IngestBenchResult } from './ingest.js';
import { benchFrontend, formatFrontend, type FrontendBenchResult } from './frontend.js';
import { benchSmall, formatSmall, type SmallBenchResult } from './small.js';
import { benchThroughput, dashboardMix, formatThroughput, type ThroughputResult } from './throughput.js';
import { counterName } from './data.js';

const env = process.env;
const quick = env.BENCH_QUICK === '1';
const list = (s: string | undefined): string[] => (s ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
const SECTIONS = ['dedup', 'memory', 'query', 'throughput', 'isolation', 'storeapi', 'ingest', 'frontend', 'small'] as const;
const sections = new Set(list(env.BENCH_SECTIONS).length > 0 ? list(env.BENCH_SECTIONS) : SECTIONS);
for (const s of sections) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`BENCH_SECTIONS: unknown section ${s}`);
const sizes = (list(env.BENCH_SIZES).length > 0 ? list(env.BENCH_SIZES).map(Number) : quick ? [100, 1000] : [100, 1000, 10_000]).sort((a, b) => a - b);
for (const n of sizes) if (!Number.isInteger(n) || n < 10 || n % 10 !== 0) throw new Error(`BENCH_SIZES: ${n} is not a multiple of 10`);
const rounds = (n: number): number => {
  if (env.BENCH_ROUNDS) return Number(env.BENCH_ROUNDS);
  if (n <= 100) return quick ? 5 : 11;
  if (n <= 1000) return quick ? 3 : 7;
  return 2;
};
const onlyQueries = list(env.BENCH_QUERIES);
for (const q of onlyQueries) if (!QUERIES.some((d) => d.id === q)) throw new Error(`BENCH_QUERIES: unknown query ${q} (${QUERIES.map((d) => d.id).join(', ')})`);
const kinds = (list(env.BENCH_KINDS).length > 0 ? list(env.BENCH_KINDS) : ['range', 'instant']) as ('range' | 'instant')[];
for (const k of kinds) if (k !== 'range' && k !== 'instant') throw new Error(`BENCH_KINDS: ${k} is neither range nor instant`);
const clients = Number(env.BENCH_CLIENTS ?? 16);
const throughputS = Number(env.BENCH_THROUGHPUT_S ?? (quick ? 8 : 20));
const settleS = Number(env.BENCH_SETTLE_S ?? (quick ? 15 : 60));
const profileDir = env.BENCH_PROFILE;
const storeApiRounds = ((): [number, number, number] => {
  const given = list(env.BENCH_STOREAPI_ROUNDS).map(Number);
  if (given.length > 0) {
    if (given.length !== 3 || given.some((x) => !Number.isInteger(x) || x < 1)) throw new Error('BENCH_STOREAPI_ROUNDS: three positive integers, e.g. 7,7,10');
    return [given[0]!, given[1]!, given[2]!];
  }
  if (env.BENCH_ROUNDS) return [Number(env.BENCH_ROUNDS), Number(env.BENCH_ROUNDS), Number(env.BENCH_ROUNDS)];
  return quick ? [3, 3, 3] : [7, 7, 10];
})();
/** Extra flags of the main promdedup (query, throughput and isolation sections), space-separated. */
const querierArgs = (env.BENCH_QUERIER_ARGS ?? '').split(/\s+/).filter((x) => x !== '');

const log = (s: string): void => console.error(s);
const started = performance.now();
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(0)} s`;

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const promVersion = (() => {
  try {
    return execFileSync('prometheus', ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
  } catch {
    return 'prometheus: not found';
  }
})();
const machine = {
  date: new Date().toISOString(),
  cpus: cpus().length,
  cpu,
  memGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  prometheus: promVersion,
  loadavgStart: loadavg(),
};
console.log(`# promdedup benchmarks, ${machine.date}`);
console.log(`machine: ${machine.cpus} × ${cpu}, ${machine.memGiB} GiB, node ${process.version}, ${promVersion}`);
console.log(`load average at start: ${machine.loadavgStart.map((x) => x.toFixed(2)).join(' ')}`);
console.log(`sizes ${sizes.join(', ')}; sections ${[...sections].join(', ')}${quick ? ' (quick)' : ''}\n`);

interface Check {
  readonly what: string;
  readonly value: number;
  readonly target: string;
  readonly met: boolean;
}

const result: {
  machine: typeof machine & { loadavgEnd?: number[] };
  settings: Record<string, unknown>;
  data?: Omit<BenchData, 'cleanup' | 'dirA' | 'dirB'>;
  dedup?: unknown;
  memory?: MemoryResult;
  query?: QueryRow[];
  throughput?: ThroughputResult;
  isolation?: IsolationResult;
  storeapi?: StoreApiResult;
  ingest?: IngestBenchResult;
  frontend?: FrontendBenchResult;
  small?: SmallBenchResult;
  checks: Check[];
  profile?: ReturnType<typeof summarizeProfiles>;
  seconds?: number;
} = {
  machine,
  settings: { quick, querierArgs, sizes, rounds: Object.fromEntries(sizes.map((n) => [n, rounds(n)])), clients, throughputS, settleS, sections: [...sections], queries: onlyQueries, kinds, storeApiRounds },
  checks: [],
};

function check(what: string, value: number, target: string, met: boolean): void {
  result.checks.push({ what, value, target, met });
}

if (sections.has('dedup')) {
  const dedup = await import('./dedup.js');
  const r = await dedup.benchDedup();
  dedup.printDedupBench(r);
  result.dedup = r;
  log(`[${elapsed()}] dedup done`);
}

const needServers = ['memory', 'query', 'throughput', 'isolation', 'storeapi'].some((s) => sections.has(s));
if (needServers) {
  log(`data: ${sizes.join(', ')} series × 6 h at 15 s per replica (fixed window from ${new Date(T0).toISOString()})`);
  const data = await prepareData(sizes, env.BENCH_DATA_DIR, log);
  result.data = { sizes: data.sizes, samplesA: data.samplesA, buildMs: data.buildMs, copyMs: data.copyMs, fromCache: data.fromCache };
  console.log(
    `data: ${(data.samplesA / 1e6).toFixed(1)} M samples per replica (counters, histogram buckets, info series of every size), ` +
      `replica b without ${new Date(OUTAGE_B[0]).toISOString().slice(11, 16)}–${new Date(OUTAGE_B[1]).toISOString().slice(11, 16)}; ` +
      (data.fromCache ? 'blocks from BENCH_DATA_DIR' : `generated and imported in ${(data.buildMs / 1000).toFixed(1)} s`) +
      '\n',
  );
  let replicas: Replica[] = [];
  const queriers: Querier[] = [];
  const startQuerier = async (extraArgs: readonly string[] = [], prof = false): Promise<Querier> => {
    const q = await startQuerierProcess({
      endpoints: replicas.map((r) => r.url),
      extraArgs,
      ...(prof && profileDir !== undefined ? { cpuProfileDir: profileDir } : {}),
    });
    queriers.push(q);
    return q;
  };
  try {
    replicas = await startReplicas(data);
    const direct = replicas[0]!;
    log(`[${elapsed()}] replicas up: ${replicas.map((r) => `${r.name} ${r.url} pid ${r.pid}`).join(', ')}`);

    if (sections.has('memory')) {
      const n = sizes[sizes.length - 1]!;
      log(`memory (${n} series):`);
      const m = await benchMemory({
        series: n,
        direct,
        replicaPids: replicas.map((r) => r.pid),
        startQuerier: (args) => startQuerier(args),
        settleS,
        log,
      });
      result.memory = m;
      console.log(`## memory (${n} series)\n${formatMemory(m)}\n`);
      for (const x of m.refusals) {
        check(`max-samples refusal time, ${x.name} (ms)`, x.ms, '< 2000', x.status === 422 && x.ms < 2000);
        check(`max-samples refusal RSS growth, ${x.name} (MiB)`, x.growthMiB, '< 286 MiB (300 MB)', x.growthMiB * 2 ** 20 < 300e6);
      }
      log(`[${elapsed()}] memory done`);
    }

    let main: Querier | null = null;
    if (['query', 'throughput', 'isolation'].some((s) => sections.has(s))) main = await startQuerier(querierArgs, true);

    if (sections.has('query') && main) {
      log('queries:');
      const rows = await benchQueries({
        direct: direct.url,
        promdedup: main.url,
        replicas: replicas.map((r) => r.url),
        sizes,
        rounds,
        gzipWarmup: (n) => n <= 1000,
        kinds,
        only: onlyQueries,
        log,
      });
      result.query = rows;
      console.log(`## queries${formatQueryRows(rows)}\n`);
      for (const r of rows) {
        const name = `${r.series} ${r.query} ${r.kind}`;
        if (r.kind === 'range') {
          check(`${name}, ratio`, r.plain.ratio, '≤ 1.3', r.plain.ratio <= 1.3);
          check(`${name}, ratio gzip`, r.gzip.ratio, '≤ 1.0', r.gzip.ratio <= 1.0);
        } else if (r.floor) {
          check(`${name}, ÷ floor`, r.floor.ratio, '≤ 1.3', r.floor.ratio <= 1.3);
        }
      }
      log(`[${elapsed()}] queries done`);
    }

    if (sections.has('throughput') && main) {
      const n = sizes.filter((s) => s <= 1000).pop() ?? sizes[0]!;
      log(`throughput (${clients} clients, ${throughputS} s each):`);
      const t = await benchThroughput({ direct: direct.url, promdedup: main.url, mix: dashboardMix(n, sizes[0]!), clients, durationS: throughputS, log });
      result.throughput = t;
      console.log(`## throughput\n${formatThroughput(t)}\n`);
      check('throughput ratio', t.ratio, '≥ 0.8', t.ratio >= 0.8 && t.promdedup.errors === 0);
      log(`[${elapsed()}] throughput done`);
    }

    if (sections.has('isolation') && main) {
      const n = sizes.filter((s) => s <= 1000).pop() ?? sizes[0]!;
      const heavy = `max_over_time(rate(${counterName(n)}[5m])[6h:1s])`;
      log(`isolation (${heavy}):`);
      const iso = await benchIsolation({ url: main.url, pid: main.pid, heavy, log });
      result.isolation = iso;
      console.log(`## isolation\n${formatIsolation(iso)}\n`);
      check('/-/healthy p99 under 4 heavy queries (ms)', iso.loaded.healthy.p99Ms, '< 50', iso.loaded.healthy.p99Ms < 50);
      check('two heavy queries at once ÷ one', iso.parallel.ratio, '≤ 1.3', iso.parallel.ratio <= 1.3);
      log(`[${elapsed()}] isolation done`);
    }

    if (sections.has('storeapi')) {
      const n = sizes[sizes.length - 1]!;
      log(`storeapi (${n} series; promdedup A over the replicas, B over A's StoreAPI):`);
      const s = await benchStoreApi({
        series: n,
        replicas,
        launch: async (endpoints, extraArgs, profiled) => {
          const q = await startQuerierProcess({ endpoints, extraArgs, ...(profiled && profileDir !== undefined ? { cpuProfileDir: profileDir } : {}) });
          queriers.push(q);
          return q;
        },
        streamRounds: storeApiRounds[0],
        decodeRounds: storeApiRounds[1],
        queryRounds: storeApiRounds[2],
        log,
      });
      result.storeapi = s;
      console.log(`## storeapi (${n} series)\n${formatStoreApi(s)}\n`);
      for (const q of s.queries) check(`storeapi ${q.id}: B's answer = A's`, q.identical ? 1 : 0, 'byte for byte', q.identical);
      log(`[${elapsed()}] storeapi done`);
    }
  } finally {
    await Promise.all(queriers.map((q) => q.stop()));
    await Promise.all(replicas.map((r) => r.server.stop()));
    await agent.close();
    data.cleanup();
  }
  if (profileDir !== undefined) {
    mkdirSync(profileDir, { recursive: true });
    const summaries = summarizeProfiles(profileDir, 30);
    result.profile = summaries;
    console.log(`## CPU profile of promdedup (${profileDir})\n${summaries.map((s) => formatProfile(s)).join('\n\n')}\n`);
  }
}

if (sections.has('ingest')) {
  log('ingest (promdedup ingest vs straight to a sink):');
  const r = await benchIngest(log, quick);
  result.ingest = r;
  console.log(`## ingest\n${formatIngest(r)}\n`);
  check('ingest: samples per CPU second', r.samplesPerCpuS / 1e6, '≥ 1 M', r.samplesPerCpuS >= 1e6);
  check('ingest: added p99 ms', r.addedP99Ms, '≤ 2 ms', r.addedP99Ms <= 2);
  log(`[${elapsed()}] ingest done`);
}

if (sections.has('frontend')) {
  log('frontend (dashboard refreshes through promdedup query-frontend vs the querier vs one Prometheus):');
  const r = await benchFrontend(log, quick);
  result.frontend = r;
  console.log(`## frontend\n${formatFrontend(r)}\n`);
  check('frontend: warm refresh ÷ cold', r.warmOverCold, '≤ 0.2', r.warmOverCold <= 0.2);
  check('frontend: warm refresh ÷ one Prometheus refresh', r.warmOverPrometheus, '≤ 0.3', r.warmOverPrometheus <= 0.3);
  check("frontend: answers ≠ the querier's", r.mismatches.length, '0', r.mismatches.length === 0);
  for (const c of r.coalesce.filter((x) => x.n > 1)) {
    check(`coalescing: ${c.n} identical alert queries, wall time ÷ one`, c.msRatio, '≤ 1.1', c.msRatio <= 1.1);
    check(`coalescing: ${c.n} identical alert queries, querier CPU ÷ one`, c.cpuRatio, '≤ 1.1', c.cpuRatio <= 1.1);
    check(`coalescing: ${c.n} identical alert queries, remote-read bytes ÷ one`, c.bytesRatio, '≤ 1.1', c.bytesRatio <= 1.1);
  }
  log(`[${elapsed()}] frontend done`);
}

if (sections.has('small')) {
  log('small (tiny range queries: querier vs one Prometheus):');
  const r = await benchSmall(log, {
    rounds: Number(env.BENCH_SMALL_ROUNDS ?? (quick ? 10 : 30)),
    warmup: Number(env.BENCH_SMALL_WARMUP ?? (quick ? 30 : 100)),
    querierArgs,
    ...(profileDir !== undefined ? { profileDir } : {}),
    ...(env.BENCH_SMALL_BASELINE !== undefined ? { baselineEntry: env.BENCH_SMALL_BASELINE } : {}),
  });
  result.small = r;
  console.log(`## small\n${formatSmall(r)}\n`);
  log(`[${elapsed()}] small done`);
}

if (result.checks.length > 0) {
  console.log('## targets');
  console.log(
    table(
      ['check', 'value', 'target', 'met'],
      result.checks.map((c) => [c.what, fmt(c.value, 2), c.target, c.met ? 'yes' : '**no**']),
    ),
  );
}
result.machine.loadavgEnd = loadavg();
result.seconds = (performance.now() - started) / 1000;
console.log(`\nload average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${result.seconds.toFixed(0)} s in all (data window ${new Date(T0).toISOString()} – ${new Date(T_END).toISOString()})`);
if (env.BENCH_JSON) {
  writeFileSync(env.BENCH_JSON, JSON.stringify(result, null, 2));
  console.log(`JSON: ${env.BENCH_JSON}`);
}
