/** Start-up and shutdown of the server processes tests launch (Prometheus, promdedup). */
import type { ChildProcess } from 'node:child_process';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves true once the process has exited, false after `ms`. */
export function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills `child` (SIGKILL, after SIGCONT in case it was paused) if the test process exits while it runs: a crash, a timeout. */
export function killOnExit(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of running) {
        try {
          c.kill('SIGCONT');
          c.kill('SIGKILL');
        } catch {
          // gone already
        }
      }
    });
  }
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/** SIGTERM, then SIGKILL if it has not exited within 5 s. */
export async function terminate(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  child.kill('SIGTERM');
  if (!(await waitExit(child, 5000))) {
    child.kill('SIGKILL');
    await waitExit(child, 5000);
  }
}

/** GET <url>/-/ready answers 200 (Prometheus and promdedup alike). */
export async function isReady(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

export interface ReadyWait {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  readonly timeoutMs: number;
  /** The process' recent output, for the error message. */
  output(): string;
  /** Set when spawning itself failed. */
  spawnError(): Error | null;
  /** Readiness probe instead of a plain GET <url>/-/ready (e.g. with credentials or a CA). */
  ready?(): Promise<boolean>;
}

/** Polls readiness; on failure kills the process and throws with its output. */
export async function waitReady(w: ReadyWait): Promise<void> {
  const deadline = Date.now() + w.timeoutMs;
  for (;;) {
    const spawnError = w.spawnError();
    if (spawnError !== null) throw new Error(`${w.name} failed to start: ${spawnError.message}`);
    if (exited(w.child)) {
      throw new Error(`${w.name} exited (code ${w.child.exitCode}, signal ${w.child.signalCode}) before ready:\n${w.output()}`);
    }
    if (await (w.ready ? w.ready().catch(() => false) : isReady(w.url))) return;
    if (Date.now() > deadline) {
      await terminate(w.child);
      throw new Error(`${w.name} at ${w.url} not ready after ${w.timeoutMs} ms:\n${w.output()}`);
    }
    await sleep(100);
  }
}
