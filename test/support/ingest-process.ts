/**
 * Runs `promdedup ingest` (`node dist/src/cmd/main.js ingest …`) as a child process for end-to-end
 * tests and benchmarks: a free loopback port, ready once `GET /-/ready` is 200, its output kept.
 * A process-exit hook kills any still running, so a failed or timed-out test leaves none behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { killOnExit, terminate, waitReady } from './child-process.js';
import { freePort } from './prometheus.js';
import { querierEntryPoint } from './querier-process.js';

export interface IngestProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  logs(): string;
  stop(): Promise<void>;
}

/** Starts it with these flags (besides --http-address); resolves once ready, rejects with its output if it exits. */
export async function startIngestProcess(
  args: readonly string[],
  opts: { port?: number; scheme?: 'http' | 'https'; ready?: (url: string) => Promise<boolean> } = {},
): Promise<IngestProcess> {
  const port = opts.port ?? (await freePort());
  let logs = '';
  const child = spawn(process.execPath, [querierEntryPoint(), 'ingest', `--http-address=127.0.0.1:${port}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  child.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
  const url = `${opts.scheme ?? 'http'}://127.0.0.1:${port}`;
  try {
    await waitReady({
      name: 'promdedup ingest',
      url,
      child,
      timeoutMs: 30_000,
      output: () => logs,
      spawnError: () => null,
      ...(opts.ready ? { ready: () => opts.ready!(url) } : {}),
    });
  } catch (err) {
    await terminate(child);
    throw err;
  }
  return { url, port, child, logs: () => logs, stop: () => terminate(child) };
}
