/**
 * A real HA pair through `promdedup ingest`: two Prometheus servers scrape the same target every
 * second and remote-write through promdedup to a third with the remote-write receiver. One copy
 * of each series arrives, without `__replica__`; after the elected Prometheus is killed, samples
 * resume from the other within the failover timeout plus a few scrape and send intervals.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../support/child-process.js';
import { startIngestProcess, type IngestProcess } from '../support/ingest-process.js';
import { freePort, prometheusAvailable, startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { ensureQuerierBuilt } from '../support/querier-process.js';

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

describe.skipIf(!prometheusAvailable())('an HA pair of real Prometheus servers through promdedup ingest', () => {
  let target: Server;
  let sink: PrometheusServer;
  let ingest: IngestProcess | undefined;
  let ingestUrl = '';
  const replicas = new Map<string, PrometheusServer>();

  beforeAll(async () => {
    ensureQuerierBuilt();
    target = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('# TYPE demo_value gauge\ndemo_value 42\n');
    });
    const targetPort = await freePort();
    await new Promise<void>((r) => target.listen(targetPort, '127.0.0.1', r));
    sink = await startPrometheus({ extraArgs: ['--web.enable-remote-write-receiver'] });
    ingest = await startIngestProcess([
      `--remote-write.url=${sink.url}/api/v1/write`,
      '--ha-tracker.update-timeout=1s',
      '--ha-tracker.update-timeout-jitter-max=0s',
      '--ha-tracker.failover-timeout=3s',
    ]);
    ingestUrl = ingest.url;
    for (const r of ['a', 'b']) {
      replicas.set(
        r,
        await startPrometheus({
          externalLabels: { cluster: 'eu1', __replica__: r },
          scrapeInterval: '1s',
          scrapeConfigs: [{ job_name: 'demo', static_configs: [{ targets: [`127.0.0.1:${targetPort}`] }] }],
          remoteWrite: [{ url: `${ingestUrl}/api/v1/push`, queue_config: { batch_send_deadline: '500ms', min_backoff: '100ms', max_backoff: '1s' } }],
        }),
      );
    }
  }, 120_000);

  afterAll(async () => {
    for (const r of replicas.values()) await r.stop();
    if (ingest) await ingest.stop();
    await sink?.stop();
    await new Promise<void>((r) => (target ? target.close(() => r()) : r()));
  });

  const sinkQuery = async (query: string): Promise<Sample[]> => {
    const res = await fetch(`${sink.url}/api/v1/query?query=${encodeURIComponent(query)}`);
    return ((await res.json()) as { data: { result: Sample[] } }).data.result;
  };
  const elected = async (): Promise<string | null> => {
    const res = await fetch(`${ingestUrl}/distributor/ha_tracker`, { headers: { accept: 'application/json' } });
    const rows = ((await res.json()) as { elected: { cluster: string; replica: string }[] }).elected;
    return rows.find((r) => r.cluster === 'eu1')?.replica ?? null;
  };
  const until = async <T>(what: string, f: () => Promise<T | null>, ms: number): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await f();
      if (v !== null) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${ingest?.logs() ?? ''}`);
      await sleep(250);
    }
  };

  it('one copy of each series, no __replica__; after the leader dies the other one\'s samples flow', async () => {
    const series = await until('the first samples in the sink', async () => {
      const r = await sinkQuery('demo_value');
      return r.length > 0 ? r : null;
    }, 30_000);
    expect(series.map((s) => s.metric)).toEqual([{ __name__: 'demo_value', cluster: 'eu1', instance: expect.any(String) as unknown as string, job: 'demo' }]);
    const up = await sinkQuery('up');
    expect(up).toHaveLength(1);
    expect(up[0]!.metric).not.toHaveProperty('__replica__');

    const leader = (await elected())!;
    const other = leader === 'a' ? 'b' : 'a';
    await replicas.get(leader)!.stop();
    replicas.delete(leader);
    const killedAt = Date.now() / 1000;
    await until('the other replica to be elected', async () => ((await elected()) === other ? true : null), 20_000);
    // Fresh samples (scraped after the kill) arrive: from the other replica, still one series.
    await until('samples after the failover', async () => {
      const r = await sinkQuery('timestamp(demo_value)');
      return r.length === 1 && Number(r[0]!.value[1]) > killedAt + 1 ? r : null;
    }, 20_000);
    expect((await sinkQuery('demo_value')).map((s) => s.metric.__replica__)).toEqual([undefined]);
    expect(ingest!.logs()).toMatch(new RegExp(`elected replica changed.*cluster=eu1.*to=${other}`));
  }, 90_000);
});
