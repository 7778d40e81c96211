import { describe, expect, it } from 'vitest';
import { decodeBody, encodeBody, remoteWriteVersion } from '../../src/ingest/remote-write/body.js';
import { RemoteWriteDecodeError, RemoteWriteErrors } from '../../src/ingest/remote-write/errors.js';
import { ErrorCodes, PromdedupError } from '../../src/model/errors.js';

const msg = Uint8Array.from({ length: 300 }, (_, i) => i % 7);

function failure(fn: () => unknown): RemoteWriteDecodeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RemoteWriteDecodeError);
    expect(err).toBeInstanceOf(PromdedupError);
    return err as RemoteWriteDecodeError;
  }
  throw new Error('expected a failure');
}

describe('remoteWriteVersion', () => {
  it('reads the protocol from Content-Type', () => {
    expect(remoteWriteVersion(undefined)).toBe(1);
    expect(remoteWriteVersion('application/x-protobuf')).toBe(1);
    expect(remoteWriteVersion('application/x-protobuf;proto=prometheus.WriteRequest')).toBe(1);
    expect(remoteWriteVersion('application/x-protobuf;proto=io.prometheus.write.v2.Request')).toBe(2);
    expect(remoteWriteVersion('Application/X-Protobuf; proto="io.prometheus.write.v2.Request"')).toBe(2);
  });
  it('anything else is 415', () => {
    for (const ct of ['application/json', 'application/x-protobuf;proto=io.prometheus.write.v3.Request', 'text/plain']) {
      const e = failure(() => remoteWriteVersion(ct));
      expect(e.status).toBe(415);
      expect(e.reason).toBe(RemoteWriteErrors.UNSUPPORTED_MEDIA);
    }
  });
});

describe('decodeBody', () => {
  it('round-trips with encodeBody', () => {
    const out = decodeBody(encodeBody(msg), 'snappy', 'application/x-protobuf;proto=io.prometheus.write.v2.Request', 1000);
    expect(out.version).toBe(2);
    expect([...out.message]).toEqual([...msg]);
  });
  it('needs Content-Encoding snappy (415)', () => {
    for (const enc of [undefined, 'gzip', 'identity', '']) {
      const e = failure(() => decodeBody(encodeBody(msg), enc, undefined, 1000));
      expect(e.status).toBe(415);
      expect(e.code).toBe(ErrorCodes.BAD_PARAM);
      expect(e.kind).toBe('bad_data');
    }
  });
  it('refuses a declared length over the limit before decoding (400)', () => {
    // A header claiming 2^28 bytes and no data: only the header is read.
    const bomb = Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x01]);
    const e = failure(() => decodeBody(bomb, 'snappy', undefined, 1000));
    expect(e.reason).toBe(RemoteWriteErrors.TOO_LARGE);
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/268435456 bytes, over the limit of 1000/);
    expect(failure(() => decodeBody(encodeBody(msg), 'snappy', undefined, 299)).reason).toBe(RemoteWriteErrors.TOO_LARGE);
  });
  it('broken snappy is 400 with the reason', () => {
    for (const body of [new Uint8Array(0), Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff]), encodeBody(msg).subarray(0, 20)]) {
      const e = failure(() => decodeBody(body, 'snappy', undefined, 1000));
      expect(e.reason).toBe(RemoteWriteErrors.BAD_SNAPPY);
      expect(e.status).toBe(400);
      expect(e.message).toMatch(/^invalid snappy body: ./);
    }
  });
});
