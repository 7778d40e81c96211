/**
 * Remote read client: one POST of a snappy ReadRequest, response streamed through the frame decoder
 * (STREAMED_XOR_CHUNKS) or read whole and snappy-decoded (SAMPLES fallback).
 */
import { request, type Dispatcher } from 'undici';
import type { Series } from '../../model/samples.js';
import { describeError } from '../../model/errors.js';
import { snappyEncode } from '../../wire/snappy.js';
import { encodeReadRequest, ResponseType, type ReadQuery, type ResponseTypeValue } from './messages.js';
import { ReadDecoder } from './read-decoder.js';

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

/** An answered remote read whose body has not been read yet. */
export interface OpenRead {
  readonly responseType: ResponseTypeValue;
  /** Content-Encoding of a SAMPLES body ("" when the server sent none). */
  readonly contentEncoding: string;
  readonly body: AsyncIterable<Uint8Array>;
  /** Stops reading the body and releases the connection. */
  destroy(): void;
}

/**
 * Sends one ReadRequest with `queries` to `url` (the full …/api/v1/read URL) and checks status and
 * content type; the caller reads (or moves) the body.
 */
export async function openRemoteRead(
  url: string,
  queries: readonly ReadQuery[],
  opts: RemoteReadOptions,
  signal?: AbortSignal,
): Promise<OpenRead> {
  const accepted = opts.acceptedResponseTypes ?? DEFAULT_ACCEPTED;
  const body = snappyEncode(encodeReadRequest(queries, accepted));
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
  const contentType = headerValue(res.headers, 'content-type');
  let responseType: ResponseTypeValue;
  if (contentType.startsWith(STREAMED_CONTENT_TYPE)) responseType = ResponseType.STREAMED_XOR_CHUNKS;
  else if (contentType.startsWith('application/x-protobuf') || contentType === '') responseType = ResponseType.SAMPLES;
  else {
    res.body.destroy();
    throw new RemoteReadError(`remote read ${url}: unexpected content-type ${JSON.stringify(contentType)}`);
  }
  return {
    responseType,
    contentEncoding: headerValue(res.headers, 'content-encoding'),
    body: res.body as AsyncIterable<Uint8Array>,
    destroy: () => res.body.destroy(),
  };
}

/** Runs one remote read query against `url` and decodes the answer on the calling thread. */
export async function remoteRead(
  url: string,
  query: ReadQuery,
  opts: RemoteReadOptions,
  signal?: AbortSignal,
): Promise<RemoteReadResult> {
  const open = await openRemoteRead(url, [query], opts, signal);
  try {
    const decoder = new ReadDecoder(open.responseType, open.contentEncoding, [{ mint: query.startMs, maxt: query.endMs }], {
      ...(opts.maxFrameBytes !== undefined ? { maxFrameBytes: opts.maxFrameBytes } : {}),
      ...(opts.maxSampledBytes !== undefined ? { maxSampledBytes: opts.maxSampledBytes } : {}),
    });
    for await (const piece of open.body) decoder.push(piece);
    const out = decoder.finish();
    const { series, warnings } = out.results[0]!;
    return { series, warnings, responseType: open.responseType, frames: out.frames, bytes: out.bytes, chunks: out.chunks, samples: out.samples };
  } catch (err) {
    open.destroy();
    if (signal?.aborted) throw signal.reason ?? err;
    if (err instanceof RemoteReadError) throw err;
    throw new RemoteReadError(`remote read ${url}: ${describeError(err)}`);
  }
}
