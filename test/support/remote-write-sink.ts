/**
 * A recording remote-write 1.0 target for end-to-end tests: decodes every request it is sent
 * (snappy + prometheus.WriteRequest, with the project's reference decoder) and keeps each sample
 * as one string, `{labels} timestamp value` with the labels sorted. stop() closes it (refusing
 * connections, cutting open ones); start() listens again on the same port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { decodeBody } from '../../src/ingest/remote-write/body.js';
import { decodeWriteRequest, type DecodedTimeSeries } from '../../src/ingest/remote-write/v1-reference.js';
import { freePort } from './prometheus.js';

export interface RecordingSink {
  /** e.g. http://127.0.0.1:40123/api/v1/write */
  readonly writeUrl: string;
  readonly port: number;
  /** Every sample received (a set: a retried request adds nothing new). */
  readonly samples: ReadonlySet<string>;
  /** Requests decoded and answered 204. */
  requests(): number;
  /** Listens again on the same port (after stop()). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** `{a="1",b="2"} 1704067200000 3`: the labels sorted by name, as a sink sees a series. */
export function sampleKey(labels: readonly { name: string; value: string }[], timestamp: number, value: number): string {
  const sorted = [...labels].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return `{${sorted.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(',')}} ${timestamp} ${value}`;
}

/** Every sample of these series as sampleKey strings, without the labels named in `drop`. */
export function sampleKeys(series: readonly DecodedTimeSeries[], drop: readonly string[] = []): string[] {
  return series.flatMap((s) => {
    const labels = s.labels.filter((l) => !drop.includes(l.name));
    return s.samples.map((p) => sampleKey(labels, p.timestamp, p.value));
  });
}

export async function startRecordingSink(): Promise<RecordingSink> {
  const samples = new Set<string>();
  let requests = 0;
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const { message } = decodeBody(Buffer.concat(chunks), req.headers['content-encoding'], req.headers['content-type'], 64 << 20);
        for (const k of sampleKeys(decodeWriteRequest(message).timeseries)) samples.add(k);
        requests++;
        res.writeHead(204).end();
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(err instanceof Error ? err.message : String(err));
      }
    });
  };
  const port = await freePort();
  let server: Server | null = null;
  const start = async (): Promise<void> => {
    if (server !== null) return;
    const s = createServer(handle);
    // The port was ours a moment ago; after a stop() another process may hold it briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.listen(port, '127.0.0.1', () => {
            s.off('error', reject);
            resolve();
          });
        });
        break;
      } catch (err) {
        if (attempt >= 20 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    server = s;
  };
  await start();
  return {
    writeUrl: `http://127.0.0.1:${port}/api/v1/write`,
    port,
    samples,
    requests: () => requests,
    start,
    async stop() {
      const s = server;
      if (s === null) return;
      server = null;
      await new Promise<void>((r) => {
        s.close(() => r());
        s.closeAllConnections();
      });
    },
  };
}
