/** grpc.health.v1.Health: SERVING for the whole server and for each service it hosts. */
import { status as GrpcStatus, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import { grpcError } from './status.js';

const SERVING = 1;
const SERVICES = new Set(['', 'thanos.Store', 'thanos.info.Info']);

interface HealthRequest {
  service: string;
}

interface HealthResponse {
  status: number;
}

export function healthService() {
  return {
    Check: (call: ServerUnaryCall<HealthRequest, HealthResponse>, done: sendUnaryData<HealthResponse>) => {
      if (!SERVICES.has(call.request.service)) return done(grpcError(GrpcStatus.NOT_FOUND, `unknown service ${call.request.service}`));
      done(null, { status: SERVING });
    },
    // The status never changes while the process serves: send it once and keep the stream open.
    Watch: (call: ServerWritableStream<HealthRequest, HealthResponse>) => {
      call.write({ status: SERVICES.has(call.request.service) ? SERVING : 3 });
    },
  };
}
