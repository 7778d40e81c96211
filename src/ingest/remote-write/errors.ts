/** The one error the remote write codec throws, carrying the HTTP status it should be answered with. */
import { ErrorCodes, PromdedupError } from '../../model/errors.js';

/** What went wrong, stable for logs and tests (the HTTP status follows from it). */
export const RemoteWriteErrors = {
  UNSUPPORTED_MEDIA: 'unsupported_media',
  TOO_LARGE: 'too_large',
  BAD_SNAPPY: 'bad_snappy',
  BAD_PROTOBUF: 'bad_protobuf',
} as const;

export type RemoteWriteErrorReason = (typeof RemoteWriteErrors)[keyof typeof RemoteWriteErrors];

export type RemoteWriteStatus = 400 | 413 | 415;

const STATUS: Readonly<Record<RemoteWriteErrorReason, RemoteWriteStatus>> = {
  unsupported_media: 415,
  // The brief for this layer answers an oversized body with 400, as Cortex does.
  too_large: 400,
  bad_snappy: 400,
  bad_protobuf: 400,
};

export class RemoteWriteDecodeError extends PromdedupError {
  readonly status: RemoteWriteStatus;

  constructor(
    readonly reason: RemoteWriteErrorReason,
    message: string,
  ) {
    // ErrorCode is a closed set owned by src/model/errors.ts; `reason` says the rest.
    super('bad_data', message, ErrorCodes.BAD_PARAM);
    this.name = 'RemoteWriteDecodeError';
    this.status = STATUS[reason];
  }
}
