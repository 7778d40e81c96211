/**
 * The StoreAPI gRPC server (--grpc-address): thanos.Store, thanos.info.Info and the standard health
 * service, in plaintext or TLS (optionally requiring client certificates).
 */
import { readFileSync } from 'node:fs';
import {
  Server,
  ServerCredentials,
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { GrpcServerTls } from '../../query/config.js';
import { storeApiDefinition } from '../../store/grpc/proto.js';
import type { Registry } from 'prom-client';
import { healthService } from './health.js';
import { GrpcServerMetrics } from './metrics.js';
import { grpcError } from './status.js';
import { infoService, storeService, type StoreApiContext } from './store-service.js';

export interface GrpcServerOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: GrpcServerTls;
}

export interface RunningGrpcServer {
  /** The port bound (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

function serverCredentials(tls: GrpcServerTls): ServerCredentials {
  if (tls.certFile === '' && tls.keyFile === '') {
    if (tls.clientCaFile !== '') throw new Error('--grpc-server-tls-client-ca needs --grpc-server-tls-cert and --grpc-server-tls-key');
    return ServerCredentials.createInsecure();
  }
  if (tls.certFile === '' || tls.keyFile === '') throw new Error('--grpc-server-tls-cert and --grpc-server-tls-key go together');
  const read = (flag: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${flag} ${JSON.stringify(path)}: ${(err as Error).message}`);
    }
  };
  const ca = tls.clientCaFile !== '' ? read('--grpc-server-tls-client-ca', tls.clientCaFile) : null;
  return ServerCredentials.createSsl(
    ca,
    [{ cert_chain: read('--grpc-server-tls-cert', tls.certFile), private_key: read('--grpc-server-tls-key', tls.keyFile) }],
    ca !== null,
  );
}

/** A request whose bytes did not decode: answered INVALID_ARGUMENT by `guarded`, not gRPC's INTERNAL. */
interface Undecodable {
  readonly [UNDECODABLE]: string;
}
const UNDECODABLE = Symbol('undecodable');

function isUndecodable(req: unknown): req is Undecodable {
  return typeof req === 'object' && req !== null && UNDECODABLE in req;
}

/** The service with requests that fail to decode turned into an Undecodable marker. */
function tolerant(def: ServiceDefinition): ServiceDefinition {
  const out: Record<string, ServiceDefinition[string]> = {};
  for (const [name, m] of Object.entries(def)) {
    const decode = m.requestDeserialize;
    out[name] = {
      ...m,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return decode(bytes);
        } catch (err) {
          return { [UNDECODABLE]: `cannot decode the request: ${err instanceof Error ? err.message : String(err)}` };
        }
      },
    };
  }
  return out;
}

/** Handlers that answer an undecodable request with INVALID_ARGUMENT and the reason. */
function guarded(impl: UntypedServiceImplementation, streaming: ReadonlySet<string>): UntypedServiceImplementation {
  const out: UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(impl)) {
    if (streaming.has(name)) {
      const f = handler as (call: ServerWritableStream<unknown, unknown>) => void;
      out[name] = (call: ServerWritableStream<unknown, unknown>) => {
        if (isUndecodable(call.request)) call.emit('error', grpcError(GrpcStatus.INVALID_ARGUMENT, call.request[UNDECODABLE]));
        else f(call);
      };
    } else {
      const f = handler as (call: ServerUnaryCall<unknown, unknown>, cb: sendUnaryData<unknown>) => void;
      out[name] = (call: ServerUnaryCall<unknown, unknown>, cb: sendUnaryData<unknown>) => {
        if (isUndecodable(call.request)) cb(grpcError(GrpcStatus.INVALID_ARGUMENT, call.request[UNDECODABLE]));
        else f(call, cb);
      };
    }
  }
  return out;
}

/** Series frames are written as the bytes a query worker encoded, not through proto-loader. */
function storeDefinition(): ServiceDefinition {
  const def = tolerant(storeApiDefinition()['thanos.Store'] as unknown as ServiceDefinition);
  const series = def['Series']!;
  return { ...def, Series: { ...series, responseSerialize: (b: Buffer) => b } };
}

export async function startGrpcServer(opts: GrpcServerOptions, ctx: StoreApiContext, registry?: Registry): Promise<RunningGrpcServer> {
  const creds = serverCredentials(opts.tls);
  const server = new Server({
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
  });
  const def = storeApiDefinition();
  const metrics = registry !== undefined ? new GrpcServerMetrics(registry) : null;
  const instrument = (service: string, impl: UntypedServiceImplementation, streaming: string[] = []): UntypedServiceImplementation => {
    const safe = guarded(impl, new Set(streaming));
    return metrics === null ? safe : metrics.instrument(service, safe, new Set(streaming));
  };
  server.addService(storeDefinition(), instrument('thanos.Store', storeService(ctx), ['Series']));
  server.addService(tolerant(def['thanos.info.Info'] as unknown as ServiceDefinition), instrument('thanos.info.Info', infoService(ctx)));
  server.addService(
    tolerant(def['grpc.health.v1.Health'] as unknown as ServiceDefinition),
    instrument('grpc.health.v1.Health', healthService() as UntypedServiceImplementation, ['Watch']),
  );
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${opts.port}`, creds, (err, bound) => {
      if (err === null) return resolve(bound);
      server.forceShutdown();
      const inUse = /EADDRINUSE/.test(err.message);
      reject(new Error(`--grpc-address ${host}:${opts.port}: ${inUse ? 'address already in use' : err.message}`));
    }),
  );
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Finish calls in flight for a moment, then cut the rest.
        const timer = setTimeout(() => server.forceShutdown(), 2_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
