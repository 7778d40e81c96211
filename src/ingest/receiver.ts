/**
 * One remote-write push: decode the body (size-checked), decide on its first series with the HA
 * tracker, remove the replica label from every series of an accepted HA request, forward it, and
 * answer as Mimir's distributor does (202 to a follower, 400 over the cluster limit, 500 when the
 * tracker's store fails: the sender retries and nothing is lost).
 */
import type { Label } from '../model/labels.js';
import { decodeBody, encodeBody } from './remote-write/body.js';
import { RemoteWriteDecodeError } from './remote-write/errors.js';
import { dropLabel, inspectWriteRequest } from './remote-write/v1.js';
import { dropLabelV2, inspectWriteRequestV2 } from './remote-write/v2.js';
import type { Forwarder } from './forwarder.js';
import { replicasDidNotMatchMessage, tooManyClustersMessage } from './tracker/decision.js';
import type { HaTracker } from './tracker/tracker.js';

/** A tenant's HA settings (flags, or its runtime override). */
export interface ReceiverHaSettings {
  /** false: no election; the request is forwarded unchanged and counted as non-HA. */
  readonly acceptHaSamples: boolean;
  readonly clusterLabel: string;
  readonly replicaLabel: string;
}

export interface ReceiverConfig {
  /** Looked up on every request, so a reloaded override applies to the next one. */
  haSettings(tenant: string): ReceiverHaSettings;
  /** Largest decoded (uncompressed) request. */
  readonly maxDecodedBytes: number;
}

export interface PushRequest {
  readonly body: Uint8Array;
  readonly contentEncoding: string | undefined;
  readonly contentType: string | undefined;
  readonly tenant: string;
}

export interface PushAnswer {
  readonly status: number;
  readonly body: string;
  /** What happened, for metrics: accepted (HA leader), deduped (follower), non-ha, or an error. */
  readonly outcome: 'accepted' | 'deduped' | 'non-ha' | 'rejected' | 'failed';
  readonly samples: number;
  readonly cluster: string;
  /** Set when the samples were refused for a reason Mimir counts in discarded_samples_total. */
  readonly discarded?: 'too_many_ha_clusters';
  /** Remote write 2.0: what was written, for the X-Prometheus-Remote-Write-*-Written headers. */
  readonly written?: { readonly samples: number; readonly histograms: number; readonly exemplars: number };
}

export class Receiver {
  constructor(
    private readonly config: ReceiverConfig,
    private readonly tracker: HaTracker,
    private readonly forwarder: Forwarder,
    private readonly now: () => number = Date.now,
  ) {}

  async push(req: PushRequest): Promise<PushAnswer> {
    let version: 1 | 2;
    let message: Uint8Array;
    let first: readonly Label[];
    let samples: number;
    let counts: { samples: number; histograms: number; exemplars: number };
    try {
      ({ version, message } = decodeBody(req.body, req.contentEncoding, req.contentType, this.config.maxDecodedBytes));
      const summary = version === 1 ? inspectWriteRequest(message) : inspectWriteRequestV2(message);
      first = summary.firstSeriesLabels;
      samples = summary.samples + summary.histograms;
      counts = { samples: summary.samples, histograms: summary.histograms, exemplars: summary.exemplars };
    } catch (err) {
      if (err instanceof RemoteWriteDecodeError) return { status: err.status, body: err.message, outcome: 'rejected', samples: 0, cluster: '' };
      throw err;
    }
    const ha = this.config.haSettings(req.tenant);
    const cluster = ha.acceptHaSamples ? first.find((l) => l.name === ha.clusterLabel)?.value : undefined;
    const replica = ha.acceptHaSamples ? first.find((l) => l.name === ha.replicaLabel)?.value : undefined;
    let forwardBody = req.body;
    let outcome: PushAnswer['outcome'] = 'non-ha';
    if (cluster !== undefined && replica !== undefined) {
      let decision;
      try {
        decision = await this.tracker.checkReplica(req.tenant, cluster, replica, this.now());
      } catch (err) {
        return { status: 500, body: `HA tracker: ${err instanceof Error ? err.message : String(err)}`, outcome: 'failed', samples, cluster };
      }
      if (decision.kind === 'reject-follower') {
        return { status: 202, body: replicasDidNotMatchMessage(decision.replica, decision.elected), outcome: 'deduped', samples, cluster };
      }
      if (decision.kind === 'too-many-clusters') {
        return { status: 400, body: tooManyClustersMessage(decision.limit), outcome: 'rejected', samples, cluster, discarded: 'too_many_ha_clusters' };
      }
      const stripped = version === 1 ? dropLabel(message, ha.replicaLabel) : dropLabelV2(message, ha.replicaLabel);
      forwardBody = stripped === message ? req.body : encodeBody(stripped);
      outcome = 'accepted';
    }
    const headers: Record<string, string> = { 'content-type': req.contentType ?? 'application/x-protobuf' };
    headers['x-prometheus-remote-write-version'] = version === 1 ? '0.1.0' : '2.0.0';
    const forwarded = await this.forwarder.forward(forwardBody, headers);
    if (forwarded.status >= 300) return { status: forwarded.status, body: forwarded.message, outcome: 'failed', samples, cluster: cluster ?? '' };
    return { status: 200, body: '', outcome, samples, cluster: cluster ?? '', ...(version === 2 ? { written: counts } : {}) };
  }
}
