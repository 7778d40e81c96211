/** thanos.Store/Series over the querier. */
import { status as GrpcStatus, type ServerWritableStream } from '@grpc/grpc-js';
import type { Readable } from 'node:stream';
import { ErrorCodes } from '../../model/errors.js';
import { LabelMatcher } from '../../model/matcher.js';
import { PromQLError } from '../../promql/errors.js';
import type { DedupPolicy } from '../../query/metadata.js';
import type { FanoutPolicy } from '../../query/partial.js';
import { QueryFailure } from '../../query/pool.js';
import type { QueryStats, QueryTask } from '../../query/protocol.js';
import { grpcCodeName } from '../../store/grpc/codes.js';
import type { PbSeriesRequest } from '../../store/grpc/proto.js';
import { LENGTH_PREFIX_BYTES, seriesAnswerFrames } from '../../store/grpc/series-encoder.js';
import { callSignal, type StoreApiContext } from './context.js';
import { BadRequest, seriesTask } from './request.js';
import { grpcError, toGrpcError } from './status.js';

/** thanos.Store/Series: the task runs in a query worker, its frames stream back under backpressure. */
export async function serveSeries(ctx: StoreApiContext, call: ServerWritableStream<PbSeriesRequest, Buffer>): Promise<void> {
  const req = call.request;
  let task: QueryTask;
  let policy: FanoutPolicy;
  const sig = callSignal(ctx, call);
  try {
    ({ task, policy } = seriesTask(ctx, req, sig.timeoutMs));
  } catch (err) {
    sig.dispose();
    call.emit('error', err instanceof BadRequest ? grpcError(GrpcStatus.INVALID_ARGUMENT, err.message) : toGrpcError(err));
    return;
  }
  const started = performance.now();
  let stats: QueryStats | null = null;
  let status = grpcCodeName(GrpcStatus.OK);
  try {
    await ctx.gate.run(async () => {
      if (task.series!.skipChunks) return await writeLabelsOnly(ctx, call, task, policy, sig.signal);
      const outcome = await ctx.runQuery(task, policy, sig.signal);
      stats = outcome.stats;
      await writeFrames(call, outcome.body, sig.signal);
    }, sig.signal);
    call.end();
  } catch (err) {
    if (err instanceof QueryFailure) stats = err.stats;
    const e = toGrpcError(err);
    status = grpcCodeName(e.code);
    if (!call.cancelled) call.emit('error', e);
  } finally {
    sig.dispose();
    const s = stats as QueryStats | null;
    // One line per Series call, as per query: what was asked, how long it took, what it read.
    ctx.logger.info('series', {
      matchers: `{${task.series!.matchers.map((m) => `${m.name}${m.type}${JSON.stringify(m.value)}`).join(',')}}`,
      start: task.start,
      end: task.end,
      skip_chunks: task.series!.skipChunks,
      dedup: task.dedup,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
      series: s?.series,
      samples: s?.samples,
      endpoints: s?.endpoints,
      // Inside the worker: waiting for the endpoints, decoding, everything until encoded.
      fetch_ms: s?.fetchMs,
      worker_ms: s?.totalMs,
      status,
    });
  }
}

/**
 * skip_chunks: the label sets come from the endpoints' series APIs (no samples are read), and
 * the small frames are encoded here.
 */
async function writeLabelsOnly(
  ctx: StoreApiContext,
  call: ServerWritableStream<PbSeriesRequest, Buffer>,
  task: QueryTask,
  policy: FanoutPolicy,
  signal: AbortSignal,
): Promise<void> {
  const spec = task.series!;
  const matchers = spec.matchers.map((m) => new LabelMatcher(m.type, m.name, m.value));
  const dedup: DedupPolicy = { replicaLabels: new Set(task.replicaLabels), enabled: task.dedup, func: task.dedupFunc };
  const answer = await ctx.metadata.series({ minTime: task.start, maxTime: task.end, matchers: [matchers], limit: 0 }, policy, dedup, signal);
  if (answer.warnings.length > 0 && !task.partialResponse) throw new PromQLError('execution', answer.warnings[0]!, ErrorCodes.ENDPOINT);
  const series = answer.items.map((labels) => ({ labels, samples: NO_SAMPLES }));
  const frames = seriesAnswerFrames(series, answer.warnings, { ...spec, skipChunks: true });
  for (const f of frames) {
    if (!call.write(Buffer.from(f.buffer, f.byteOffset + LENGTH_PREFIX_BYTES, f.length - LENGTH_PREFIX_BYTES))) await drained(call, signal);
  }
}

const NO_SAMPLES = { timestamps: new Float64Array(0), values: new Float64Array(0), stale: null };

/**
 * Writes the worker's length-prefixed frames as gRPC messages. The worker's parts hold whole
 * frames. Whenever the call's buffer is full the body is paused until 'drain', so a slow client
 * holds back the worker (through the body's acks) instead of making this process buffer the whole
 * answer. The body is read by 'data' events: an async iterator would join buffered parts (a copy).
 */
async function writeFrames(call: ServerWritableStream<PbSeriesRequest, Buffer>, body: Uint8Array | Readable, signal: AbortSignal): Promise<void> {
  const writePart = (piece: Uint8Array): boolean => {
    const buf = Buffer.from(piece.buffer, piece.byteOffset, piece.length);
    let pos = 0;
    let room = true;
    while (pos < buf.length) {
      if (buf.length - pos < LENGTH_PREFIX_BYTES) throw new Error('internal: Series answer part ends inside a frame');
      const n = buf.readUInt32LE(pos);
      const end = pos + LENGTH_PREFIX_BYTES + n;
      if (end > buf.length) throw new Error('internal: Series answer part ends inside a frame');
      room = call.write(buf.subarray(pos + LENGTH_PREFIX_BYTES, end)) && room;
      pos = end;
    }
    return room;
  };
  if (body instanceof Uint8Array) {
    if (!writePart(body)) await drained(call, signal);
    return;
  }
  await new Promise<void>((resolve, reject) => {
    let ended = false;
    const fail = (err: unknown): void => {
      signal.removeEventListener('abort', onAbort);
      body.destroy();
      reject(err);
    };
    const onAbort = (): void => fail(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    body.on('data', (piece: Buffer) => {
      try {
        if (writePart(piece)) return;
        body.pause();
        drained(call, signal).then(() => body.resume(), fail);
      } catch (err) {
        fail(err);
      }
    });
    body.once('end', () => {
      ended = true;
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
    body.once('error', fail);
    // Destroyed without an error (the query was cancelled under it): no 'end' comes.
    body.once('close', () => {
      if (!ended) fail(new Error('query was canceled'));
    });
  });
}

function drained(call: ServerWritableStream<PbSeriesRequest, Buffer>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      call.off('drain', onDrain);
      reject(signal.reason);
    };
    const onDrain = (): void => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    if (signal.aborted) return reject(signal.reason);
    call.once('drain', onDrain);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
