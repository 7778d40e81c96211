/** StoreAPI requests checked and turned into the query side's tasks; bad ones are BadRequest (INVALID_ARGUMENT). */
import { LabelMatcher, MatcherError, type MatchType } from '../../model/matcher.js';
import type { FanoutPolicy } from '../../query/partial.js';
import type { QueryTask } from '../../query/protocol.js';
import { int64ToTime, MATCHER_TYPES, PartialResponseStrategy, type PbLabelMatcher, type PbLabelNamesRequest, type PbSeriesRequest } from '../../store/grpc/proto.js';
import type { SeriesShard } from '../../store/grpc/series-encoder.js';
import type { LabelsRequest } from '../../store/store.js';
import { dedupPolicy, replicaLabelsToDrop, type StoreApiContext } from './context.js';

export class BadRequest extends Error {}

function matchersOf(pb: readonly PbLabelMatcher[]): LabelMatcher[] {
  return pb.map((m) => {
    const type: MatchType | undefined = MATCHER_TYPES[m.type];
    if (type === undefined) throw new BadRequest(`unknown matcher type ${m.type} for label ${JSON.stringify(m.name)}`);
    try {
      return new LabelMatcher(type, m.name, m.value);
    } catch (err) {
      throw new BadRequest(err instanceof MatcherError || err instanceof Error ? err.message : String(err));
    }
  });
}

/** The widest time range asked of the endpoints below (JavaScript's date range, safe integers). */
const TIME_BOUND = 8.64e15;

/**
 * A request's time range, clamped to what can be asked below. Both bounds 0 (a client that left
 * them unset) means all time: no one asks for exactly the epoch's millisecond.
 */
function timeRange(minText: string | number, maxText: string | number): { minTime: number; maxTime: number } {
  let minTime = Math.max(int64ToTime(minText), -TIME_BOUND);
  let maxTime = Math.min(int64ToTime(maxText), TIME_BOUND);
  if (minTime === 0 && maxTime === 0) {
    minTime = -TIME_BOUND;
    maxTime = TIME_BOUND;
  }
  if (minTime > maxTime) throw new BadRequest(`min_time ${String(minText)} is after max_time ${String(maxText)}`);
  return { minTime, maxTime };
}

/** Larger batches than this are cut (a frame stays well under any message size limit). */
const MAX_BATCH = 1024;

function batchSize(v: string | number): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new BadRequest(`invalid response_batch_size ${String(v)}`);
  return Math.min(n, MAX_BATCH);
}

/** Thanos applies shard_info when total_shards >= 1. */
function shardOf(info: PbSeriesRequest['shard_info']): SeriesShard | null {
  if (info === null) return null;
  const total = Number(info.total_shards);
  const index = Number(info.shard_index);
  if (total < 1) return null;
  if (!Number.isSafeInteger(total) || !Number.isSafeInteger(index) || index < 0 || index >= total) {
    throw new BadRequest(`invalid shard_info: shard_index ${String(info.shard_index)} of total_shards ${String(info.total_shards)}`);
  }
  return { index, total, by: info.by, labels: info.labels };
}

function partialResponse(strategy: number, disabled: boolean): boolean {
  return strategy !== PartialResponseStrategy.ABORT && !disabled;
}

/** A Series request as a series task for a query worker, and the fan-out policy below it. */
export function seriesTask(ctx: StoreApiContext, req: PbSeriesRequest, timeoutMs: number): { task: QueryTask; policy: FanoutPolicy } {
  const matchers = matchersOf(req.matchers);
  if (matchers.length === 0) throw new BadRequest('no matchers specified');
  const { minTime, maxTime } = timeRange(req.min_time, req.max_time);
  const limit = Number(req.limit);
  if (!Number.isSafeInteger(limit) || limit < 0) throw new BadRequest(`invalid limit ${String(req.limit)}`);
  const partial = partialResponse(req.partial_response_strategy, req.partial_response_disabled);
  const h = req.query_hints;
  const withoutReplicaLabels = replicaLabelsToDrop(ctx, req.without_replica_labels);
  const dedup = dedupPolicy(ctx, withoutReplicaLabels);
  const task: QueryTask = {
    kind: 'series',
    query: '',
    start: minTime,
    end: maxTime,
    step: 0,
    lookbackDelta: 0,
    compat: ctx.compat(),
    annotations: false,
    timeoutMs,
    replicaLabels: [...dedup.replicaLabels],
    dedup: dedup.enabled,
    dedupFunc: dedup.func,
    partialResponse: partial,
    series: {
      matchers: matchers.map((m) => ({ type: m.type, name: m.name, value: m.value })),
      hints: {
        start: minTime,
        end: maxTime,
        step: Number(h?.step_millis ?? 0),
        func: h?.func?.name ?? '',
        range: Number(h?.range?.millis ?? 0),
        grouping: h?.grouping?.labels ?? [],
        by: h?.grouping?.by ?? false,
      },
      // Merged series carry no replica label; raw ones lose the requested labels at encoding.
      withoutReplicaLabels: dedup.enabled ? [] : withoutReplicaLabels,
      limit,
      skipChunks: req.skip_chunks,
      batchSize: batchSize(req.response_batch_size),
      shard: shardOf(req.shard_info),
    },
  };
  const policy: FanoutPolicy = {
    partialResponse: partial,
    storeTimeout: ctx.storeResponseTimeout,
    // Endpoints below may drop replica labels only when this server merges (raw mode keeps them apart).
    withoutReplicaLabels: dedup.enabled ? [...dedup.replicaLabels] : [],
    maxSourceResolution: Number(req.max_resolution_window),
  };
  return { task, policy };
}

/** A LabelNames/LabelValues request as the metadata querier's request and policy. */
export function labelsRequest(req: PbLabelNamesRequest): { request: LabelsRequest; policy: FanoutPolicy } {
  const { minTime, maxTime } = timeRange(req.start, req.end);
  const limit = Number(req.limit);
  if (!Number.isSafeInteger(limit) || limit < 0) throw new BadRequest(`invalid limit ${String(req.limit)}`);
  const matchers = matchersOf(req.matchers);
  return {
    request: { minTime, maxTime, matchers: matchers.length > 0 ? [matchers] : [], limit },
    policy: {
      partialResponse: partialResponse(req.partial_response_strategy, req.partial_response_disabled),
      storeTimeout: 0,
    },
  };
}
