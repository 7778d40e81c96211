/**
 * A server process on a loopback port that tests can crash, hang and start again (Redis,
 * memcached): started by `launch(port)`, ready once a plain-TCP request `probe` is answered with
 * a reply starting `expect`.
 */
import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { exited, killOnExit, sleep, terminate, waitExit } from './child-process.js';
import { freePort } from './prometheus.js';

export interface LoopbackDaemon {
  /** 127.0.0.1:port */
  readonly address: string;
  readonly port: number;
  stop(): Promise<void>;
  /** SIGKILL, as a crash would (nothing is saved). */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing is answered, as a hung server or a lost network behaves. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Starts it again on the same port (after stop() or kill()), empty. */
  restart(): Promise<void>;
}

function answers(port: number, probe: string, expect: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => s.write(probe));
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString().startsWith(expect));
    });
    s.once('error', () => resolve(false));
  });
}

export async function startLoopbackDaemon(name: string, launch: (port: number) => ChildProcess, probe: string, expect: string, port?: number): Promise<LoopbackDaemon> {
  const p = port ?? (await freePort());
  let child: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    const started = launch(p);
    killOnExit(started);
    child = started;
    const deadline = Date.now() + 10_000;
    while (!(await answers(p, probe, expect))) {
      if (exited(started) || Date.now() > deadline) throw new Error(`${name} on ${p} did not start`);
      await sleep(50);
    }
  };
  await start();
  return {
    address: `127.0.0.1:${p}`,
    port: p,
    async stop() {
      if (child !== null) {
        child.kill('SIGCONT'); // a paused server would not see the SIGTERM
        await terminate(child);
      }
      child = null;
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    async kill() {
      const c = child;
      child = null;
      if (c === null || exited(c)) return;
      c.kill('SIGKILL');
      await waitExit(c, 5000);
    },
    restart: start,
  };
}
