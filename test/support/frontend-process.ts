/**
 * Runs `promdedup query-frontend` (`node dist/src/cmd/main.js query-frontend …`) as a child process
 * for end-to-end tests: a free loopback port, ready once `GET /-/ready` is 200, its output kept.
 * A process-exit hook kills any still running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { killOnExit, terminate, waitReady } from './child-process.js';
import { freePort } from './prometheus.js';
import { querierEntryPoint } from './querier-process.js';

export interface FrontendProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly port: number;
  logs(): string;
  stop(): Promise<void>;
}


export async function startFrontendProcess(
  downstreamUrl: string,
  args: readonly string[] = [],
  opts: { scheme?: 'http' | 'https'; ready?: (url: string) => Promise<boolean> } = {},
): Promise<FrontendProcess> {
  const port = await freePort();
  let logs = '';
  const child = spawn(process.execPath, [querierEntryPoint(), 'query-frontend', `--http-address=127.0.0.1:${port}`, `--query-frontend.downstream-url=${downstreamUrl}`, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('promdedup query-frontend was not spawned');
  killOnExit(child);
  const keep = (d: Buffer): void => {
    logs = (logs + d.toString()).slice(-16_384);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `${opts.scheme ?? 'http'}://127.0.0.1:${port}`;
  try {
    await waitReady({ name: 'promdedup query-frontend', url, child, timeoutMs: 30_000, output: () => logs, spawnError: () => null, ...(opts.ready ? { ready: () => opts.ready!(url) } : {}) });
  } catch (err) {
    await terminate(child);
    throw err;
  }
  let stopping: Promise<void> | null = null;
  return { url, port, child, logs: () => logs, stop: () => (stopping ??= terminate(child)) };
}
