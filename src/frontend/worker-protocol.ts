/**
 * What the query frontend and its worker threads say to each other, and the worker's side as a
 * plain function (workers/frontend.ts only moves messages): large downstream answers and large
 * cached extents are decoded there, so the event loop keeps answering meanwhile.
 */
import { decodeExtents } from './cache.js';
import { packAnswer, packedBuffers, unpackAnswer, type PackedAnswer } from './packed.js';
import { decodeAnswer } from './range.js';
import type { Extent } from './cache.js';

export type FrontendTask =
  /** A downstream /api/v1/query_range body (UTF-8 JSON). */
  | { readonly kind: 'range'; readonly body: Uint8Array }
  /** Extents as a shared cache stores them (extentsCodec). */
  | { readonly kind: 'extents'; readonly body: Uint8Array };

export type FrontendTaskResult =
  | { readonly kind: 'range'; readonly answer: PackedAnswer | null }
  | { readonly kind: 'extents'; readonly extents: readonly { start: number; end: number; answer: PackedAnswer }[] };

const asBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.length);

export function runFrontendTask(task: FrontendTask): { result: FrontendTaskResult; transfer: ArrayBuffer[] } {
  if (task.kind === 'range') {
    const a = decodeAnswer(asBuffer(task.body).toString('utf8'));
    if (a === null) return { result: { kind: 'range', answer: null }, transfer: [] };
    const answer = packAnswer(a);
    return { result: { kind: 'range', answer }, transfer: packedBuffers(answer) };
  }
  const extents = decodeExtents(asBuffer(task.body)).map((x) => ({ start: x.start, end: x.end, answer: packAnswer(x.answer) }));
  return { result: { kind: 'extents', extents }, transfer: extents.flatMap((x) => packedBuffers(x.answer)) };
}

export function unpackExtents(extents: readonly { start: number; end: number; answer: PackedAnswer }[]): Extent[] {
  return extents.map((x) => ({ start: x.start, end: x.end, answer: unpackAnswer(x.answer) }));
}
