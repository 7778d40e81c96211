/**
 * A signal that aborts when any source aborts or after a timeout, with the timer and the listeners
 * released by dispose().
 *
 * Not `AbortSignal.any([..., AbortSignal.timeout(ms)])`: in Node 20 a timeout signal is only weakly
 * held while it has no listeners of its own, and `any()` registers none, so a garbage collection
 * during the wait drops the timer and the combined signal never aborts (a query against a hung
 * endpoint would then wait forever). Here the timer holds the controller strongly until it fires or
 * is disposed.
 */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** Stops the timer and detaches from the sources; call once the guarded work is over. */
  dispose(): void;
}

/** The reason of a timeout, as AbortSignal.timeout() gives it (name 'TimeoutError'). */
export function timeoutReason(): Error {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
}

/** Aborts with the first source's reason, or with a TimeoutError after `timeoutMs` (0 = no timeout). */
export function linkedSignal(sources: readonly AbortSignal[], timeoutMs: number): LinkedSignal {
  const controller = new AbortController();
  const already = sources.find((s) => s.aborted);
  if (already) {
    controller.abort(already.reason);
    return { signal: controller.signal, dispose() {} };
  }
  let timer: NodeJS.Timeout | null = null;
  const listeners: [AbortSignal, () => void][] = [];
  const dispose = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    for (const [s, l] of listeners) s.removeEventListener('abort', l);
    listeners.length = 0;
  };
  for (const s of sources) {
    const onAbort = (): void => {
      dispose();
      controller.abort(s.reason);
    };
    s.addEventListener('abort', onAbort, { once: true });
    listeners.push([s, onAbort]);
  }
  if (timeoutMs > 0) {
    timer = setTimeout(() => {
      timer = null;
      dispose();
      controller.abort(timeoutReason());
    }, timeoutMs);
    timer.unref();
  }
  return { signal: controller.signal, dispose };
}
