import { describe, expect, it } from 'vitest';
import { compressSync, uncompressSync } from 'snappy';
import { SnappyError, snappyDecode } from '../../src/wire/snappy.js';
import { ByteEdits, recompressEdited } from '../../src/wire/snappy-edit.js';
import { prng as rng } from '../support/prng.js';

/** Compressible bytes: runs, repeated phrases and noise, like label sets of many series. */
function sample(random: () => number, size: number): Uint8Array {
  const phrases = Array.from({ length: 12 }, () => Uint8Array.from({ length: 3 + Math.floor(random() * 40) }, () => Math.floor(random() * 256)));
  const out: number[] = [];
  while (out.length < size) {
    const r = random();
    if (r < 0.6) out.push(...phrases[Math.floor(random() * phrases.length)]!);
    else if (r < 0.75) out.push(...new Array<number>(1 + Math.floor(random() * 100)).fill(Math.floor(random() * 256)));
    else out.push(Math.floor(random() * 256));
  }
  return Uint8Array.from(out.slice(0, size));
}

/** Applies random removals and shorter replacements; returns the edited bytes and their edits. */
function randomEdits(random: () => number, original: Uint8Array): { edited: Uint8Array; edits: ByteEdits } {
  const edits = new ByteEdits();
  const out: number[] = [];
  let removed = 0;
  let p = 0;
  while (p < original.length) {
    const gap = Math.floor(random() * 200);
    for (let i = 0; i < gap && p < original.length; i++) out.push(original[p++]!);
    if (p >= original.length) break;
    const len = 1 + Math.floor(random() * 20);
    const end = Math.min(original.length, p + len);
    const keep = random() < 0.5 ? 0 : Math.floor(random() * (end - p)); // replaced by fewer bytes
    for (let i = 0; i < keep; i++) out.push(random() < 0.5 ? original[p + i]! : Math.floor(random() * 256));
    removed += end - p - keep;
    edits.add(p, end, removed);
    p = end;
  }
  return { edited: Uint8Array.from(out), edits };
}

describe('snappyDecode', () => {
  it('decodes what the native encoder wrote, for 200 random inputs', () => {
    const random = rng(1);
    for (let n = 0; n < 200; n++) {
      const raw = sample(random, Math.floor(random() * 70_000));
      const block = compressSync(Buffer.from(raw));
      expect(Buffer.from(snappyDecode(block, raw.length)).equals(Buffer.from(raw))).toBe(true);
    }
  });

  it('decodes every element kind, incl. 4-byte offsets and long literals', () => {
    // Hand-built: literal of 70 bytes (1-byte length), copy-1, copy-2, copy-4 (overlapping run).
    const lit = Array.from({ length: 70 }, (_, i) => i);
    const block = Uint8Array.from([
      ...[80], // decoded length 80
      60 << 2, 69, ...lit, // literal, length 70
      1 | (0 << 2) | (0 << 5), 70, // copy-1: 4 bytes from 70 back
      2 | (2 << 2), 4, 0, // copy-2: 3 bytes from 4 back
      3 | (2 << 2), 1, 0, 0, 0, // copy-4: 3 bytes from 1 back (a run)
    ]);
    const out = snappyDecode(block, 100);
    expect([...out]).toEqual([...lit, 0, 1, 2, 3, 0, 1, 2, 2, 2, 2]);
    expect(Buffer.from(uncompressSync(Buffer.from(block), { asBuffer: true }) as Buffer).equals(out)).toBe(true);
  });

  it('refuses damaged blocks with a SnappyError, never a crash', () => {
    const raw = sample(rng(2), 5000);
    const block = compressSync(Buffer.from(raw));
    const damaged: Uint8Array[] = [
      new Uint8Array(0),
      Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80]), // header never ends
      block.subarray(0, block.length - 3), // truncated
      Uint8Array.from([10, 2 | (3 << 2), 5, 0]), // copy before any output
      Uint8Array.from([4, 8, 1, 2, 3]), // ends one byte short of the declared length
      Uint8Array.from([2, 4 << 2, 1]), // literal of 5 bytes runs past the end
      Uint8Array.from([1, 0, 7, 1 | (1 << 2), 1]), // copy overflows the declared length
    ];
    for (const b of damaged) expect(() => snappyDecode(b, 10_000)).toThrow(SnappyError);
    expect(() => snappyDecode(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f]), 1000)).toThrow(/over the limit of 1000/);
  });
});

describe('recompressEdited', () => {
  it('describes exactly the edited bytes, for 300 random inputs and edits', () => {
    const random = rng(3);
    for (let n = 0; n < 300; n++) {
      const raw = sample(random, 1 + Math.floor(random() * 40_000));
      const block = compressSync(Buffer.from(raw));
      const { edited, edits } = randomEdits(random, raw);
      const out = recompressEdited(block, edited, edits);
      expect(Buffer.from(uncompressSync(out, { asBuffer: true }) as Buffer).equals(Buffer.from(edited))).toBe(true);
      expect(Buffer.from(snappyDecode(out, edited.length)).equals(Buffer.from(edited))).toBe(true);
    }
  });

  it('keeps the sender’s compression when the same bytes are cut from repeated records', () => {
    // 2000 records that differ in one field, each with the same 12 bytes to cut.
    const records: number[] = [];
    const cut: Array<[number, number]> = [];
    for (let i = 0; i < 2000; i++) {
      const head = [...'metric_name_total{job="node",'].map((c) => c.charCodeAt(0));
      records.push(...head);
      cut.push([records.length, records.length + 12]);
      records.push(...[...'replica="a",'].map((c) => c.charCodeAt(0)));
      records.push(...[...`instance="10.0.${i >> 8}.${i & 255}"}`].map((c) => c.charCodeAt(0)));
    }
    const raw = Uint8Array.from(records);
    const block = compressSync(Buffer.from(raw));
    const edits = new ByteEdits();
    const kept: number[] = [];
    let from = 0;
    let removed = 0;
    for (const [s, e] of cut) {
      kept.push(...raw.subarray(from, s));
      removed += e - s;
      edits.add(s, e, removed);
      from = e;
    }
    kept.push(...raw.subarray(from));
    const edited = Uint8Array.from(kept);
    const out = recompressEdited(block, edited, edits);
    expect(Buffer.from(uncompressSync(out, { asBuffer: true }) as Buffer).equals(Buffer.from(edited))).toBe(true);
    expect(out.length).toBeLessThanOrEqual(Math.ceil(compressSync(Buffer.from(edited)).length * 1.1));
  });

  it('without edits gives a block that decodes to the same bytes', () => {
    const raw = sample(rng(4), 20_000);
    const block = compressSync(Buffer.from(raw));
    const out = recompressEdited(block, raw, new ByteEdits());
    expect(Buffer.from(uncompressSync(out, { asBuffer: true }) as Buffer).equals(Buffer.from(raw))).toBe(true);
  });
});
