/** Small helpers shared by the 1.0 and 2.0 codecs: checked tags, error wrapping, byte joining. */
import { ProtoDecodeError, ProtoReader, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../../wire/protowire.js';
import { RemoteWriteDecodeError, RemoteWriteErrors } from './errors.js';

const MAX_FIELD = 0x1fffffff;
const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'group start', 'group end', 'fixed32'];

export interface Tag {
  readonly field: number;
  readonly wire: number;
}

/** Reads a tag, refusing 0, negative or oversized values that ProtoReader.tag() lets through. */
export function readTag(r: ProtoReader): Tag {
  const t = readTagNumber(r);
  return { field: t >>> 3, wire: t & 7 };
}

/** readTag without the object (hot loops): field = t >>> 3, wire type = t & 7. */
export function readTagNumber(r: ProtoReader): number {
  const t = r.tag();
  if (t < 8 || t > MAX_FIELD * 8 + 7) throw new ProtoDecodeError(`invalid field tag ${t}`);
  const wire = t % 8;
  if (wire !== WIRE_VARINT && wire !== WIRE_I64 && wire !== WIRE_LEN && wire !== WIRE_I32) {
    throw new ProtoDecodeError(`field ${Math.floor(t / 8)} has unsupported wire type ${wire}`);
  }
  return t;
}

/** expectWire for a raw tag number. */
export function expectWireOf(where: string, t: number, wire: number): void {
  if ((t & 7) !== wire) expectWire(where, { field: t >>> 3, wire: t & 7 }, wire);
}

export function expectWire(where: string, tag: Tag, wire: number): void {
  if (tag.wire !== wire) {
    throw new ProtoDecodeError(
      `${where} (field ${tag.field}) has wire type ${WIRE_NAMES[tag.wire] ?? tag.wire}, expected ${WIRE_NAMES[wire]}`,
    );
  }
}

/** Runs a decode step, turning wire errors into a RemoteWriteDecodeError that names the message. */
export function decoding<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ProtoDecodeError) {
      throw new RemoteWriteDecodeError(RemoteWriteErrors.BAD_PROTOBUF, `malformed ${what}: ${err.message}`);
    }
    throw err;
  }
}

/** Unsigned varint bytes of a non-negative safe integer (a recomputed length prefix). */
export function varintBytes(x: number): Uint8Array {
  const out: number[] = [];
  while (x >= 0x80) {
    out.push((x % 0x80) | 0x80);
    x = Math.floor(x / 0x80);
  }
  out.push(x);
  return Uint8Array.from(out);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesEqual(buf: Uint8Array, s: number, e: number, want: Uint8Array): boolean {
  if (e - s !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (buf[s + i] !== want[i]) return false;
  return true;
}

/** Prefixes a wire error with the series index, so the message says where the damage is. */
export function inSeries(i: number, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtoDecodeError) throw new ProtoDecodeError(`timeseries[${i}]: ${err.message}`);
    throw err;
  }
}
