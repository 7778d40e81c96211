/**
 * The remote write HTTP body: picks the protocol version from Content-Type, checks the encoding and
 * undoes the snappy block compression with the size checked before anything is allocated.
 */
import { snappyDecode, snappyDecodedLength, snappyEncode } from '../../wire/snappy.js';
import { RemoteWriteDecodeError, RemoteWriteErrors } from './errors.js';

export type RemoteWriteVersion = 1 | 2;

const MEDIA_TYPE = 'application/x-protobuf';
const PROTO_VERSIONS: Readonly<Record<string, RemoteWriteVersion>> = {
  'prometheus.WriteRequest': 1,
  'io.prometheus.write.v2.Request': 2,
};

/** The protocol a Content-Type names. A missing one means 1.0, as senders before 2.0 may omit it. */
export function remoteWriteVersion(contentType: string | undefined): RemoteWriteVersion {
  if (contentType === undefined || contentType.trim() === '') return 1;
  const [media, ...params] = contentType.split(';');
  if (media!.trim().toLowerCase() !== MEDIA_TYPE) {
    throw new RemoteWriteDecodeError(RemoteWriteErrors.UNSUPPORTED_MEDIA, `unsupported Content-Type ${JSON.stringify(contentType)}`);
  }
  let version: RemoteWriteVersion = 1;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'proto') continue;
    const proto = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    const v = PROTO_VERSIONS[proto];
    if (v === undefined) {
      throw new RemoteWriteDecodeError(RemoteWriteErrors.UNSUPPORTED_MEDIA, `unsupported remote write message ${JSON.stringify(proto)}`);
    }
    version = v;
  }
  return version;
}

export function decodeBody(
  body: Uint8Array,
  contentEncoding: string | undefined,
  contentType: string | undefined,
  maxDecodedBytes: number,
  into?: Buffer,
): { version: RemoteWriteVersion; message: Buffer } {
  const version = remoteWriteVersion(contentType);
  if (contentEncoding?.trim().toLowerCase() !== 'snappy') {
    throw new RemoteWriteDecodeError(
      RemoteWriteErrors.UNSUPPORTED_MEDIA,
      `unsupported Content-Encoding ${JSON.stringify(contentEncoding ?? '')}, expected "snappy"`,
    );
  }
  let declared: number;
  try {
    declared = snappyDecodedLength(body);
  } catch (err) {
    throw badSnappy(err);
  }
  if (declared > maxDecodedBytes) {
    throw new RemoteWriteDecodeError(
      RemoteWriteErrors.TOO_LARGE,
      `remote write body decodes to ${declared} bytes, over the limit of ${maxDecodedBytes}`,
    );
  }
  try {
    return { version, message: snappyDecode(body, maxDecodedBytes, into) };
  } catch (err) {
    throw badSnappy(err);
  }
}

function badSnappy(err: unknown): RemoteWriteDecodeError {
  const reason = err instanceof Error ? err.message : String(err);
  return new RemoteWriteDecodeError(RemoteWriteErrors.BAD_SNAPPY, `invalid snappy body: ${reason}`);
}

/** Snappy block encoding of a serialised message (what a sender puts in the body). */
export function encodeBody(message: Uint8Array): Uint8Array {
  return snappyEncode(message);
}
