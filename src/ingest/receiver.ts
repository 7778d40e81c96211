/**
 * One remote-write push: decode the body (size-checked), decide on its first series with the HA
 * tracker, remove the replica label from every series of an accepted HA request, forward it, and
 * answer as Mimir's distributor does (202 to a follower, 400 over the cluster limit, 500 when the
 * tracker's store fails: the sender retries and nothing is lost).
 */
import { snappyDecodedLength } from '../wire/snappy.js';
import { ByteEdits, recompressEdited } from '../wire/snappy-edit.js';
import { decodeBody, encodeBody } from './remote-write/body.js';
import { RemoteWriteDecodeError } from './remote-write/errors.js';
import { firstSeriesLabels, scanWriteRequest } from './remote-write/v1.js';
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
  /** Pass the tenant on as X-Scope-OrgID (multi-tenancy on; a --remote-write.header one still wins). */
  readonly forwardTenant?: boolean;
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

/** Buffers one push reuses: edits of the decoded body, the decoded body, the rebuilt body. */
interface Scratch {
  readonly edits: ByteEdits;
  decoded: Buffer;
  compressed: Buffer;
}

const SCRATCH_POOL_SIZE = 16;
/** Larger buffers are not kept: one huge request must not pin its memory in the pool. */
const SCRATCH_MAX_BYTES = 4 << 20;
const EMPTY = Buffer.alloc(0);

/** The decoded length a body declares, or −1 when its header is broken (decodeBody says why). */
function declaredLength(body: Uint8Array): number {
  try {
    return snappyDecodedLength(body);
  } catch {
    return -1;
  }
}

export class Receiver {
  constructor(
    private readonly config: ReceiverConfig,
    private readonly tracker: HaTracker,
    private readonly forwarder: Forwarder,
    private readonly now: () => number = Date.now,
  ) {}

  /** UTF-8 of the replica label names in use (one per override, so a small map). */
  private readonly labelBytesCache = new Map<string, Uint8Array>();
  private readonly scratchPool: Scratch[] = [];

  private labelBytes(name: string): Uint8Array {
    let bytes = this.labelBytesCache.get(name);
    if (bytes === undefined) {
      if (this.labelBytesCache.size > 1000) this.labelBytesCache.clear();
      bytes = new TextEncoder().encode(name);
      this.labelBytesCache.set(name, bytes);
    }
    return bytes;
  }

  async push(req: PushRequest): Promise<PushAnswer> {
    // Scratch is per request (another push may run while this one awaits the tracker) and goes
    // back to the pool only once nothing can still read it (the forward has finished).
    const scratch = this.scratchPool.pop() ?? { edits: new ByteEdits(), decoded: EMPTY, compressed: EMPTY };
    const answer = await this.handle(req, scratch);
    scratch.edits.clear();
    if (answer.outcome !== 'failed' && this.scratchPool.length < SCRATCH_POOL_SIZE) this.scratchPool.push(scratch);
    return answer;
  }

  private async handle(req: PushRequest, scratch: Scratch): Promise<PushAnswer> {
    const edits = scratch.edits;
    const ha = this.config.haSettings(req.tenant);
    let version: 1 | 2;
    let message: Uint8Array;
    let cluster: string | undefined;
    let replica: string | undefined;
    let counts: { samples: number; histograms: number; exemplars: number };
    let strippedLength = -1; // 1.0: the request's length after the replica label was removed in place
    try {
      const declared = declaredLength(req.body);
      if (declared > scratch.decoded.length && declared <= Math.min(this.config.maxDecodedBytes, SCRATCH_MAX_BYTES)) {
        scratch.decoded = Buffer.allocUnsafeSlow(declared);
      }
      ({ version, message } = decodeBody(req.body, req.contentEncoding, req.contentType, this.config.maxDecodedBytes, scratch.decoded));
      const summaryV2 = version === 2 ? inspectWriteRequestV2(message) : null;
      const first = summaryV2 === null ? firstSeriesLabels(message) : summaryV2.firstSeriesLabels;
      cluster = ha.acceptHaSamples ? first.find((l) => l.name === ha.clusterLabel)?.value : undefined;
      replica = ha.acceptHaSamples ? first.find((l) => l.name === ha.replicaLabel)?.value : undefined;
      if (summaryV2 === null) {
        // One pass checks and counts the whole request and, for an HA one, already removes the
        // replica label in place: a follower's request costs the same, and nothing is decided on
        // a request that turns out malformed.
        const isHa = cluster !== undefined && replica !== undefined;
        const scanned = scanWriteRequest(message, isHa ? this.labelBytes(ha.replicaLabel) : null, isHa ? edits : null);
        counts = scanned;
        strippedLength = scanned.length;
      } else counts = summaryV2;
    } catch (err) {
      if (err instanceof RemoteWriteDecodeError) return { status: err.status, body: err.message, outcome: 'rejected', samples: 0, cluster: '' };
      throw err;
    }
    const samples = counts.samples + counts.histograms;
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
      if (version === 1) {
        // The sender's own compression is reused: only the elements touching removed bytes change.
        if (strippedLength !== message.length) {
          forwardBody = recompressEdited(req.body, message.subarray(0, strippedLength), edits, scratch.compressed);
          // A larger block was allocated for this one (always a buffer of its own): keep it.
          if (forwardBody.buffer !== scratch.compressed.buffer && forwardBody.buffer.byteLength <= SCRATCH_MAX_BYTES) {
            scratch.compressed = Buffer.from(forwardBody.buffer, 0, forwardBody.buffer.byteLength);
          }
        }
      } else {
        const stripped = dropLabelV2(message, ha.replicaLabel);
        if (stripped !== message) forwardBody = encodeBody(stripped);
      }
      outcome = 'accepted';
    }
    const headers: Record<string, string> = { 'content-type': req.contentType ?? 'application/x-protobuf' };
    headers['x-prometheus-remote-write-version'] = version === 1 ? '0.1.0' : '2.0.0';
    if (req.forwardTenant === true) headers['x-scope-orgid'] = req.tenant;
    const forwarded = await this.forwarder.forward(forwardBody, headers);
    if (forwarded.status >= 300) return { status: forwarded.status, body: forwarded.message, outcome: 'failed', samples, cluster: cluster ?? '' };
    return { status: 200, body: '', outcome, samples, cluster: cluster ?? '', ...(version === 2 ? { written: counts } : {}) };
  }
}
