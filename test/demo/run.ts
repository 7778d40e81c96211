/**
 * `npm run demo`: two real Prometheus replicas (external labels cluster=demo, replica=a/b) loaded with
 * three hours of generated history in which each replica has outages, the promdedup querier over them
 * (port 10902 when free), a second promdedup reading it over StoreAPI, a query frontend in front of a
 * stable-dedup querier, and example requests to try. Runs until Ctrl-C, then stops everything.
 *
 * `--check` (or DEMO_CHECK=1): run the examples itself, print a summary, stop, exit 0 (1 when an
 * answer does not look as described) — CI uses it to prove the demo works.
 *
 * The history ends at the whole hour at least one hour before now, so that it looks recent;
 * DEMO_END_MS=<epoch ms> pins it instead (the demo test does, so that it sees the same data at any hour).
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { generateHaData, recentEndMs } from '../support/hadata.js';
import { prometheusAvailable, startPrometheus } from '../support/prometheus.js';
import { querierEntryPoint, startQuerier } from '../support/querier-process.js';
import { startFrontendProcess } from '../support/frontend-process.js';
import { examples, iso } from './examples.js';

const PREFERRED_PORT = 10902;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function installHelp(): string {
  return [
    'The demo needs Prometheus: the `prometheus` and `promtool` binaries must be on PATH.',
    '',
    '  Debian/Ubuntu:  sudo apt-get install -y prometheus',
    '  Elsewhere:      download a release from https://prometheus.io/download/, unpack it and put',
    '                  `prometheus` and `promtool` on PATH (e.g. copy them to /usr/local/bin).',
    '',
    'Then run `npm run demo` again.',
  ].join('\n');
}

async function main(): Promise<number> {
  const check = process.argv.includes('--check') || process.env.DEMO_CHECK === '1';
  if (!prometheusAvailable()) {
    console.error(installHelp());
    return 1;
  }
  if (!existsSync(querierEntryPoint())) {
    console.error(`${querierEntryPoint()} is missing: run \`npm run build\` first.`);
    return 1;
  }

  const pinnedEnd = process.env.DEMO_END_MS || undefined;
  if (pinnedEnd !== undefined && !(Number.isSafeInteger(Number(pinnedEnd)) && Number(pinnedEnd) > 0)) {
    console.error(`DEMO_END_MS=${pinnedEnd}: expected epoch milliseconds`);
    return 1;
  }
  const data = generateHaData({ cluster: 'demo', endMs: pinnedEnd !== undefined ? Number(pinnedEnd) : recentEndMs() });
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    stops.length = 0;
  };

  try {
    console.log(`Generating history ${iso(data.startMs)} – ${iso(data.endMs)} and starting two Prometheus replicas…`);
    const [a, b] = await Promise.all(
      (['a', 'b'] as const).map(async (r) => {
        const p = await startPrometheus({ externalLabels: { cluster: 'demo', replica: r }, openMetrics: data.openMetrics[r] });
        stops.push(() => p.stop());
        return p;
      }),
    );
    const port = (await portFree(PREFERRED_PORT)) ? PREFERRED_PORT : undefined;
    const querier = await startQuerier({ endpoints: [a!.url, b!.url], replicaLabels: ['replica'], ...(port ? { httpPort: port } : {}) });
    stops.push(() => querier.stop());
    // A second promdedup reading the first over its StoreAPI, as a global one over regional ones.
    const grpc = `127.0.0.1:${querier.grpcPort}`;
    const above = await startQuerier({ endpoints: [grpc], replicaLabels: ['replica'], extraArgs: ['--query.promql-compat=2'] });
    stops.push(() => above.stop());
    // A query frontend (15 min splits, so that the examples' range crosses a few, in-memory results cache) over a querier with window-stable dedup, as docs/query-frontend.md advises.
    const stable = await startQuerier({ endpoints: [a!.url, b!.url], replicaLabels: ['replica'], extraArgs: ['--deduplication.func=stable'] });
    stops.push(() => stable.stop());
    const frontend = await startFrontendProcess(stable.url, ['--query-range.split-interval=15m', '--log.level=warn']);
    stops.push(() => frontend.stop());

    console.log('');
    console.log(`  replica a  ${a!.url}  (external labels cluster="demo", replica="a")`);
    console.log(`  replica b  ${b!.url}  (external labels cluster="demo", replica="b")`);
    console.log(`  promdedup  ${querier.url}  (--query.replica-label=replica; StoreAPI gRPC on ${grpc})`);
    console.log(`  promdedup  ${above.url}  (--endpoint=${grpc}: the first one's StoreAPI)`);
    console.log(`  promdedup  ${stable.url}  (--deduplication.func=stable)`);
    console.log(`  query-frontend  ${frontend.url}  (--query-frontend.downstream-url=${stable.url} --query-range.split-interval=15m)`);
    console.log('');
    console.log('Outages (each replica recorded nothing in these windows; never both at once):');
    for (const o of data.outages) console.log(`  replica ${o.replica}: ${iso(o.fromMs)} – ${iso(o.toMs)}`);
    console.log('');

    const list = examples(querier.url, data, { url: above.url, grpc }, { url: frontend.url, querier: stable.url });
    let allOk = true;
    for (const [i, ex] of list.entries()) {
      console.log(`${i + 1}. ${ex.title}`);
      for (const c of ex.curls) console.log(`   ${c}`);
      console.log(`   Look for: ${ex.lookFor}`);
      if (check) {
        const { lines, ok } = await ex.check();
        for (const l of lines) console.log(`   → ${l}`);
        console.log(`   ${ok ? 'OK' : 'NOT AS DESCRIBED'}`);
        allOk &&= ok;
      }
      console.log('');
    }

    if (check) {
      await stopAll();
      console.log(allOk ? 'demo check passed' : 'demo check FAILED');
      return allOk ? 0 : 1;
    }

    const ui = new URLSearchParams({ 'g0.expr': 'sum by (instance) (rate(http_requests_total[5m]))', 'g0.tab': 'graph', 'g0.range_input': formatHours(data.endMs - data.startMs), 'g0.end_input': new Date(data.endMs).toISOString() });
    console.log(`Web UI: ${querier.url}/graph?${ui.toString()}`);
    console.log('   (untick Deduplication to see both replicas\' series and their holes; Endpoints lists the replicas)');
    console.log('');
    console.log('(pipe the curl output through `jq` for readability) — press Ctrl-C to stop everything.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    console.log('\nstopping…');
    await stopAll();
    return 0;
  } catch (err) {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll();
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

/** A window length as a Prometheus duration in whole hours (the demo's history is whole hours). */
function formatHours(ms: number): string {
  return `${Math.max(1, Math.round(ms / 3_600_000))}h`;
}
