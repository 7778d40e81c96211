/**
 * Remote read client: one POST of a snappy ReadRequest, response streamed through the frame decoder
 * (STREAMED_XOR_CHUNKS) or read whole and snappy-decoded (SAMPLES fallback).
 */
import { compressSync, uncompressSync } from 'snappy';
import { request, type Dispatcher } from 'undici';
import type { Series } from '../../model/samples.js';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder } from './framing.js';
import { encodeReadRequest, ResponseType, SeriesCollector, type ReadQuery, type ResponseTypeValue } from './messages.js';

export class RemoteReadError extends Error {
  override name = 'RemoteReadError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface RemoteReadOptions {
  readonly dispatcher: Dispatcher;
  /** Response types offered, in preference order. Default [STREAMED_XOR_CHUNKS, SAMPLES]. */
  readonly acceptedResponseTypes?: readonly ResponseTypeValue[];
  /** Per-frame limit for streamed responses (default 50 MB, as Prometheus' client). */
  readonly maxFrameBytes?: number;
  /** Limit on a SAMPLES response, compressed or not (default 1 GiB). */
  readonly maxSampledBytes?: number;
  readonly headers?: Record<string, string>;
}

export interface RemoteReadResult {
  readonly series: Series[];
  readonly warnings: string[];
  readonly responseType: ResponseTypeValue;
  readonly frames: number;
  readonly bytes: number;
  readonly chunks: number;
  readonly samples: number;
}

export const DEFAULT_ACCEPTED: readonly ResponseTypeValue[] = [ResponseType.STREAMED_XOR_CHUNKS, ResponseType.SAMPLES];

const STREAMED_CONTENT_TYPE = 'application/x-streamed-protobuf';

/** Reads at most `max` bytes of a body for an error message, then discards the rest. */
export async function bodySnippet(body: Dispatcher.ResponseData['body'], max = 512): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const piece of body) {
      const b = piece as Buffer;
      parts.push(b);
      n += b.length;
      if (n >= max) break;
    }
  } catch {
    // The body itself failed: what we have is all we can report.
  } finally {
    body.destroy();
  }
  return Buffer.concat(parts).subarray(0, max).toString('utf8').trim();
}

function headerValue(h: Record<string, string | string[] | undefined>, name: string): string {
  const v = h[name];
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

/** Runs one remote read query against `url` (the full …/api/v1/read URL). */
export async function remoteRead(
  url: string,
  query: ReadQuery,
  opts: RemoteReadOptions,
  signal?: AbortSignal,
): Promise<RemoteReadResult> {
  const accepted = opts.acceptedResponseTypes ?? DEFAULT_ACCEPTED;
  const body = compressSync(encodeReadRequest([query], accepted));
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      method: 'POST',
      dispatcher: opts.dispatcher,
      signal,
      body,
      headers: {
        'content-type': 'application/x-protobuf',
        'content-encoding': 'snappy',
        'accept-encoding': 'snappy',
        'x-prometheus-remote-read-version': '0.1.0',
        'user-agent': 'promdedup',
        ...opts.headers,
      },
    });
  } catch (err) {
    if (signal?.aborted) throw signal.reason ?? err;
    throw new RemoteReadError(`remote read ${url}: ${describeError(err)}`);
  }

  if (res.statusCode < 200 || res.statusCode > 299) {
    const snippet = await bodySnippet(res.body);
    throw new RemoteReadError(`remote read ${url}: HTTP ${res.statusCode}${snippet ? ': ' + snippet : ''}`, res.statusCode);
  }

  const collector = new SeriesCollector(query.startMs, query.endMs);
  const contentType = headerValue(res.headers, 'content-type');
  try {
    if (contentType.startsWith(STREAMED_CONTENT_TYPE)) {
      const frames = new FrameDecoder(opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
      for await (const piece of res.body) {
        for (const msg of frames.push(piece as Buffer)) collector.addChunkedResponse(msg);
      }
      frames.end();
      const out = collector.finish();
      return {
        ...out,
        responseType: ResponseType.STREAMED_XOR_CHUNKS,
        frames: frames.frames,
        bytes: frames.bytes,
        chunks: collector.chunks,
        samples: collector.samples,
      };
    }
    if (contentType.startsWith('application/x-protobuf') || contentType === '') {
      const max = opts.maxSampledBytes ?? 1 << 30;
      const parts: Buffer[] = [];
      let n = 0;
      for await (const piece of res.body) {
        const b = piece as Buffer;
        n += b.length;
        if (n > max) throw new RemoteReadError(`remote read ${url}: SAMPLES response exceeds ${max} bytes`);
        parts.push(b);
      }
      const compressed = Buffer.concat(parts, n);
      const encoding = headerValue(res.headers, 'content-encoding');
      let raw: Uint8Array = compressed;
      if (encoding === 'snappy' || encoding === '') {
        const decodedLen = snappyDecodedLength(compressed);
        if (decodedLen > max) throw new RemoteReadError(`remote read ${url}: SAMPLES response decodes to ${decodedLen} bytes, over ${max}`);
        raw = uncompressSync(compressed, { asBuffer: true }) as Buffer;
      } else if (encoding !== 'identity') {
        throw new RemoteReadError(`remote read ${url}: unsupported content-encoding ${JSON.stringify(encoding)}`);
      }
      collector.addSampledResponse(raw);
      const out = collector.finish();
      return { ...out, responseType: ResponseType.SAMPLES, frames: 0, bytes: n, chunks: 0, samples: collector.samples };
    }
    throw new RemoteReadError(`remote read ${url}: unexpected content-type ${JSON.stringify(contentType)}`);
  } catch (err) {
    res.body.destroy();
    if (signal?.aborted) throw signal.reason ?? err;
    if (err instanceof RemoteReadError) throw err;
    throw new RemoteReadError(`remote read ${url}: ${describeError(err)}`);
  }
}

/** The uvarint length prefix of a snappy block. */
function snappyDecodedLength(b: Uint8Array): number {
  let n = 0;
  let mul = 1;
  for (let i = 0; i < 5 && i < b.length; i++) {
    n += (b[i]! & 0x7f) * mul;
    if (b[i]! < 0x80) return n;
    mul *= 128;
  }
  throw new RemoteReadError('invalid snappy block header');
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    const cause = (err as { cause?: unknown }).cause;
    let msg = `${err.name === 'Error' ? '' : err.name + ': '}${err.message}`;
    if (code && !msg.includes(code)) msg += ` (${code})`;
    if (cause instanceof Error && !msg.includes(cause.message)) msg += `: ${cause.message}`;
    return msg;
  }
  return String(err);
}
