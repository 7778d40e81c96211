/** thanos.info.Info/Info and the legacy thanos.Store/Info: what this promdedup serves. */
import type { ServerUnaryCall, sendUnaryData, UntypedServiceImplementation } from '@grpc/grpc-js';
import { compareLabels, dropLabels, labelsKey, type Labels } from '../../model/labels.js';
import { timeToInt64, type PbInfoResponse, type PbLabelSet, type PbLegacyInfoResponse } from '../../store/grpc/proto.js';
import type { StoreApiContext } from './context.js';

export function infoService(ctx: StoreApiContext): UntypedServiceImplementation {
  return {
    Info: (_call: ServerUnaryCall<object, PbInfoResponse>, done: sendUnaryData<PbInfoResponse>) => done(null, infoResponse(ctx)),
  };
}

/** The same for queriers older than Thanos v0.37 (store type QUERY). */
export function legacyInfo(ctx: StoreApiContext): PbLegacyInfoResponse {
  const info = infoResponse(ctx);
  return { labels: [], min_time: info.store!.min_time, max_time: info.store!.max_time, storeType: 1, label_sets: info.label_sets };
}

/** Component `query`: the union of the reachable label sets and time ranges. */
function infoResponse(ctx: StoreApiContext): PbInfoResponse {
  const drop = new Set(ctx.serveDeduplicated ? ctx.replicaLabels : []);
  const sets = new Map<string, Labels>();
  let minTime = Infinity;
  let maxTime = -Infinity;
  for (const s of ctx.stores.stores) {
    const st = s.status();
    if (!st.queryable || st.minTime > st.maxTime) continue;
    minTime = Math.min(minTime, st.minTime);
    maxTime = Math.max(maxTime, st.maxTime);
    for (const ls of s.labelSets()) {
      const out = drop.size > 0 ? dropLabels(ls, drop) : ls;
      if (out.length > 0) sets.set(labelsKey(out), out);
    }
  }
  if (minTime > maxTime) {
    // Nothing reachable yet: announce no data rather than all time.
    minTime = 0;
    maxTime = -1;
  }
  const label_sets: PbLabelSet[] = [...sets.values()].sort(compareLabels).map((ls) => ({ labels: ls.map((l) => ({ name: l.name, value: l.value })) }));
  return {
    label_sets,
    ComponentType: 'query',
    store: {
      min_time: timeToInt64(minTime),
      max_time: timeToInt64(maxTime),
      supports_sharding: true,
      supports_without_replica_labels: true,
      tsdb_infos: [],
    },
  };
}
