/**
 * The CPU part of one push, without I/O, so it runs inline for ordinary requests and in an ingest
 * worker for large ones: decode and check the body, read the HA labels of its first series, count
 * it, and for an HA request already take the replica label out (1.0, in place); after the
 * tracker's verdict, `rebuildBody` makes the body to forward.
 */
import type { ByteEdits } from '../../wire/snappy-edit.js';
import { recompressEdited } from '../../wire/snappy-edit.js';
import { decodeBody, encodeBody } from './body.js';
import { firstSeriesLabels, scanWriteRequest } from './v1.js';
import { dropLabelV2, inspectWriteRequestV2 } from './v2.js';

export interface HaLabels {
  /** false: no election, every request is forwarded unchanged. */
  readonly acceptHaSamples: boolean;
  readonly clusterLabel: string;
  readonly replicaLabel: string;
}

export interface PreparedPush {
  readonly version: 1 | 2;
  /** Both set: an HA request. */
  readonly cluster: string | undefined;
  readonly replica: string | undefined;
  readonly samples: number;
  readonly histograms: number;
  readonly exemplars: number;
  /** The decoded request; for an HA 1.0 request with the replica label already removed: decoded[0, length). */
  readonly decoded: Buffer;
  readonly length: number;
}

const encoder = new TextEncoder();

/**
 * Throws RemoteWriteDecodeError (415/413/400) for a body that cannot be taken. `decodeInto` is
 * reused for the decoded bytes when large enough; `edits` receives the 1.0 removals.
 */
export function preparePush(
  body: Uint8Array,
  contentEncoding: string | undefined,
  contentType: string | undefined,
  maxDecodedBytes: number,
  ha: HaLabels,
  edits: ByteEdits,
  decodeInto?: Buffer,
  replicaLabelBytes: Uint8Array = encoder.encode(ha.replicaLabel),
): PreparedPush {
  const { version, message } = decodeBody(body, contentEncoding, contentType, maxDecodedBytes, decodeInto);
  const summaryV2 = version === 2 ? inspectWriteRequestV2(message) : null;
  const first = summaryV2 === null ? firstSeriesLabels(message) : summaryV2.firstSeriesLabels;
  const cluster = ha.acceptHaSamples ? first.find((l) => l.name === ha.clusterLabel)?.value : undefined;
  const replica = ha.acceptHaSamples ? first.find((l) => l.name === ha.replicaLabel)?.value : undefined;
  if (summaryV2 !== null) {
    const { samples, histograms, exemplars } = summaryV2;
    return { version, cluster, replica, samples, histograms, exemplars, decoded: message, length: message.length };
  }
  // One pass checks and counts the whole request and, for an HA one, already removes the replica
  // label: a follower's request costs the same, and nothing is decided on a malformed request.
  const isHa = cluster !== undefined && replica !== undefined;
  const scanned = scanWriteRequest(message, isHa ? replicaLabelBytes : null, isHa ? edits : null);
  const { samples, histograms, exemplars, length } = scanned;
  return { version, cluster, replica, samples, histograms, exemplars, decoded: message, length };
}

/**
 * The body to forward for an accepted HA request: 1.0 rebuilt from the sender's snappy elements,
 * 2.0 rewritten and compressed again. `body` itself when the
 * replica label was nowhere to remove.
 */
export function rebuildBody(body: Uint8Array, prepared: PreparedPush, replicaLabel: string, edits: ByteEdits): Uint8Array {
  if (prepared.version === 1) {
    if (prepared.length === prepared.decoded.length) return body;
    return recompressEdited(body, prepared.decoded.subarray(0, prepared.length), edits);
  }
  const stripped = dropLabelV2(prepared.decoded, replicaLabel);
  return stripped === prepared.decoded ? body : encodeBody(stripped);
}
