/**
 * The StoreAPI schemas (proto/thanos/…, proto/grpc/health/…) loaded with @grpc/proto-loader, and the
 * plain-object shapes of the messages promdedup sends and reads through it. Series frames are the
 * exception: they go through as raw bytes (see series-codec.ts), decoded off the main thread.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSync, type MethodDefinition, type PackageDefinition } from '@grpc/proto-loader';

/** The repository's proto/ directory, found from this file in src/ (tests) or dist/src/ (built). */
function protoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'thanos'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('proto/ directory not found next to the promdedup sources');
}

let loaded: PackageDefinition | null = null;

/** int64 fields as decimal strings (exact), enums as numbers, defaults filled in. */
export function storeApiDefinition(): PackageDefinition {
  loaded ??= loadSync(
    [
      'thanos/store/storepb/rpc.proto',
      'thanos/info/infopb/rpc.proto',
      'thanos/rules/rulespb/rpc.proto',
      'thanos/targets/targetspb/rpc.proto',
      'thanos/exemplars/exemplarspb/rpc.proto',
      'grpc/health/v1/health.proto',
    ],
     {
    includeDirs: [protoRoot()],
    keepCase: true,
    longs: String,
    enums: Number,
    defaults: true,
    oneofs: true,
  });
  return loaded;
}

/** A method of a loaded service, e.g. method('thanos.Store', 'Series'). */
export function method<Req, Res>(service: string, name: string): MethodDefinition<Req, Res> {
  const svc = storeApiDefinition()[service] as unknown as Record<string, MethodDefinition<Req, Res>> | undefined;
  const m = svc?.[name];
  if (m === undefined) throw new Error(`no method ${service}/${name} in the StoreAPI schema`);
  return m;
}

/** int64 as proto-loader hands it over (longs: String) or accepts it. */
export type Int64 = string | number;

export interface PbLabel {
  name: string;
  value: string;
}

export interface PbLabelSet {
  labels: PbLabel[];
}

export interface PbLabelMatcher {
  /** EQ=0 NEQ=1 RE=2 NRE=3 */
  type: number;
  name: string;
  value: string;
}

export interface PbStoreInfo {
  min_time: Int64;
  max_time: Int64;
  supports_sharding: boolean;
  supports_without_replica_labels: boolean;
  tsdb_infos: { labels: PbLabelSet | null; min_time: Int64; max_time: Int64 }[];
  supports_projections?: boolean;
}

export interface PbInfoResponse {
  label_sets: PbLabelSet[];
  ComponentType: string;
  store: PbStoreInfo | null;
  rules?: object | null;
  metric_metadata?: object | null;
  targets?: object | null;
  exemplars?: { min_time: Int64; max_time: Int64 } | null;
  query?: object | null;
  status?: object | null;
}

/** thanos.InfoResponse: the legacy thanos.Store/Info answer (Thanos < v0.37). */
export interface PbLegacyInfoResponse {
  labels: PbLabel[];
  min_time: Int64;
  max_time: Int64;
  storeType: number;
  label_sets: PbLabelSet[];
}

export interface PbQueryHints {
  step_millis: Int64;
  func: { name: string } | null;
  grouping: { by: boolean; labels: string[] } | null;
  range: { millis: Int64 } | null;
  projection_labels?: string[];
  projection_include?: boolean;
  series_hash_label_name?: string;
}

export interface PbSeriesRequest {
  min_time: Int64;
  max_time: Int64;
  matchers: PbLabelMatcher[];
  max_resolution_window: Int64;
  aggregates: number[];
  partial_response_disabled: boolean;
  partial_response_strategy: number;
  skip_chunks: boolean;
  hints?: unknown;
  step?: Int64;
  range?: Int64;
  query_hints: PbQueryHints | null;
  shard_info: { shard_index: Int64; total_shards: Int64; by: boolean; labels: string[] } | null;
  without_replica_labels: string[];
  limit: Int64;
  response_batch_size: Int64;
}

export interface PbLabelNamesRequest {
  partial_response_disabled: boolean;
  partial_response_strategy: number;
  start: Int64;
  end: Int64;
  hints?: unknown;
  matchers: PbLabelMatcher[];
  without_replica_labels: string[];
  limit: Int64;
}

export interface PbLabelValuesRequest extends PbLabelNamesRequest {
  label: string;
}

export interface PbLabelNamesResponse {
  names: string[];
  warnings: string[];
}

export interface PbLabelValuesResponse {
  values: string[];
  warnings: string[];
}

export const PartialResponseStrategy = { WARN: 0, ABORT: 1 } as const;

export const MATCHER_TYPES = ['=', '!=', '=~', '!~'] as const;

/** Timestamps beyond JavaScript's date range (e.g. Go's MinInt64/MaxInt64 "all time") become ±Infinity. */
const TIME_LIMIT = 8.64e15;

export function int64ToTime(v: Int64): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) return 0;
  if (n <= -TIME_LIMIT) return -Infinity;
  if (n >= TIME_LIMIT) return Infinity;
  return n;
}

export const MIN_INT64 = '-9223372036854775808';
export const MAX_INT64 = '9223372036854775807';

/** A time for an int64 field: ±Infinity as Go's MinInt64/MaxInt64. */
export function timeToInt64(t: number): Int64 {
  if (t === -Infinity) return MIN_INT64;
  if (t === Infinity) return MAX_INT64;
  return Math.trunc(t);
}
