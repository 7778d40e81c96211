/**
 * One error taxonomy for every face (HTTP now, gRPC later). An error has a kind, which decides the
 * status it is answered with (mapped once per protocol: src/api/errors.ts for HTTP), and a stable
 * code naming exactly what happened, for logs and for clients that match on it (as undici's
 * UND_ERR_* and fastify's FST_ERR_*).
 */
export type ErrorKind = 'bad_data' | 'execution' | 'timeout' | 'canceled' | 'internal' | 'not_found' | 'unavailable';

export const ErrorCodes = {
  /** A request parameter that cannot be used. */
  BAD_PARAM: 'PROMDEDUP_ERR_BAD_PARAM',
  /** The PromQL query does not parse or type-check. */
  BAD_QUERY: 'PROMDEDUP_ERR_BAD_QUERY',
  /** Evaluation failed (e.g. duplicate series for a match group). */
  EXECUTION: 'PROMDEDUP_ERR_EXECUTION',
  /** --query.max-samples: fetched or held samples over the limit. */
  TOO_MANY_SAMPLES: 'PROMDEDUP_ERR_TOO_MANY_SAMPLES',
  /** --store.limits.request-series. */
  SERIES_LIMIT: 'PROMDEDUP_ERR_SERIES_LIMIT',
  /** --store.limits.request-samples. */
  SAMPLES_LIMIT: 'PROMDEDUP_ERR_SAMPLES_LIMIT',
  /** An endpoint failed and partial response is off. */
  ENDPOINT: 'PROMDEDUP_ERR_ENDPOINT',
  TIMEOUT: 'PROMDEDUP_ERR_TIMEOUT',
  CANCELED: 'PROMDEDUP_ERR_CANCELED',
  NOT_FOUND: 'PROMDEDUP_ERR_NOT_FOUND',
  UNAVAILABLE: 'PROMDEDUP_ERR_UNAVAILABLE',
  INTERNAL: 'PROMDEDUP_ERR_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const DEFAULT_CODE: Readonly<Record<ErrorKind, ErrorCode>> = {
  bad_data: ErrorCodes.BAD_PARAM,
  execution: ErrorCodes.EXECUTION,
  timeout: ErrorCodes.TIMEOUT,
  canceled: ErrorCodes.CANCELED,
  internal: ErrorCodes.INTERNAL,
  not_found: ErrorCodes.NOT_FOUND,
  unavailable: ErrorCodes.UNAVAILABLE,
};

export class PromdedupError extends Error {
  readonly code: ErrorCode;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    code?: ErrorCode,
  ) {
    super(message);
    this.name = 'PromdedupError';
    this.code = code ?? DEFAULT_CODE[kind];
  }
}

/** An error's name, message, code and cause on one line, for warnings and logs. */
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
