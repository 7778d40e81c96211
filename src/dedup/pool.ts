/**
 * The worker pool that runs packed dedup tasks (piscina). Input buffers are transferred to the
 * worker and the merged output is transferred back: no sample is copied across threads.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { packedBuffers, type DedupTask, type PackedOutput } from './packing.js';

/**
 * The compiled worker entry. From dist/src/dedup/pool.js it is dist/workers/dedup.js. When this file
 * runs from TypeScript sources (vitest), that .js does not exist; the build's copy under
 * <repo>/dist/workers is used instead (`npm test` builds first).
 */
export function workerFilename(): string {
  const beside = fileURLToPath(new URL('../../workers/dedup.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL('../../dist/workers/dedup.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new Error(`dedup worker not found at ${beside} or ${built}; run "npm run build" first`);
}

export class DedupPool {
  private readonly piscina: Piscina<DedupTask, PackedOutput>;

  constructor(threads: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`dedup threads must be an integer ≥ 1, got ${threads}`);
    this.piscina = new Piscina<DedupTask, PackedOutput>({
      filename: workerFilename(),
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
    });
  }

  get threads(): number {
    return this.piscina.maxThreads;
  }

  /**
   * Runs one task. Its input buffers are transferred: they are detached here once this is called.
   * The output arrives in buffers transferred from the worker.
   */
  run(task: DedupTask, signal?: AbortSignal): Promise<PackedOutput> {
    return this.piscina.run(task, { transferList: packedBuffers(task.input), signal: signal ?? null });
  }

  close(): Promise<void> {
    return this.piscina.close();
  }
}
