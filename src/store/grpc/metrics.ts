/**
 * go-grpc-prometheus' client metrics (grpc_client_started_total, grpc_client_handled_total,
 * grpc_client_handling_seconds) for the StoreAPI calls to gRPC endpoints: the names Thanos' querier
 * exports and the thanos-mixin's ThanosQueryGrpcClientErrorRate and gRPC dashboard rows read.
 */
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { Counter, Histogram, type Registry } from 'prom-client';
import { grpcCodeName } from './codes.js';

type Labels = 'grpc_service' | 'grpc_method' | 'grpc_type';

export class GrpcClientMetrics {
  private readonly started: Counter<Labels>;
  private readonly handled: Counter<Labels | 'grpc_code'>;
  private readonly seconds: Histogram<Labels>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.started = new Counter({
      name: 'grpc_client_started_total',
      help: 'Total number of RPCs started on the client.',
      labelNames: ['grpc_service', 'grpc_method', 'grpc_type'],
      registers,
    });
    this.handled = new Counter({
      name: 'grpc_client_handled_total',
      help: 'Total number of RPCs completed by the client, regardless of success or failure.',
      labelNames: ['grpc_service', 'grpc_method', 'grpc_type', 'grpc_code'],
      registers,
    });
    this.seconds = new Histogram({
      name: 'grpc_client_handling_seconds',
      help: 'Histogram of response latency (seconds) of the gRPC until it is finished by the application.',
      labelNames: ['grpc_service', 'grpc_method', 'grpc_type'],
      // Thanos' buckets for it (pkg/extgrpc/client.go).
      buckets: [0.001, 0.01, 0.1, 0.3, 0.6, 1, 3, 6, 9, 20, 30, 60, 90, 120, 240, 360, 720],
      registers,
    });
  }

  /** A client interceptor counting and timing every call of the client it is given to. */
  readonly interceptor: Interceptor = (options, nextCall) => {
    const def = options.method_definition;
    const [, service = '', method = ''] = def.path.split('/');
    const type = def.requestStream ? (def.responseStream ? 'bidi_stream' : 'client_stream') : def.responseStream ? 'server_stream' : 'unary';
    const labels = { grpc_service: service, grpc_method: method, grpc_type: type };
    const t0 = performance.now();
    this.started.inc(labels);
    return new InterceptingCall(nextCall(options), {
      start: (metadata, _listener, next) => {
        next(metadata, {
          onReceiveStatus: (status, nextStatus) => {
            this.handled.inc({ ...labels, grpc_code: grpcCodeName(status.code) });
            this.seconds.observe(labels, (performance.now() - t0) / 1000);
            nextStatus(status);
          },
        });
      },
    });
  };
}
