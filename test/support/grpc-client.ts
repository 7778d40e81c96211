/**
 * A small StoreAPI client for tests, on @grpc/grpc-js and @grpc/proto-loader directly (not
 * promdedup's GrpcStore): unary calls and Series streams decoded by proto-loader into plain
 * objects (int64 as decimal strings, enums as numbers, bytes as Buffers).
 */
import { Client, credentials, Metadata, type ChannelCredentials, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { loadSync, type MethodDefinition } from '@grpc/proto-loader';
import { join } from 'node:path';
import { repoRoot } from './querier-process.js';

let definition: ReturnType<typeof loadSync> | null = null;

function method(service: string, name: string): MethodDefinition<object, unknown> {
  definition ??= loadSync(['thanos/store/storepb/rpc.proto', 'thanos/info/infopb/rpc.proto', 'grpc/health/v1/health.proto'], {
    includeDirs: [join(repoRoot(), 'proto')],
    keepCase: true,
    longs: String,
    enums: Number,
    defaults: true,
    oneofs: true,
  });
  const m = (definition[service] as unknown as Record<string, MethodDefinition<object, unknown>> | undefined)?.[name];
  if (m === undefined) throw new Error(`no method ${service}/${name}`);
  return m;
}

export interface PbChunk {
  type: number;
  data: Buffer;
  hash: string;
}

export interface PbAggrChunk {
  min_time: string;
  max_time: string;
  raw: PbChunk | null;
  count: PbChunk | null;
  sum: PbChunk | null;
  min: PbChunk | null;
  max: PbChunk | null;
  counter: PbChunk | null;
}

export interface PbSeries {
  labels: { name: string; value: string }[];
  chunks: PbAggrChunk[];
}

export type PbSeriesResponse =
  | { result: 'series'; series: PbSeries }
  | { result: 'warning'; warning: string }
  | { result: 'batch'; batch: { series: PbSeries[] } }
  | { result: 'hints'; hints: unknown };

export interface SeriesAnswer {
  readonly series: PbSeries[];
  readonly warnings: string[];
  /** Every frame in arrival order. */
  readonly frames: PbSeriesResponse[];
}

export interface StoreApiTestClient {
  unary<Res>(service: string, name: string, req: object, timeoutMs?: number): Promise<Res>;
  /** Opens a Series stream (the caller reads it). */
  openSeries(req: object): ClientReadableStream<PbSeriesResponse>;
  /** A whole Series answer; rejects with the gRPC error. */
  series(req: object, timeoutMs?: number): Promise<SeriesAnswer>;
  close(): void;
}

export function storeApiClient(address: string, creds: ChannelCredentials = credentials.createInsecure(), options: Record<string, string | number> = {}): StoreApiTestClient {
  const client = new Client(address, creds, { 'grpc.max_receive_message_length': -1, ...options });
  const deadline = (ms: number) => Date.now() + ms;
  const openSeries = (req: object, timeoutMs = 30_000) => {
    const m = method('thanos.Store', 'Series');
    return client.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize as (b: Buffer) => PbSeriesResponse, req, new Metadata(), { deadline: deadline(timeoutMs) });
  };
  return {
    unary<Res>(service: string, name: string, req: object, timeoutMs = 10_000): Promise<Res> {
      const m = method(service, name);
      return new Promise<Res>((resolve, reject) => {
        client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, req, new Metadata(), { deadline: deadline(timeoutMs) }, (err: ServiceError | null, res?: unknown) =>
          err !== null ? reject(err) : resolve(res as Res),
        );
      });
    },
    openSeries: (req) => openSeries(req),
    series(req: object, timeoutMs = 30_000): Promise<SeriesAnswer> {
      return new Promise<SeriesAnswer>((resolve, reject) => {
        const frames: PbSeriesResponse[] = [];
        const call = openSeries(req, timeoutMs);
        call.on('data', (f: PbSeriesResponse) => frames.push(f));
        call.on('error', reject);
        call.on('end', () => {
          const series: PbSeries[] = [];
          const warnings: string[] = [];
          for (const f of frames) {
            if (f.result === 'series') series.push(f.series);
            else if (f.result === 'batch') series.push(...f.batch.series);
            else if (f.result === 'warning') warnings.push(f.warning);
          }
          resolve({ series, warnings, frames });
        });
      });
    },
    close: () => client.close(),
  };
}
