import { describe, expect, it } from 'vitest';
import { Coalescer } from '../../src/query/coalesce.js';

function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('Coalescer', () => {
  it('runs the work once for callers of one key in flight; shares the result', async () => {
    let joins = 0;
    const c = new Coalescer<string>({ share: (v, n) => Array.from({ length: n }, (_, i) => `${v}#${i}`), onJoin: () => joins++ });
    const work = deferred<string>();
    let started = 0;
    const start = () => {
      started++;
      return work.promise;
    };
    const calls = [1, 2, 3].map(() => c.run('k', new AbortController().signal, start));
    const other = c.run('other', new AbortController().signal, async () => 'x');
    work.resolve('v');
    expect(await Promise.all(calls)).toEqual(['v#0', 'v#1', 'v#2']);
    expect(await other).toBe('x');
    expect([started, joins, c.size]).toEqual([1, 2, 0]);
    // Done: the next caller starts afresh.
    expect(await c.run('k', new AbortController().signal, async () => 'again')).toBe('again');
  });

  it('a caller leaving gets its own reason; the work goes on for the others, and stops when all left', async () => {
    const c = new Coalescer<string>({ share: (v, n) => Array(n).fill(v) });
    const work = deferred<string>();
    let shared: AbortSignal | null = null;
    const a = new AbortController();
    const b = new AbortController();
    const pa = c.run('k', a.signal, (s) => ((shared = s), work.promise));
    const pb = c.run('k', b.signal, () => work.promise);
    a.abort(new Error('client a gone'));
    await expect(pa).rejects.toThrow('client a gone');
    expect(shared!.aborted).toBe(false);
    b.abort(new Error('client b gone'));
    await expect(pb).rejects.toThrow('client b gone');
    expect(shared!.aborted).toBe(true);
    expect(c.size).toBe(0);
    work.resolve('late'); // nobody left to deliver to
  });

  it('a failure reaches every caller', async () => {
    const c = new Coalescer<string>({ share: (v, n) => Array(n).fill(v) });
    const work = deferred<string>();
    const ps = [1, 2].map(() => c.run('k', new AbortController().signal, () => work.promise));
    work.reject(new Error('endpoint down'));
    for (const p of ps) await expect(p).rejects.toThrow('endpoint down');
  });
});
