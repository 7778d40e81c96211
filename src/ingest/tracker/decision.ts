/** What the push path does with a request from (tenant, cluster, replica). */
export type Decision =
  | { kind: 'accept' }
  /** Deduplicated: answer 202 so the follower drains its queue instead of retrying. */
  | { kind: 'reject-follower'; replica: string; elected: string }
  /** Cluster limit reached for the tenant: answer 400. */
  | { kind: 'too-many-clusters'; limit: number };

/** Mimir's body for the 202 (replicasDidNotMatchError). */
export function replicasDidNotMatchMessage(replica: string, elected: string): string {
  return `replicas did not match, rejecting sample: replica=${replica}, elected=${elected}`;
}

/** Mimir's text for the 400 (tooManyClustersError, without the catalog suffix). */
export function tooManyClustersMessage(limit: number): string {
  return `the write request has been rejected because the maximum number of high-availability (HA) clusters has been reached for this tenant (limit: ${limit})`;
}
