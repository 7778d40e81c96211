/** thanos.Store/LabelNames and LabelValues over the metadata querier. */
import type { ServerUnaryCall } from '@grpc/grpc-js';
import { compareStrings } from '../../model/labels.js';
import type { PbLabelNamesRequest, PbLabelNamesResponse, PbLabelValuesRequest, PbLabelValuesResponse } from '../../store/grpc/proto.js';
import { callSignal, dedupPolicy, replicaLabelsToDrop, type StoreApiContext } from './context.js';
import { BadRequest, labelsRequest } from './request.js';

export async function labelNames(ctx: StoreApiContext, call: ServerUnaryCall<PbLabelNamesRequest, PbLabelNamesResponse>): Promise<PbLabelNamesResponse> {
  const { request, policy } = labelsRequest(call.request);
  const sig = callSignal(ctx, call);
  try {
    const drop = new Set(replicaLabelsToDrop(ctx, call.request.without_replica_labels));
    const answer = await ctx.metadata.labelNames(request, { ...policy, storeTimeout: ctx.storeResponseTimeout }, dedupPolicy(ctx, []), sig.signal);
    const names = answer.items.filter((n) => !drop.has(n)).sort(compareStrings);
    return { names, warnings: answer.warnings };
  } finally {
    sig.dispose();
  }
}

export async function labelValues(ctx: StoreApiContext, call: ServerUnaryCall<PbLabelValuesRequest, PbLabelValuesResponse>): Promise<PbLabelValuesResponse> {
  const r = call.request;
  if (r.label === '') throw new BadRequest('label name is required');
  const { request, policy } = labelsRequest(r);
  if (replicaLabelsToDrop(ctx, r.without_replica_labels).includes(r.label)) return { values: [], warnings: [] };
  const sig = callSignal(ctx, call);
  try {
    const answer = await ctx.metadata.labelValues(r.label, request, { ...policy, storeTimeout: ctx.storeResponseTimeout }, dedupPolicy(ctx, []), sig.signal);
    return { values: answer.items, warnings: answer.warnings };
  } finally {
    sig.dispose();
  }
}
