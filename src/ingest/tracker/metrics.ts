import type { ReplicaDesc } from './kv.js';

/**
 * Optional callbacks the tracker reports through; src/ingest/metrics.ts maps them onto prom-client with Mimir's
 * names (given per hook; exported with promdedup_ for cortex_) so dashboards carry over. All are synchronous and
 * must not throw.
 */
export interface HaTrackerMetrics {
  /** cortex_ha_tracker_kv_store_cas_total{user,cluster} */
  casCalled?(tenant: string, cluster: string): void;
  /** A CAS call to the store failed (threw: store unreachable, timed out): promdedup's own, Mimir has none. */
  casFailed?(tenant: string, cluster: string): void;
  /**
   * The cache took a record from the store: cortex_ha_tracker_elected_replica_timestamp_seconds (receivedAt/1000);
   * when `leaderChanged`, also cortex_ha_tracker_elected_replica_changes_total++,
   * cortex_ha_tracker_last_election_timestamp_seconds (electedAt/1000) and cortex_ha_tracker_reelections_total
   * (electedChanges).
   */
  electedReplicaUpdated?(tenant: string, cluster: string, desc: ReplicaDesc, leaderChanged: boolean): void;
  /** cortex_ha_tracker_elected_replica_change_propagation_time_seconds (a change from another instance). */
  changePropagated?(seconds: number): void;
  /** The cluster left the cache (soft-deleted or removed): delete its per-cluster series. */
  clusterForgotten?(tenant: string, cluster: string): void;
  /** cortex_ha_tracker_replicas_cleanup_started_total */
  cleanupStarted?(): void;
  /** cortex_ha_tracker_replicas_cleanup_marked_for_deletion_total */
  markedForDeletion?(): void;
  /** cortex_ha_tracker_replicas_cleanup_deleted_total */
  deleted?(): void;
  /** cortex_ha_tracker_replicas_cleanup_delete_failed_total */
  deleteFailed?(): void;
  /** A background store operation failed (logged by Mimir, never thrown out of the loop). */
  backgroundError?(operation: 'heartbeat' | 'cleanup-list' | 'cleanup-mark' | 'cleanup-delete', key: string, error: unknown): void;
}
