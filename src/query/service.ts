import type { FastifyInstance } from 'fastify';
import { buildHttpApi } from '../api/server.js';
import { Deduplicator } from '../dedup/index.js';
import { QueryMetrics } from '../metrics.js';
import { Engine } from '../promql/engine.js';
import { PrometheusStore } from '../store/prometheus/store.js';
import { Gate } from '../util/gate.js';
import type { Logger } from '../util/log.js';
import { CompatDetector } from './compat.js';
import type { QueryConfig } from './config.js';
import { StoreSet } from './stores.js';

export interface QueryService {
  /** Where the HTTP API listens, e.g. http://127.0.0.1:10902 */
  readonly httpUrl: string;
  close(): Promise<void>;
}

/** Wires endpoints, dedup workers, the engine and the HTTP API together and starts listening. */
export async function startQueryService(config: QueryConfig, logger: Logger): Promise<QueryService> {
  const stores = new StoreSet(config.endpoints.map((url) => new PrometheusStore({ url })));
  const deduplicator = new Deduplicator({ threads: config.dedupThreads });
  const compat = new CompatDetector(config.promqlCompat, config.endpoints);
  const engine = new Engine({
    lookbackDelta: config.lookbackDelta,
    defaultEvaluationInterval: 60_000,
    maxSamples: 50_000_000,
    enableExperimentalFunctions: false,
  }, { delayedNameRemoval: false }); // as stock Prometheus; its test suite enables the feature flag
  let ready = false;
  const app: FastifyInstance = buildHttpApi({
    config,
    engine,
    stores,
    deduplicator,
    metrics: new QueryMetrics(),
    gate: new Gate(config.maxConcurrent),
    logger,
    compat: () => compat.compat(),
    annotations: () => compat.annotations(),
    ready: () => ready,
  });

  // Serve right away (health, metrics); /-/ready turns 200 once every endpoint was asked once.
  await app.listen({ host: config.httpAddress.host, port: config.httpAddress.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.httpAddress.port;
  const host = config.httpAddress.host === '0.0.0.0' ? '127.0.0.1' : config.httpAddress.host;
  const httpUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info('listening for HTTP', { address: `${config.httpAddress.host}:${port}` });

  void Promise.all([stores.start(), compat.start()]).then(
    () => {
      ready = true;
      logger.info('endpoints contacted', {
        endpoints: config.endpoints.length,
        promql: compat.detected ? `prometheus ${compat.compat()}.x semantics` : 'prometheus 3.x semantics (no endpoint answered yet)',
      });
    },
    (err: unknown) => logger.error('starting endpoints failed', { err: String(err) }),
  );

  return {
    httpUrl,
    async close() {
      compat.stop();
      await app.close();
      await stores.stop();
      await deduplicator.close();
    },
  };
}
