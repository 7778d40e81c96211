/** Calls to promdedup's own Prometheus-compatible API (same origin). */

export type Labels = Record<string, string>;
export type SamplePair = [number, string];

export interface VectorSample { metric: Labels; value?: SamplePair; histogram?: [number, unknown] }
export interface MatrixSeries { metric: Labels; values?: SamplePair[]; histograms?: [number, unknown][] }

export type QueryData =
  | { resultType: 'vector'; result: VectorSample[] }
  | { resultType: 'matrix'; result: MatrixSeries[] }
  | { resultType: 'scalar'; result: SamplePair }
  | { resultType: 'string'; result: SamplePair };

export interface ApiSuccess<T = unknown> {
  status: 'success';
  data: T;
  warnings?: string[];
  infos?: string[];
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly errorType: string,
    readonly status: number,
    readonly warnings: string[] = [],
  ) {
    super(message);
  }
}

/** GET path?params; resolves to the success envelope, rejects with ApiError (errorType, HTTP status). */
export async function apiGet<T>(path: string, params: URLSearchParams, signal?: AbortSignal): Promise<ApiSuccess<T>> {
  const qs = params.toString();
  let res: Response;
  try {
    res = await fetch(qs === '' ? path : `${path}?${qs}`, { signal, headers: { Accept: 'application/json' } });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(`cannot reach promdedup: ${(err as Error).message}`, 'network', 0);
  }
  let body: { status?: string; data?: T; error?: string; errorType?: string; warnings?: string[]; infos?: string[] };
  try {
    body = (await res.json()) as typeof body;
  } catch {
    throw new ApiError(`HTTP ${res.status} ${res.statusText}: not a JSON answer`, 'bad_response', res.status);
  }
  if (body.status !== 'success') {
    throw new ApiError(body.error ?? `HTTP ${res.status}`, body.errorType ?? 'unknown', res.status, body.warnings ?? []);
  }
  return body as ApiSuccess<T>;
}
