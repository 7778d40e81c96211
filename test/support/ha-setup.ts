/**
 * An HA pair as the end-to-end tests use it: replicas A and B (external labels cluster + replica),
 * optionally a Prometheus holding the expected deduplicated data and one holding every replica's
 * series, and promdedup over A and B.
 */
import { startPrometheus, type PrometheusServer } from './prometheus.js';
import { ensureQuerierBuilt, startQuerier, type QuerierProcess } from './querier-process.js';

export interface HaSetupOptions {
  readonly cluster: string;
  readonly openMetrics: { readonly a: string; readonly b: string; readonly expected?: string; readonly all?: string };
  readonly querierArgs?: string[];
}

export interface HaSetup {
  readonly a: PrometheusServer;
  readonly b: PrometheusServer;
  /** Present when `openMetrics.expected` / `openMetrics.all` were given. */
  readonly expected: PrometheusServer | null;
  readonly all: PrometheusServer | null;
  readonly querier: QuerierProcess;
  stop(): Promise<void>;
}

/** Starts everything in parallel; if anything fails, stops what did start and rethrows. */
export async function startHaSetup(opts: HaSetupOptions): Promise<HaSetup> {
  ensureQuerierBuilt();
  const cluster = { cluster: opts.cluster };
  const om = opts.openMetrics;
  const started = await Promise.allSettled([
    startPrometheus({ externalLabels: { ...cluster, replica: 'a' }, openMetrics: om.a }),
    startPrometheus({ externalLabels: { ...cluster, replica: 'b' }, openMetrics: om.b }),
    om.expected !== undefined ? startPrometheus({ externalLabels: cluster, openMetrics: om.expected }) : Promise.resolve(null),
    om.all !== undefined ? startPrometheus({ externalLabels: cluster, openMetrics: om.all }) : Promise.resolve(null),
  ]);
  const servers: { stop(): Promise<void> }[] = [];
  for (const s of started) if (s.status === 'fulfilled' && s.value !== null) servers.push(s.value);
  const stop = async () => void (await Promise.all(servers.map((s) => s.stop())));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const [a, b, expected, all] = started.map((s) => (s as PromiseFulfilledResult<PrometheusServer | null>).value);
  try {
    const querier = await startQuerier({ endpoints: [a!.url, b!.url], replicaLabels: ['replica'], extraArgs: opts.querierArgs ?? [] });
    servers.push(querier);
    return { a: a!, b: b!, expected: expected ?? null, all: all ?? null, querier, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
