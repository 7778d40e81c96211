import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DedupPolicy } from '../query/metadata.js';
import type { FanoutPolicy } from '../query/partial.js';
import type { ApiContext } from './context.js';
import { successBody } from '../promql/json.js';
import { Params, parseBoolParam } from './params.js';
import { linkedSignal, type LinkedSignal } from '../util/signal.js';

/** URL query and form body of a request, merged (see Params). */
export function requestParams(req: FastifyRequest): Params {
  const q = req.url.indexOf('?');
  const url = new URLSearchParams(q >= 0 ? req.url.slice(q + 1) : '');
  return req.body instanceof URLSearchParams ? new Params(req.body, url) : new Params(url);
}

/** Aborts when the client goes away before the answer is written. */
export function clientGoneSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) {
      controller.abort(Object.assign(new Error('query was canceled'), { name: 'AbortError' }));
    }
  });
  return controller.signal;
}

/**
 * The signal of a metadata request (series, labels, label values, metadata): the client going away
 * or `--query.timeout`, so an endpoint that never answers cannot hold the request open forever.
 * dispose() it when the request is done.
 */
export function metadataSignal(ctx: ApiContext, reply: FastifyReply): LinkedSignal {
  return linkedSignal([clientGoneSignal(reply)], ctx.config.queryTimeout);
}

export function fanoutPolicy(ctx: ApiContext, params: Params): FanoutPolicy {
  return {
    partialResponse: parseBoolParam('partial_response', params.get('partial_response'), ctx.config.partialResponse),
    storeTimeout: ctx.config.storeResponseTimeout,
  };
}

/** Thanos' `dedup` and `replicaLabels[]` parameters over the flags (the request's list wins when given). */
export function requestDedupPolicy(ctx: ApiContext, params: Params): DedupPolicy & { readonly explain: boolean } {
  const fromRequest = params.getAll('replicaLabels[]').concat(params.getAll('replicaLabels'));
  // dedup=explain: deduplicated, and query answers carry the provenance of every merged series.
  const explain = params.get('dedup') === 'explain';
  return {
    replicaLabels: new Set(fromRequest.length > 0 ? fromRequest : ctx.config.replicaLabels),
    enabled: explain || parseBoolParam('dedup', params.get('dedup'), true),
    func: ctx.config.dedupFunc,
    explain,
  };
}

/** A success envelope; warnings that are not cacheable make the answer `Cache-Control: no-store`, as Thanos does. */
export function sendSuccess(reply: FastifyReply, data: string, warnings: readonly string[], infos: readonly string[] = []): string {
  reply.type('application/json');
  if (warnings.length > 0) reply.header('Cache-Control', 'no-store');
  return successBody(data, warnings, infos);
}
