/**
 * What the main thread and an ingest worker say to each other, and the worker's side of it as a
 * plain function (workers/ingest.ts only moves messages). Large requests are prepared and rebuilt
 * there so that the event loop keeps answering other senders and probes meanwhile.
 */
import { ByteEdits, type EditArrays } from '../wire/snappy-edit.js';
import { RemoteWriteDecodeError, type RemoteWriteErrorReason } from './remote-write/errors.js';
import { preparePush, rebuildBody, type HaLabels, type PreparedPush } from './remote-write/prepare.js';

export type IngestTask =
  | {
      readonly kind: 'prepare';
      readonly body: Uint8Array;
      readonly contentEncoding: string | undefined;
      readonly contentType: string | undefined;
      readonly maxDecodedBytes: number;
      readonly ha: HaLabels;
    }
  | {
      readonly kind: 'rebuild';
      readonly body: Uint8Array;
      readonly prepared: PreparedPush;
      readonly replicaLabel: string;
      readonly edits: EditArrays;
    };

export type IngestTaskResult =
  | { readonly kind: 'prepared'; readonly prepared: PreparedPush; readonly edits: EditArrays }
  | { readonly kind: 'rebuilt'; readonly body: Uint8Array }
  | { readonly kind: 'rejected'; readonly reason: RemoteWriteErrorReason; readonly message: string };

/** Runs one task; returns the result and the buffers to transfer with it. */
export function runIngestTask(task: IngestTask): { result: IngestTaskResult; transfer: ArrayBuffer[] } {
  if (task.kind === 'prepare') {
    const edits = new ByteEdits();
    try {
      const prepared = preparePush(task.body, task.contentEncoding, task.contentType, task.maxDecodedBytes, task.ha, edits);
      const decoded = transferable(prepared.decoded);
      const arrays = edits.toArrays();
      return {
        result: { kind: 'prepared', prepared: { ...prepared, decoded }, edits: arrays },
        transfer: [decoded.buffer, arrays.starts.buffer as ArrayBuffer, arrays.ends.buffer as ArrayBuffer, arrays.shifts.buffer as ArrayBuffer],
      };
    } catch (err) {
      if (err instanceof RemoteWriteDecodeError) return { result: { kind: 'rejected', reason: err.reason, message: err.message }, transfer: [] };
      throw err;
    }
  }
  const rebuilt = rebuildBody(task.body, task.prepared, task.replicaLabel, ByteEdits.fromArrays(task.edits));
  const body = transferable(rebuilt);
  return { result: { kind: 'rebuilt', body }, transfer: [body.buffer] };
}

/**
 * `b` if its memory is its own to give away, else a copy: small Buffers share Node's pool slab,
 * which must never be transferred.
 */
function transferable(b: Uint8Array): Buffer & { buffer: ArrayBuffer } {
  const own = b.buffer instanceof ArrayBuffer && b.buffer.byteLength > Buffer.poolSize;
  const view = own ? Buffer.from(b.buffer, b.byteOffset, b.length) : Buffer.from(Uint8Array.prototype.slice.call(b).buffer);
  return view as Buffer & { buffer: ArrayBuffer };
}
