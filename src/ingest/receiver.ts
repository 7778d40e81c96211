/**
 * One remote-write push: decode the body (size-checked), decide on its first series with the HA
 * tracker, remove the replica label from every series of an accepted HA request, forward it, and
 * answer as Mimir's distributor does (202 to a follower, 400 over the cluster limit, 500 when the
 * tracker's store fails: the sender retries and nothing is lost).
 */
import { snappyDecodedLength } from '../wire/snappy.js';
import { ByteEdits } from '../wire/snappy-edit.js';
import { RemoteWriteDecodeError } from './remote-write/errors.js';
import { preparePush, rebuildBody, type PreparedPush } from './remote-write/prepare.js';
import type { IngestWorkerPool } from './worker-pool.js';
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

/** Buffers one push reuses: edits of the decoded body and the decoded body. */
interface Scratch {
  readonly edits: ByteEdits;
  decoded: Buffer;
}

const SCRATCH_POOL_SIZE = 16;
/** Larger buffers are not kept: one huge request must not pin its memory in the pool. */
const SCRATCH_MAX_BYTES = 4 << 20;
const EMPTY = Buffer.alloc(0);

/** A worker thread failed (it died, or the pool closed): 500, so the sender retries. */
function workerFailed(err: unknown, samples: number, cluster: string): PushAnswer {
  return { status: 500, body: `ingest worker: ${err instanceof Error ? err.message : String(err)}`, outcome: 'failed', samples, cluster };
}

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
    /** Requests that decode to at least `minDecodedBytes` are prepared and rebuilt on `pool`'s threads. */
    private readonly offload?: { readonly pool: IngestWorkerPool; readonly minDecodedBytes: number },
  ) {}

  /** UTF-8 of the replica label names in use (one per override, so a small map). */
  private readonly labelBytesCache = new Map<string, Uint8Array>();
  private readonly scratchPool: Scratch[] = [];

  private async prepareInWorker(pool: IngestWorkerPool, req: PushRequest, ha: ReceiverHaSettings): Promise<{ prepared: PreparedPush; edits: ByteEdits }> {
    const body = Uint8Array.prototype.slice.call(req.body); // the worker gets a copy it owns
    const result = await pool.run(
      { kind: 'prepare', body, contentEncoding: req.contentEncoding, contentType: req.contentType, maxDecodedBytes: this.config.maxDecodedBytes, ha },
      [body.buffer as ArrayBuffer],
    );
    if (result.kind === 'rejected') throw new RemoteWriteDecodeError(result.reason, result.message);
    if (result.kind !== 'prepared') throw new Error(`ingest worker answered ${result.kind} to prepare`);
    const decoded = Buffer.from(result.prepared.decoded.buffer, result.prepared.decoded.byteOffset, result.prepared.decoded.length);
    return { prepared: { ...result.prepared, decoded }, edits: ByteEdits.fromArrays(result.edits) };
  }

  private async rebuildInWorker(pool: IngestWorkerPool, original: Uint8Array, prepared: PreparedPush, replicaLabel: string, edits: ByteEdits): Promise<Uint8Array> {
    const body = Uint8Array.prototype.slice.call(original);
    const arrays = edits.toArrays();
    const result = await pool.run({ kind: 'rebuild', body, prepared, replicaLabel, edits: arrays }, [
      body.buffer as ArrayBuffer,
      prepared.decoded.buffer as ArrayBuffer,
      arrays.starts.buffer as ArrayBuffer,
      arrays.ends.buffer as ArrayBuffer,
      arrays.shifts.buffer as ArrayBuffer,
    ]);
    if (result.kind !== 'rebuilt') throw new Error(`ingest worker answered ${result.kind} to rebuild`);
    return result.body;
  }

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
    const scratch = this.scratchPool.pop() ?? { edits: new ByteEdits(), decoded: EMPTY };
    const answer = await this.handle(req, scratch);
    scratch.edits.clear();
    if (answer.outcome !== 'failed' && this.scratchPool.length < SCRATCH_POOL_SIZE) this.scratchPool.push(scratch);
    return answer;
  }

  private async handle(req: PushRequest, scratch: Scratch): Promise<PushAnswer> {
    const ha = this.config.haSettings(req.tenant);
    const declared = declaredLength(req.body);
    const offload = this.offload !== undefined && declared >= this.offload.minDecodedBytes ? this.offload.pool : null;
    let prepared: PreparedPush;
    let edits = scratch.edits;
    try {
      if (offload !== null) {
        ({ prepared, edits } = await this.prepareInWorker(offload, req, ha));
      } else {
        if (declared > scratch.decoded.length && declared <= Math.min(this.config.maxDecodedBytes, SCRATCH_MAX_BYTES)) {
          scratch.decoded = Buffer.allocUnsafeSlow(declared);
        }
        prepared = preparePush(
          req.body,
          req.contentEncoding,
          req.contentType,
          this.config.maxDecodedBytes,
          ha,
          edits,
          scratch.decoded,
          this.labelBytes(ha.replicaLabel),
        );
      }
    } catch (err) {
      if (err instanceof RemoteWriteDecodeError) return { status: err.status, body: err.message, outcome: 'rejected', samples: 0, cluster: '' };
      if (offload !== null) return workerFailed(err, 0, '');
      throw err;
    }
    const { version, cluster, replica } = prepared;
    const samples = prepared.samples + prepared.histograms;
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
      if (offload !== null) {
        try {
          forwardBody = await this.rebuildInWorker(offload, req.body, prepared, ha.replicaLabel, edits);
        } catch (err) {
          return workerFailed(err, samples, cluster);
        }
      } else {
        // A fresh buffer each time: the HTTP client may still be writing it when the target has
        // already answered, so it is never reused.
        forwardBody = rebuildBody(req.body, prepared, ha.replicaLabel, edits);
      }
      outcome = 'accepted';
    }
    const headers: Record<string, string> = { 'content-type': req.contentType ?? 'application/x-protobuf' };
    headers['x-prometheus-remote-write-version'] = version === 1 ? '0.1.0' : '2.0.0';
    if (req.forwardTenant === true) headers['x-scope-orgid'] = req.tenant;
    const forwarded = await this.forwarder.forward(forwardBody, headers);
    if (forwarded.status >= 300) return { status: forwarded.status, body: forwarded.message, outcome: 'failed', samples, cluster: cluster ?? '' };
    const written = { samples: prepared.samples, histograms: prepared.histograms, exemplars: prepared.exemplars };
    return { status: 200, body: '', outcome, samples, cluster: cluster ?? '', ...(version === 2 ? { written } : {}) };
  }
}
