/**
 * What the range-query cache holds: per key (query, step, grid offset, dedup/replica labels,
 * partial response, tenant, split-interval bucket), the extents already answered, as Cortex'
 * results cache keeps them, and how a request is cut into cached parts and gaps. Pure: no I/O.
 */
import { answerJson, answerSize, compactAnswer, extractRange, fromParsed, mergeAnswers, type RangeAnswer } from './range.js';
import type { Codec } from './results-cache.js';

export interface Extent {
  readonly start: number;
  readonly end: number;
  readonly answer: RangeAnswer;
}

/** Extents as stored in a shared cache: JSON, the answers as Prometheus writes them. */
export const extentsCodec: Codec<Extent[]> = {
  encode: (extents) => {
    const out: Buffer[] = [];
    extents.forEach((x, i) => {
      out.push(Buffer.from(`${i === 0 ? '[' : ','}{"start":${x.start},"end":${x.end},"answer":`));
      answerJson(x.answer, out);
      out.push(Buffer.from('}'));
    });
    out.push(Buffer.from(extents.length === 0 ? '[]' : ']'));
    return Buffer.concat(out);
  },
  decode: (bytes) => decodeExtents(bytes),
  size: (extents) =>
    extents.reduce((n, x) => {
      const { points, chars } = answerSize(x.answer);
      return n + 64 + chars + 12 * points;
    }, 0),
};

export function decodeExtents(bytes: Buffer): Extent[] {
  return (JSON.parse(bytes.toString('utf8')) as { start: number; end: number; answer: { resultType: string; result: []; warnings: string[]; infos: string[] } }[]).map((x) => ({
    start: x.start,
    end: x.end,
    answer: fromParsed(x.answer.resultType, x.answer.result, x.answer.warnings, x.answer.infos),
  }));
}

/** Extents ready to be kept: each answer's runs compacted where they have become fragmented. */
export function compactExtents(extents: readonly Extent[]): Extent[] {
  return extents.map((x) => ({ start: x.start, end: x.end, answer: compactAnswer(x.answer) }));
}

/** Extents that touch or overlap (within a step) joined, in start order (Cortex' handleHit merging). */
export function joinExtents(extents: readonly Extent[], step: number): Extent[] {
  const sorted = [...extents].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Extent[] = [];
  let acc: Extent | undefined;
  for (const x of sorted) {
    if (acc === undefined) acc = x;
    else if (acc.end + step < x.start) {
      out.push(acc);
      acc = x;
    } else if (x.end > acc.end) acc = { start: acc.start, end: x.end, answer: mergeAnswers([acc.answer, x.answer]) };
  }
  if (acc !== undefined) out.push(acc);
  return out;
}

/** The part of each extent at or before `maxTime` (extents wholly after it are dropped). */
export function clipExtents(extents: readonly Extent[], maxTime: number): Extent[] {
  const out: Extent[] = [];
  for (const x of extents) {
    if (x.start > maxTime) continue;
    out.push(x.end <= maxTime ? x : { start: x.start, end: maxTime, answer: extractRange(x.answer, x.start, maxTime) });
  }
  return out;
}

/**
 * What is cached for [start, end] and what must still be asked (Cortex' partition): the cached
 * answers cut to the range, and the gaps as sub-ranges on the same step grid.
 */
export function partition(start: number, end: number, step: number, extents: readonly Extent[]): { cached: RangeAnswer[]; missing: [number, number][] } {
  const cached: RangeAnswer[] = [];
  const missing: [number, number][] = [];
  let from = start;
  for (const x of extents) {
    if (x.end < from || x.start > end) continue;
    if (from < x.start) missing.push([from, x.start - step]);
    cached.push(extractRange(x.answer, from, end));
    from = Math.max(from, x.end + step);
  }
  if (from <= end) missing.push([from, end]);
  return { cached, missing };
}
