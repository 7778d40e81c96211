/**
 * deploy/mixin's ingest dashboard and alerts over a real `promdedup ingest` scraped by a real
 * Prometheus: pushes from an HA pair (one failover), a non-HA push, a runtime config that turns
 * invalid; the dashboard's panels then have data, and the runtime-config alert's expression
 * selects the instance.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { encodeBody } from '../../src/ingest/remote-write/body.js';
import { encodeWriteRequest } from '../../src/ingest/remote-write/v1-reference.js';
import { sleep } from '../support/child-process.js';
import { apiGet } from '../support/compare.js';
import { startIngestProcess, type IngestProcess } from '../support/ingest-process.js';
import { prometheusAvailable, startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { repoRoot } from '../support/querier-process.js';
import { startRecordingSink, type RecordingSink } from '../support/remote-write-sink.js';

const promOk = prometheusAvailable();
if (!promOk) console.warn('e2e: prometheus/promtool not on PATH (sudo apt-get install -y prometheus): skipping');

/** Fixed sample times (2024-01-01): the forwarded data does not depend on today's date. */
const T0 = 1_704_067_200_000;

function body(replica: string | null, value: number): Uint8Array {
  const labels = [
    { name: '__name__', value: 'requests_total' },
    ...(replica !== null ? [{ name: '__replica__', value: replica }] : []),
    { name: 'cluster', value: 'eu1' },
  ];
  return encodeBody(encodeWriteRequest({ timeseries: [{ labels, samples: [{ value, timestamp: T0 + value * 1000 }], exemplars: [], histograms: [] }], metadata: [] }));
}

async function push(url: string, b: Uint8Array): Promise<number> {
  const res = await fetch(`${url}/api/v1/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
    body: b,
  });
  await res.arrayBuffer();
  return res.status;
}

const MIXIN = () => join(repoRoot(), 'deploy', 'mixin');

describe.skipIf(!promOk)('the ingest mixin over a scraped promdedup ingest', () => {
  let sink: RecordingSink;
  let ingest: IngestProcess;
  let monitor: PrometheusServer;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'promdedup-mixin-'));
    await writeFile(join(dir, 'runtime.yaml'), 'overrides: {}\n');
    sink = await startRecordingSink();
    ingest = await startIngestProcess([
      `--remote-write.url=${sink.writeUrl}`,
      '--ha-tracker.update-timeout=1s',
      '--ha-tracker.update-timeout-jitter-max=0s',
      '--ha-tracker.failover-timeout=2s',
      `--runtime-config.file=${join(dir, 'runtime.yaml')}`,
      '--runtime-config.reload-period=200ms',
    ]);
    monitor = await startPrometheus({
      scrapeInterval: '1s',
      scrapeConfigs: [{ job_name: 'promdedup-ingest', scrape_interval: '1s', static_configs: [{ targets: [new URL(ingest.url).host] }] }],
    });
  }, 120_000);

  afterAll(async () => {
    await monitor?.stop();
    await ingest?.stop();
    await sink?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the dashboard\'s panels have data and the runtime-config alert selects the instance', async () => {
    let v = 1;
    expect(await push(ingest.url, body('a', v++))).toBe(200);
    expect(await push(ingest.url, body('b', v++))).toBe(202);
    expect(await push(ingest.url, body(null, v++))).toBe(200);
    // a goes quiet, b keeps sending: past the failover timeout (2 s) a tick elects b.
    let elected = false;
    for (let i = 0; i < 50 && !elected; i++) {
      const status = await push(ingest.url, body('b', v++));
      elected = status === 200;
      if (!elected) expect(status).toBe(202);
      await sleep(200);
    }
    expect(elected).toBe(true);
    expect(await push(ingest.url, body('a', v++))).toBe(202);
    await writeFile(join(dir, 'runtime.yaml'), 'overrides: [not, a, map\n');
    await sleep(1500);
    expect(await push(ingest.url, body('b', v++))).toBe(200);
    expect(await push(ingest.url, body('a', v++))).toBe(202);
    await sleep(2500);

    const d = JSON.parse(readFileSync(join(MIXIN(), 'dashboards', 'promdedup-ingest.json'), 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const empty: string[] = [];
    for (const p of d.panels) {
      for (const t of p.targets ?? []) {
        const expr = t.expr.replaceAll('$__rate_interval', '1m').replace(/\$(job|instance)/g, '.*');
        const r = await apiGet(monitor.url, '/api/v1/query', { query: expr });
        expect(r.httpStatus, `${p.title}: ${expr}`).toBe(200);
        if ((r.body.data as { result: unknown[] }).result.length === 0) empty.push(`${p.title}: ${expr}`);
      }
    }
    // Only what did not happen: no 5xx (Errors has a 0 but its numerator no series), no refused samples,
    // no CAS failure, no other instance's change, no cleanup.
    const expectedEmpty = ['Discarded samples', 'Change propagation p99'];
    expect(empty.filter((e) => !expectedEmpty.some((t) => e.startsWith(`${t}:`)) && !/cas_failures|cleanup|status=~"5\.\."/.test(e))).toEqual([]);
    for (const title of ['Requests by outcome', 'Deduped samples', 'Non-HA samples', 'Leader changes', 'Latency', 'Last reload successful']) {
      expect(empty.filter((e) => e.startsWith(`${title}:`)), title).toEqual([]);
    }

    const rules = parseYaml(readFileSync(join(MIXIN(), 'alerts', 'promdedup-ingest.rules.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
    const reload = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === 'PromdedupRuntimeConfigReloadFailing')!;
    const r = await apiGet(monitor.url, '/api/v1/query', { query: reload.expr });
    const result = (r.body.data as { result: { metric: Record<string, string> }[] }).result;
    expect(result.map((s) => s.metric.instance)).toEqual([new URL(ingest.url).host]);
    const changes = await apiGet(monitor.url, '/api/v1/query', { query: 'promdedup_ha_tracker_elected_replica_changes_total{job="promdedup-ingest", cluster="eu1"}' });
    expect((changes.body.data as { result: { value: [number, string] }[] }).result.map((s) => s.value[1])).toEqual(['2']);
  }, 60_000);
});
