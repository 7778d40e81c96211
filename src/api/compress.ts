import type { FastifyInstance } from 'fastify';
import { pipeline, Readable } from 'node:stream';
import { promisify } from 'node:util';
import { constants, createGzip, gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

/** Smaller bodies are not worth a trip to the thread pool. */
const MIN_BYTES = 1024;

/**
 * gzip for clients that accept it, as Prometheus does; Grafana's Go client always asks. Level 1:
 * API bodies are repetitive JSON, so the fastest level already shrinks them about fivefold, and
 * zlib's async API compresses on libuv's thread pool, off the event loop.
 */
export function registerCompression(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply, payload) => {
    const stream = payload instanceof Readable;
    if (!stream && typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    if (!stream && (payload as string | Buffer).length < MIN_BYTES) return payload;
    if (reply.getHeader('content-encoding') !== undefined) return payload;
    const accept = req.headers['accept-encoding'];
    if (typeof accept !== 'string' || !/\bgzip\b/i.test(accept)) return payload;
    reply.header('content-encoding', 'gzip');
    reply.header('vary', 'Accept-Encoding');
    reply.removeHeader('content-length');
    if (!stream) return gzipAsync(payload as string | Buffer, { level: constants.Z_BEST_SPEED });
    // A streamed body (a large query answer) is compressed as it comes.
    const gz = createGzip({ level: constants.Z_BEST_SPEED });
    pipeline(payload, gz, () => {});
    return gz;
  });
}
