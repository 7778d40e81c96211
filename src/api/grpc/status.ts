/** The error taxonomy mapped to gRPC status codes, once, for the StoreAPI server. */
import { status as GrpcStatus, type ServiceError, Metadata } from '@grpc/grpc-js';
import { ErrorCodes, PromdedupError } from '../../model/errors.js';

export function grpcError(code: GrpcStatus, details: string): ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}

/** Thanos answers a failed store under ABORT with Aborted, a bad request with InvalidArgument. */
export function toGrpcError(err: unknown): ServiceError {
  if (err instanceof PromdedupError) {
    switch (err.code) {
      case ErrorCodes.ENDPOINT:
        return grpcError(GrpcStatus.ABORTED, err.message);
      case ErrorCodes.TOO_MANY_SAMPLES:
      case ErrorCodes.SERIES_LIMIT:
      case ErrorCodes.SAMPLES_LIMIT:
        return grpcError(GrpcStatus.RESOURCE_EXHAUSTED, err.message);
      default:
    }
    switch (err.kind) {
      case 'bad_data':
        return grpcError(GrpcStatus.INVALID_ARGUMENT, err.message);
      case 'timeout':
        return grpcError(GrpcStatus.DEADLINE_EXCEEDED, err.message);
      case 'canceled':
        return grpcError(GrpcStatus.CANCELLED, err.message);
      case 'unavailable':
        return grpcError(GrpcStatus.UNAVAILABLE, err.message);
      case 'not_found':
        return grpcError(GrpcStatus.NOT_FOUND, err.message);
      default:
        return grpcError(err.kind === 'execution' ? GrpcStatus.UNKNOWN : GrpcStatus.INTERNAL, err.message);
    }
  }
  if (err instanceof Error && err.name === 'AbortError') return grpcError(GrpcStatus.CANCELLED, err.message);
  if (err instanceof Error && err.name === 'TimeoutError') return grpcError(GrpcStatus.DEADLINE_EXCEEDED, 'query timed out');
  return grpcError(GrpcStatus.INTERNAL, err instanceof Error ? err.message : String(err));
}
