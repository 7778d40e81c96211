import type { ReplicaDesc } from './kv.js';

/** What one tracker instance knows about one cluster (Mimir's haClusterInfo). Times in ms; 0 = never. */
export interface ClusterState {
  /** Latest record from the store. */
  elected: ReplicaDesc;
  /** When this instance last saw a push from the elected replica (flushed to the store by the heartbeat). */
  electedLastSeenMs: number;
  /** The latest other replica seen, and when: the failover candidate. */
  nonElectedLastSeenReplica: string;
  nonElectedLastSeenMs: number;
  nonElectedLastSeenSampleTimeMs: number;
}

/** tenant → cluster → state; also gives the per-tenant cluster count the limit needs. */
export class ClusterCache {
  private readonly tenants = new Map<string, Map<string, ClusterState>>();

  get(tenant: string, cluster: string): ClusterState | undefined {
    return this.tenants.get(tenant)?.get(cluster);
  }

  clusterCount(tenant: string): number {
    return this.tenants.get(tenant)?.size ?? 0;
  }

  getOrCreate(tenant: string, cluster: string, elected: ReplicaDesc): { state: ClusterState; created: boolean } {
    let clusters = this.tenants.get(tenant);
    if (!clusters) {
      clusters = new Map();
      this.tenants.set(tenant, clusters);
    }
    const existing = clusters.get(cluster);
    if (existing) return { state: existing, created: false };
    const state: ClusterState = {
      elected,
      electedLastSeenMs: 0,
      nonElectedLastSeenReplica: '',
      nonElectedLastSeenMs: 0,
      nonElectedLastSeenSampleTimeMs: 0,
    };
    clusters.set(cluster, state);
    return { state, created: true };
  }

  /** True when the cluster was known. */
  remove(tenant: string, cluster: string): boolean {
    const clusters = this.tenants.get(tenant);
    if (!clusters?.delete(cluster)) return false;
    if (clusters.size === 0) this.tenants.delete(tenant);
    return true;
  }

  /** A snapshot, so callers may await between items while the cache changes. */
  entries(): Array<{ tenant: string; cluster: string; state: ClusterState }> {
    const out: Array<{ tenant: string; cluster: string; state: ClusterState }> = [];
    for (const [tenant, clusters] of this.tenants) {
      for (const [cluster, state] of clusters) out.push({ tenant, cluster, state });
    }
    return out;
  }
}
