import { PromQLError, type PromQLErrorKind } from '../promql/errors.js';

export type ErrorType = PromQLErrorKind | 'not_found' | 'unavailable';

/** An error the API reports in Prometheus' envelope with the matching HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly errorType: ErrorType,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const STATUS: Readonly<Record<ErrorType, number>> = {
  bad_data: 400,
  execution: 422,
  timeout: 503,
  canceled: 503,
  internal: 500,
  not_found: 404,
  unavailable: 503,
};

export function statusFor(type: ErrorType): number {
  return STATUS[type];
}

/** Maps anything thrown while serving a request to an API error. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof PromQLError) return new ApiError(err.kind, err.message);
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return err.name === 'TimeoutError'
      ? new ApiError('timeout', 'query timed out in expression evaluation')
      : new ApiError('canceled', 'query was canceled');
  }
  return new ApiError('internal', err instanceof Error ? err.message : String(err));
}
