import { ErrorCodes, PromdedupError, type ErrorCode, type ErrorKind } from '../model/errors.js';

export type ErrorType = ErrorKind;

/** An error the API reports in Prometheus' envelope; a bad request parameter unless said otherwise. */
export class ApiError extends PromdedupError {
  constructor(kind: ErrorKind, message: string, code?: ErrorCode) {
    super(kind, message, code);
    this.name = 'ApiError';
  }

  /** Prometheus' errorType of the envelope. */
  get errorType(): ErrorKind {
    return this.kind;
  }
}

/** The one map from error kinds to HTTP status, as Prometheus answers them. */
const STATUS: Readonly<Record<ErrorKind, number>> = {
  bad_data: 400,
  execution: 422,
  timeout: 503,
  canceled: 503,
  internal: 500,
  not_found: 404,
  unavailable: 503,
};

export function statusFor(type: ErrorKind): number {
  return STATUS[type];
}

/** Maps anything thrown while serving a request to an API error, keeping its code. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof PromdedupError) return new ApiError(err.kind, err.message, err.code);
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return err.name === 'TimeoutError'
      ? new ApiError('timeout', 'query timed out in expression evaluation')
      : new ApiError('canceled', 'query was canceled');
  }
  return new ApiError('internal', err instanceof Error ? err.message : String(err), ErrorCodes.INTERNAL);
}
