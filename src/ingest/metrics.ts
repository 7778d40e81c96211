/**
 * `promdedup ingest`'s Prometheus metrics. The HA tracker's and the distributor's carry Mimir's
 * names and label names with `promdedup_` in place of `cortex_` (label `user` is the tenant), so
 * Mimir's dashboards and alerts need only the prefix changed.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PushAnswer } from './receiver.js';
import type { RuntimeConfigStatus } from './runtime-config.js';
import type { HaTrackerMetrics } from './tracker/metrics.js';

export interface IngestMetrics {
  /** Hooks for the HA tracker (all but backgroundError, which the command logs). */
  readonly tracker: Required<Omit<HaTrackerMetrics, 'backgroundError'>>;
  /** Counts one answered push. */
  observePush(tenant: string, answer: PushAnswer, seconds: number): void;
}

export function createIngestMetrics(registry: Registry): IngestMetrics {
  const registers = [registry];
  const requests = new Counter({
    name: 'promdedup_ingest_requests_total',
    help: 'Remote-write requests by outcome (accepted: leader, deduped: follower, non-ha, rejected, failed).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const latency = new Histogram({
    name: 'promdedup_ingest_request_duration_seconds',
    help: 'Remote-write request latency by status code.',
    labelNames: ['status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  // Mimir: cortex_distributor_deduped_samples_total, cortex_distributor_non_ha_samples_received_total,
  // cortex_discarded_samples_total. Followers' samples are deduped, not discarded.
  const deduped = new Counter({
    name: 'promdedup_deduped_samples_total',
    help: 'Samples (and histograms) dropped because they came from a non-elected replica.',
    labelNames: ['user', 'cluster'] as const,
    registers,
  });
  const nonHa = new Counter({
    name: 'promdedup_non_ha_samples_received_total',
    help: 'Samples (and histograms) of requests forwarded without HA handling: the first series lacks the cluster or replica label, or the tenant has accept_ha_samples: false.',
    labelNames: ['user'] as const,
    registers,
  });
  const discarded = new Counter({
    name: 'promdedup_discarded_samples_total',
    help: 'Samples (and histograms) refused, by reason (too_many_ha_clusters: over the tenant\'s ha_max_clusters).',
    labelNames: ['reason', 'user'] as const,
    registers,
  });

  const electedChanges = new Counter({
    name: 'promdedup_ha_tracker_elected_replica_changes_total',
    help: 'The total number of times the elected replica has changed for a user ID/cluster.',
    labelNames: ['user', 'cluster'] as const,
    registers,
  });
  const electedTimestamp = new Gauge({
    name: 'promdedup_ha_tracker_elected_replica_timestamp_seconds',
    help: 'The timestamp stored for the currently elected replica, from the KV store.',
    labelNames: ['user', 'cluster'] as const,
    registers,
  });
  const lastElection = new Gauge({
    name: 'promdedup_ha_tracker_last_election_timestamp_seconds',
    help: 'The timestamp stored for the most recent election, from the KV store.',
    labelNames: ['user', 'cluster'] as const,
    registers,
  });
  const reelections = new Gauge({
    name: 'promdedup_ha_tracker_reelections_total',
    help: 'The total number of reelections for a user ID/cluster, from the KV store.',
    labelNames: ['user', 'cluster'] as const,
    registers,
  });
  const propagation = new Histogram({
    name: 'promdedup_ha_tracker_elected_replica_change_propagation_time_seconds',
    help: 'The time it took for this instance to see a replica change in the KV store.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const casCalls = new Counter({
    name: 'promdedup_ha_tracker_kv_store_cas_total',
    help: 'The total number of CAS calls to the KV store for a user ID/cluster.',
    labelNames: ['user', 'cluster'] as const,
    registers,
  });
  const casFailures = new Counter({
    name: 'promdedup_ha_tracker_kv_store_cas_failures_total',
    help: 'CAS calls to the KV store that failed (store unreachable or timed out) for a user ID/cluster.',
    labelNames: ['user', 'cluster'] as const,
    registers,
  });
  const cleanupStarted = new Counter({ name: 'promdedup_ha_tracker_replicas_cleanup_started_total', help: 'Number of elected replicas cleanup loops started.', registers });
  const markedForDeletion = new Counter({
    name: 'promdedup_ha_tracker_replicas_cleanup_marked_for_deletion_total',
    help: 'Number of elected replicas marked for deletion.',
    registers,
  });
  const deleted = new Counter({ name: 'promdedup_ha_tracker_replicas_cleanup_deleted_total', help: 'Number of elected replicas deleted from KV store.', registers });
  const deleteFailed = new Counter({
    name: 'promdedup_ha_tracker_replicas_cleanup_delete_failed_total',
    help: 'Number of elected replicas that failed to be marked for deletion, or deleted.',
    registers,
  });

  return {
    tracker: {
      casCalled: (user, cluster) => casCalls.inc({ user, cluster }),
      casFailed: (user, cluster) => casFailures.inc({ user, cluster }),
      electedReplicaUpdated: (user, cluster, desc, leaderChanged) => {
        // Whole seconds, as Mimir (ms / 1000 in integer arithmetic).
        electedTimestamp.set({ user, cluster }, Math.floor(desc.receivedAt / 1000));
        if (!leaderChanged) return;
        electedChanges.inc({ user, cluster });
        lastElection.set({ user, cluster }, Math.floor(desc.electedAt / 1000));
        reelections.set({ user, cluster }, desc.electedChanges);
      },
      changePropagated: (seconds) => propagation.observe(seconds),
      // A forgotten cluster (idle, soft-deleted) keeps no series: cluster names that come and go must not pile up.
      clusterForgotten: (user, cluster) => {
        for (const metric of [electedChanges, electedTimestamp, lastElection, reelections, casCalls, casFailures, deduped]) metric.remove({ user, cluster });
      },
      cleanupStarted: () => cleanupStarted.inc(),
      markedForDeletion: () => markedForDeletion.inc(),
      deleted: () => deleted.inc(),
      deleteFailed: () => deleteFailed.inc(),
    },
    observePush(user, answer, seconds) {
      requests.inc({ outcome: answer.outcome });
      if (answer.outcome === 'deduped') deduped.inc({ user, cluster: answer.cluster }, answer.samples);
      if (answer.outcome === 'non-ha') nonHa.inc({ user }, answer.samples);
      if (answer.discarded !== undefined) discarded.inc({ reason: answer.discarded, user }, answer.samples);
      latency.observe({ status: String(answer.status) }, seconds);
    },
  };
}

/**
 * The runtime config's state, read at scrape time. Mimir (dskit) exports runtime_config_last_reload_successful
 * and runtime_config_hash; the success timestamp is Prometheus' config_last_reload_success_timestamp_seconds.
 */
export function registerRuntimeConfigMetrics(registry: Registry, status: () => RuntimeConfigStatus): void {
  const registers = [registry];
  new Gauge({
    name: 'promdedup_runtime_config_last_reload_successful',
    help: 'Whether the last runtime-config reload attempt was successful.',
    registers,
    collect() {
      this.set(status().lastReloadSuccessful ? 1 : 0);
    },
  });
  new Gauge({
    name: 'promdedup_runtime_config_last_reload_success_timestamp_seconds',
    help: 'Timestamp of the last successful runtime-config load.',
    registers,
    collect() {
      this.set(status().lastSuccessMs / 1000);
    },
  });
  new Gauge({
    name: 'promdedup_runtime_config_hash',
    help: 'Hash of the currently active runtime configuration file.',
    labelNames: ['sha256'] as const,
    registers,
    collect() {
      this.reset();
      this.set({ sha256: status().sha256 }, 1);
    },
  });
}
