/**
 * Decoding of prompb.Label messages with a small cache keyed by their bytes. Across the series of
 * a remote read response most labels repeat (metric name, job, external labels such as replica,
 * label names everywhere): a hit returns the same Label object as before, so there is no
 * string decoding or allocation, and later comparisons of these strings are pointer checks.
 * Direct-mapped and fixed-size, so unique labels (instance="host-123") simply replace each other.
 */
import type { Label } from '../../model/labels.js';
import { ProtoReader, utf8, WIRE_LEN } from '../../wire/protowire.js';

/** Label messages longer than this are decoded without the cache. */
const MAX_KEY = 48;
const SLOTS = 2048;
const NAME_SLOTS = 256;

/** Direct-mapped cache from short byte strings to values, keys stored inline in one byte array. */
class BytesCache<V> {
  private readonly keys: Uint8Array;
  private readonly lens: Int16Array;
  private readonly values: (V | undefined)[];
  private readonly mask: number;

  constructor(slots: number) {
    this.keys = new Uint8Array(slots * MAX_KEY);
    this.lens = new Int16Array(slots).fill(-1);
    this.values = new Array<V | undefined>(slots).fill(undefined);
    this.mask = slots - 1;
  }

  /** The slot of buf[s, e) (e - s <= MAX_KEY): FNV-1a. */
  slot(buf: Uint8Array, s: number, e: number): number {
    let h = 0x811c9dc5;
    for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    return (h ^ (h >>> 15)) & this.mask;
  }

  get(slot: number, buf: Uint8Array, s: number, e: number): V | undefined {
    const n = e - s;
    if (this.lens[slot] !== n) return undefined;
    const keys = this.keys;
    const k = slot * MAX_KEY;
    for (let i = 0; i < n; i++) if (keys[k + i] !== buf[s + i]) return undefined;
    return this.values[slot];
  }

  set(slot: number, buf: Uint8Array, s: number, e: number, v: V): void {
    this.keys.set(buf.subarray(s, e), slot * MAX_KEY);
    this.lens[slot] = e - s;
    this.values[slot] = v;
  }
}

const labels = new BytesCache<Label>(SLOTS);
const names = new BytesCache<string>(NAME_SLOTS);

/** Reads the prompb.Label in r.buf[r.pos, end) and leaves r at end. */
export function readLabel(r: ProtoReader, end: number): Label {
  const buf = r.buf;
  const start = r.pos;
  const cacheable = end - start <= MAX_KEY;
  let slot = 0;
  if (cacheable) {
    slot = labels.slot(buf, start, end);
    const hit = labels.get(slot, buf, start, end);
    if (hit !== undefined) {
      r.pos = end;
      return hit;
    }
  }
  let name = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === (1 << 3) + WIRE_LEN) name = readName(r);
    else if (tag === (2 << 3) + WIRE_LEN) value = r.string();
    else r.skip(tag & 7);
  }
  r.pos = end;
  // Shared between series from now on: Label is readonly, nothing may modify it.
  const label: Label = { name, value };
  if (cacheable) labels.set(slot, buf, start, end, label);
  return label;
}

/** Label names are few: interned, so equal names are the same string. */
function readName(r: ProtoReader): string {
  const e = r.lenEnd();
  const s = r.pos;
  if (e - s > MAX_KEY) return r.string();
  const buf = r.buf;
  const slot = names.slot(buf, s, e);
  let name = names.get(slot, buf, s, e);
  if (name === undefined) {
    name = utf8(buf, s, e);
    names.set(slot, buf, s, e, name);
  }
  r.pos = e;
  return name;
}
