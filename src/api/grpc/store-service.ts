/**
 * thanos.Store (Series, LabelNames, LabelValues, legacy Info) over the querier: everything this
 * promdedup reaches, Prometheus and StoreAPI endpoints alike.
 *
 * By default Series answers as a Thanos Querier's StoreAPI does: every replica's series with its
 * external labels, `without_replica_labels` removed from what is sent (the replicas then arrive
 * adjacent with equal label sets and the querier above merges them). With --grpc.serve-deduplicated
 * the series are promdedup's own merged ones.
 */
import { status as GrpcStatus, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { PbLabelNamesRequest, PbLabelNamesResponse, PbLabelValuesRequest, PbLabelValuesResponse, PbLegacyInfoResponse, PbSeriesRequest } from '../../store/grpc/proto.js';
import type { StoreApiContext } from './context.js';
import { legacyInfo } from './info.js';
import { labelNames, labelValues } from './labels.js';
import { BadRequest } from './request.js';
import { serveSeries } from './series.js';
import { grpcError, toGrpcError } from './status.js';

export type { StoreApiContext } from './context.js';
export { infoService } from './info.js';

export function storeService(ctx: StoreApiContext): UntypedServiceImplementation {
  return {
    Series: (call: ServerWritableStream<PbSeriesRequest, Buffer>) => void serveSeries(ctx, call),
    LabelNames: (call: ServerUnaryCall<PbLabelNamesRequest, PbLabelNamesResponse>, done: sendUnaryData<PbLabelNamesResponse>) =>
      void unary(done, () => labelNames(ctx, call)),
    LabelValues: (call: ServerUnaryCall<PbLabelValuesRequest, PbLabelValuesResponse>, done: sendUnaryData<PbLabelValuesResponse>) =>
      void unary(done, () => labelValues(ctx, call)),
    Info: (_call: ServerUnaryCall<object, PbLegacyInfoResponse>, done: sendUnaryData<PbLegacyInfoResponse>) => done(null, legacyInfo(ctx)),
  };
}

async function unary<Res>(done: sendUnaryData<Res>, work: () => Promise<Res>): Promise<void> {
  try {
    done(null, await work());
  } catch (err) {
    done(err instanceof BadRequest ? grpcError(GrpcStatus.INVALID_ARGUMENT, err.message) : toGrpcError(err));
  }
}
