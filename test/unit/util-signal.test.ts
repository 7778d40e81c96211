import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { linkedSignal } from '../../src/util/signal.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Waits for the abort of a signal created inside `make`, with a garbage collection in between. */
function abortedAfterGc(make: () => AbortSignal): Promise<string> {
  const result = new Promise<string>((resolve) => {
    const signal = make();
    signal.addEventListener('abort', () => resolve(`aborted: ${(signal.reason as Error).name}`), { once: true });
  });
  setTimeout(() => gc(), 20);
  const fallback = new Promise<string>((resolve) => setTimeout(() => resolve('never aborted'), 600));
  return Promise.race([result, fallback]);
}

describe('linkedSignal', () => {
  it('times out even when a garbage collection runs while waiting (AbortSignal.any + timeout does not in Node 20)', async () => {
    const source = new AbortController();
    expect(await abortedAfterGc(() => linkedSignal([source.signal], 150).signal)).toBe('aborted: TimeoutError');
  });

  it('follows its sources and stops its timer on dispose', async () => {
    const source = new AbortController();
    const linked = linkedSignal([source.signal], 50);
    const reason = Object.assign(new Error('gone'), { name: 'AbortError' });
    source.abort(reason);
    expect(linked.signal.aborted).toBe(true);
    expect(linked.signal.reason).toBe(reason);

    const other = new AbortController();
    const disposed = linkedSignal([other.signal], 30);
    disposed.dispose();
    await new Promise((r) => setTimeout(r, 80));
    other.abort();
    expect(disposed.signal.aborted).toBe(false);

    expect(linkedSignal([source.signal], 0).signal.reason).toBe(reason);
  });
});
