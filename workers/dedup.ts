/**
 * Piscina worker entry: merges every replica group of one packed task and hands the packed output
 * back by transfer (Piscina.move over the output's buffers).
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { mergePacked } from '../src/dedup/merge-packed.js';
import { packedBuffers, type DedupTask } from '../src/dedup/packing.js';

export default function dedupWorker(task: DedupTask): unknown {
  const out = mergePacked(task.input, task.opts);
  return move({ [transferableSymbol]: packedBuffers(out), [valueSymbol]: out } as unknown as Parameters<typeof move>[0]);
}
