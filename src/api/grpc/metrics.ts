/**
 * go-grpc-prometheus' server metrics (grpc_server_started_total, grpc_server_handled_total,
 * grpc_server_handling_seconds), the names Thanos exports and its mixin alerts on.
 */
import { status as GrpcStatus, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { Counter, Histogram, type Registry } from 'prom-client';
import { grpcCodeName } from '../../store/grpc/codes.js';

type Labels = 'grpc_service' | 'grpc_method' | 'grpc_type';

export class GrpcServerMetrics {
  private readonly started: Counter<Labels>;
  private readonly handled: Counter<Labels | 'grpc_code'>;
  private readonly seconds: Histogram<Labels>;

  constructor(registry: Registry) {
    this.started = new Counter({
      name: 'grpc_server_started_total',
      help: 'Total number of RPCs started on the server.',
      labelNames: ['grpc_service', 'grpc_method', 'grpc_type'],
      registers: [registry],
    });
    this.handled = new Counter({
      name: 'grpc_server_handled_total',
      help: 'Total number of RPCs completed on the server, regardless of success or failure.',
      labelNames: ['grpc_service', 'grpc_method', 'grpc_type', 'grpc_code'],
      registers: [registry],
    });
    this.seconds = new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.',
      labelNames: ['grpc_service', 'grpc_method', 'grpc_type'],
      buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
      registers: [registry],
    });
  }

  /** Wraps every method of a service implementation; `streaming` names the server-streaming ones. */
  instrument(service: string, impl: UntypedServiceImplementation, streaming: ReadonlySet<string>): UntypedServiceImplementation {
    const out: UntypedServiceImplementation = {};
    for (const [name, handler] of Object.entries(impl)) {
      const labels = { grpc_service: service, grpc_method: name, grpc_type: streaming.has(name) ? 'server_stream' : 'unary' };
      const begin = (): ((code: number) => void) => {
        this.started.inc(labels);
        const t0 = performance.now();
        let done = false;
        return (code) => {
          if (done) return;
          done = true;
          this.handled.inc({ ...labels, grpc_code: grpcCodeName(code) });
          this.seconds.observe(labels, (performance.now() - t0) / 1000);
        };
      };
      if (streaming.has(name)) {
        const f = handler as (call: ServerWritableStream<unknown, unknown>) => void;
        out[name] = (call: ServerWritableStream<unknown, unknown>) => {
          const finish = begin();
          call.on('error', (err: { code?: number }) => finish(err.code ?? GrpcStatus.UNKNOWN));
          call.on('cancelled', () => finish(GrpcStatus.CANCELLED));
          call.on('finish', () => finish(GrpcStatus.OK));
          f(call);
        };
      } else {
        const f = handler as (call: ServerUnaryCall<unknown, unknown>, cb: sendUnaryData<unknown>) => void;
        out[name] = (call: ServerUnaryCall<unknown, unknown>, cb: sendUnaryData<unknown>) => {
          const finish = begin();
          f(call, (err, value) => {
            finish(err === null ? GrpcStatus.OK : (err.code ?? GrpcStatus.UNKNOWN));
            cb(err, value);
          });
        };
      }
    }
    return out;
  }
}
