import { describe, expect, it } from 'vitest';
import { encodeBody } from '../../src/ingest/remote-write/body.js';
import { preparePush, rebuildBody } from '../../src/ingest/remote-write/prepare.js';
import { encodeWriteRequest } from '../../src/ingest/remote-write/v1-reference.js';
import { runIngestTask } from '../../src/ingest/worker-protocol.js';
import { ByteEdits } from '../../src/wire/snappy-edit.js';

const ha = { acceptHaSamples: true, clusterLabel: 'cluster', replicaLabel: '__replica__' };

function request(n: number): Uint8Array {
  return encodeBody(
    encodeWriteRequest({
      timeseries: Array.from({ length: n }, (_, i) => ({
        labels: [
          { name: '__name__', value: 'x_total' },
          { name: '__replica__', value: 'a' },
          { name: 'cluster', value: 'eu1' },
          { name: 'i', value: String(i) },
        ],
        samples: [{ value: i, timestamp: 1_704_067_200_000 }],
        exemplars: [],
        histograms: [],
      })),
      metadata: [],
    }),
  );
}

describe('ingest worker tasks', () => {
  it('prepare then rebuild give what the inline path gives, through structured clones', () => {
    const body = request(3000);
    const inlineEdits = new ByteEdits();
    const inline = preparePush(body, 'snappy', undefined, 1 << 26, ha, inlineEdits);
    const inlineBody = Buffer.from(rebuildBody(body, inline, '__replica__', inlineEdits));

    const prepared = runIngestTask({ kind: 'prepare', body, contentEncoding: 'snappy', contentType: undefined, maxDecodedBytes: 1 << 26, ha });
    expect(prepared.result.kind).toBe('prepared');
    if (prepared.result.kind !== 'prepared') return;
    // What crosses the thread boundary is a structured clone, as postMessage makes it.
    const moved = structuredClone(prepared.result, { transfer: prepared.transfer });
    expect({ ...moved.prepared, decoded: null }).toEqual({ ...inline, decoded: null });
    const rebuilt = runIngestTask({ kind: 'rebuild', body, prepared: moved.prepared, replicaLabel: '__replica__', edits: moved.edits });
    expect(rebuilt.result.kind).toBe('rebuilt');
    if (rebuilt.result.kind === 'rebuilt') expect(Buffer.from(rebuilt.result.body).equals(inlineBody)).toBe(true);
  });

  it('answers a bad body with the decode error, not a throw', () => {
    const out = runIngestTask({ kind: 'prepare', body: Uint8Array.from([5, 0, 1]), contentEncoding: 'snappy', contentType: undefined, maxDecodedBytes: 100, ha });
    expect(out.result).toMatchObject({ kind: 'rejected', reason: 'bad_snappy', message: expect.stringMatching(/^invalid snappy body: /) });
  });
});
